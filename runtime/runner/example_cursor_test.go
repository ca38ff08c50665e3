package runner_test

import (
	"context"
	"fmt"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// A cursor travels in time over a run: back by replay, sideways by fork,
// and out of memory and back by suspend and resume, always to one digest.
func ExampleCursor() {
	ctx := context.Background()
	scn, err := runner.Load("../../plugins/broadcast/scenario.yaml", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := runner.NewCursor(runner.NewTimeline(scn, 2), runner.NewOptions())
	defer c.Close()
	digest := func(c *runner.Cursor) string {
		var d string
		if err := c.Do(ctx, func(r *runner.Run) error { d = r.Digest(); return nil }); err != nil {
			return err.Error()
		}
		return d
	}

	if err := c.Seek(ctx, 600); err != nil { // forward, by stepping
		fmt.Println(err)
		return
	}
	at600 := digest(c)
	if _, err := c.Apply(ctx, fault.Fault{Kind: fault.Crash, Node: "n2"}); err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Seek(ctx, 1500); err != nil {
		fmt.Println(err)
		return
	}
	at1500 := digest(c)

	// Fork at 600, before the crash: a new timeline with no action yet.
	if err := c.Seek(ctx, 600); err != nil { // back, by replay
		fmt.Println(err)
		return
	}
	fmt.Println("back at 600, same digest:", digest(c) == at600)
	f := runner.NewCursor(c.Fork(), runner.NewOptions())
	defer f.Close()
	if err := f.Seek(ctx, 600); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("fork at 600:", len(f.Timeline().Actions()), "actions, same digest:", digest(f) == at600)

	// The parent still holds its crash, and replays it.
	if err := c.Seek(ctx, 1500); err != nil {
		fmt.Println(err)
		return
	}
	c.Suspend()
	if err := c.Resume(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("resumed at 1500, same digest:", digest(c) == at1500)
	fmt.Println(c.Seek(ctx, 1_000_000))
	// Output:
	// back at 600, same digest: true
	// fork at 600: 0 actions, same digest: true
	// resumed at 1500, same digest: true
	// runner: past the end of the run: event 1000000 sought, the run ends at event 1814
}
