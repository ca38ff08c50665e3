package check

import (
	"encoding/json"

	"github.com/terrarium-sim/terrarium/runtime/abi/jsonscan"
)

// Int decodes a history value that is an integer, and Ints one that is a
// list of integers: plain ones with the scanner the guest SDK uses,
// anything else with encoding/json, whose answers and errors they keep
// (checkers decode every read of a run; RATIONALE.md, "Heavy workloads").
func Int(raw json.RawMessage) (int, error) {
	if n, ok := jsonscan.PlainInt(raw); ok {
		return n, nil
	}
	var n int
	err := json.Unmarshal(raw, &n)
	return n, err
}

// Ints: see Int.
func Ints(raw json.RawMessage) ([]int, error) {
	if ns, ok := jsonscan.Ints(raw); ok {
		return ns, nil
	}
	var ns []int
	err := json.Unmarshal(raw, &ns)
	return ns, err
}
