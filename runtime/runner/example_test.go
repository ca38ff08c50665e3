package runner_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// Example runs the echo pattern's scenario, crashes a node by hand half
// way, and replays the session it exported to the same digest.
func Example() {
	ctx := context.Background()
	scn, err := runner.Load("../../plugins/echo/scenario.yaml", nil)
	if err != nil {
		log.Fatal(err)
	}
	r, err := runner.Prepare(ctx, scn, runner.NewOptions().WithSeed(3))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	if err := r.AdvanceTo(2 * time.Second); err != nil {
		log.Fatal(err)
	}
	if err := r.Apply(fault.Fault{Kind: fault.Crash, Node: "n1"}); err != nil {
		log.Fatal(err)
	}
	res, err := r.Finish()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("crashes:", res.Stats.Crashes)

	again, err := runner.Execute(ctx, r.Export(), runner.NewOptions())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same digest:", again.TraceSHA256 == res.TraceSHA256)
	// Output:
	// crashes: 1
	// same digest: true
}
