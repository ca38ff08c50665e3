// Package embed is an outside module that embeds Terrarium in its tests
// through public imports only: it loads a guest, runs it, crashes a node
// through the API and judges the run with a checker of its own.
package embed

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// crashes is our own checker: it lists the nodes that crashed.
func crashes(in check.Input) check.Result {
	var down []string
	for _, e := range in.Events {
		if e.Kind == trace.KindCrash {
			down = append(down, in.Nodes[e.Node])
		}
	}
	if len(down) > 0 {
		return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("crashed: %v", down)}
	}
	return check.Result{Verdict: check.Valid, Summary: "no crash"}
}

func TestEmbedCrashAndCustomChecker(t *testing.T) {
	ctx := context.Background()
	reg := runner.NewRegistry()
	require.NoError(t, reg.AddCheck("crashes", crashes))
	scn, err := runner.Load("scenario.yaml", reg)
	require.NoError(t, err)

	r, err := runner.Prepare(ctx, scn, runner.NewOptions().WithSeed(3).WithRegistry(reg))
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, r.AdvanceTo(time.Second))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Crash, Node: "n1"}))
	res, err := r.Finish()
	require.NoError(t, err)

	assert.Equal(t, check.Invalid, res.Checks["crashes"].Verdict)
	assert.Equal(t, "crashed: [n1]", res.Checks["crashes"].Summary)
	assert.Equal(t, check.Valid, res.Checks["echo"].Verdict, "the other two nodes keep answering")
	assert.Equal(t, uint64(1), res.Stats.Crashes)

	again, err := runner.Execute(ctx, r.Export(), runner.NewOptions().WithRegistry(reg))
	require.NoError(t, err)
	assert.Equal(t, res.TraceSHA256, again.TraceSHA256, "the exported run replays to the same digest")
}
