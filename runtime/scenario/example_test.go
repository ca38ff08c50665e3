package scenario_test

import (
	"fmt"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// Example parses a small scenario and lists its nodes by index.
func Example() {
	scn, err := scenario.Parse("echo.yaml", []byte(`
name: echo
duration: 2s
modules:
  echo: {wasm: echo.wasm}
nodes:
  - {name: n, count: 3, module: echo}
workload: {type: echo, clients: 2, interval: 10ms, timeout: 1s}
checks: [echo]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(scn.Name, scn.Duration, scn.NodeNames())
	// Output: echo 2s [n0 n1 n2]
}
