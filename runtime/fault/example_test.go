package fault_test

import (
	"fmt"

	"github.com/terrarium-sim/terrarium/runtime/fault"
)

// Example decodes a fault as a trace or a session records it, and shows
// that a fault missing its arguments does not validate.
func Example() {
	f, err := fault.Decode([]byte(`{"action":"partition","groups":[["n0"],["n1","n2"]]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f)
	fmt.Println(fault.Fault{Kind: fault.Crash}.Validate() != nil)
	// Output:
	// partition [n0] | [n1 n2]
	// true
}
