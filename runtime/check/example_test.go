package check_test

import (
	"fmt"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
)

// Example judges a two-operation history with the echo checker: one reply
// carries its payload back, the other never came.
func Example() {
	h := []history.Op{
		{Index: 0, Process: 3, Type: history.OpInvoke, F: "echo", Value: []byte(`"a"`)},
		{Index: 1, Process: 3, Type: history.OpOK, F: "echo", Value: []byte(`"a"`)},
		{Index: 2, Process: 3, Type: history.OpInvoke, F: "echo", Value: []byte(`"b"`)},
		{Index: 3, Process: 3, Type: history.OpInfo, F: "echo", Error: "timeout"},
	}
	res := check.Echo(check.Input{History: h})
	fmt.Println(res.Verdict)
	// Output: valid
}
