package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func TestAddInvariantNeedsItsChecker(t *testing.T) {
	reg := runner.NewRegistry()
	never := func([]string, json.RawMessage) func(trace.Event) error { return func(trace.Event) error { return nil } }
	require.ErrorContains(t, reg.AddInvariant("nope", never), "no checker of that name")
	require.ErrorContains(t, reg.AddInvariant("echo", nil), "needs a function")
	require.NoError(t, reg.AddInvariant("echo", never))
	require.ErrorContains(t, reg.AddInvariant("echo", never), "already has an invariant")
	_, ok := reg.Invariant("echo")
	assert.True(t, ok)
	_, ok = reg.Invariant("broadcast-set-full")
	assert.False(t, ok)
}

// A check's per-step predicate fails the check at the first event it
// refuses, named in the result beside the checker's details, and leaves
// the trace as it was; a run stopped at the violation ends there and
// judges no other check.
func TestInvariantFailsTheCheckAtItsEvent(t *testing.T) {
	dir := t.TempDir()
	echo := mustAbs(t, filepath.Join("..", "..", "plugins", "echo"))
	file := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(file, []byte("duration: 200ms\nmodules: {echo: {go: "+echo+", roles: [server]}}\nnodes: [{name: n, count: 1, module: echo}]\n"+
		"workload: {type: echo, clients: 1, interval: 20ms, timeout: 1s}\nchecks: [echo, watched]\n"), 0o644))
	plain := runner.NewRegistry()
	require.NoError(t, plain.AddCheck("watched", check.Echo))
	base, err := runner.Execute(context.Background(), load(t, file, plain), runner.NewOptions().WithRegistry(plain))
	require.NoError(t, err)
	require.Equal(t, check.Valid, base.Verdict)

	reg := runner.NewRegistry()
	require.NoError(t, reg.AddCheck("watched", check.Echo))
	require.NoError(t, reg.AddInvariant("watched", func(nodes []string, _ json.RawMessage) func(trace.Event) error {
		assert.Equal(t, []string{"n"}, nodes)
		return func(e trace.Event) error {
			if e.Seq == 5 {
				return errors.New("the fifth event is wrong")
			}
			return nil
		}
	}))
	res, err := runner.Execute(context.Background(), load(t, file, reg), runner.NewOptions().WithRegistry(reg))
	require.NoError(t, err)
	assert.Equal(t, base.TraceSHA256, res.TraceSHA256, "a predicate only observes")
	assert.Equal(t, check.Invalid, res.Verdict)
	w := res.Checks["watched"]
	assert.Equal(t, check.Invalid, w.Verdict)
	assert.Regexp(t, `^event 5 \(\w+ on n at [0-9.]+[mµn]?s\): the fifth event is wrong$`, w.Summary)
	require.IsType(t, []check.Witness{}, w.Details["violations"])
	assert.Equal(t, uint64(5), w.Details["violations"].([]check.Witness)[0].Seq)
	assert.Equal(t, check.PropertySafety, w.Details["property"])
	assert.Contains(t, w.Details, "ok", "the checker's own details stay")
	assert.Equal(t, check.Valid, res.Checks["echo"].Verdict)

	r, err := runner.Prepare(context.Background(), load(t, file, reg), runner.NewOptions().WithRegistry(reg))
	require.NoError(t, err)
	defer r.Close()
	_, broke := r.Violation("watched")
	assert.False(t, broke, "not before its event")
	require.NoError(t, r.StepTo(5))
	mid, broke := r.Violation("watched")
	assert.True(t, broke, "known mid-run, at its event")
	assert.Equal(t, w.Summary, mid.Summary)

	stopped, err := runner.Execute(context.Background(), load(t, file, reg), runner.NewOptions().WithRegistry(reg).WithStopAtViolation(true))
	require.NoError(t, err)
	assert.Equal(t, check.Invalid, stopped.Verdict)
	assert.Less(t, stopped.Stats.Events, res.Stats.Events)
	assert.Equal(t, w.Summary, stopped.Checks["watched"].Summary)
	assert.Equal(t, check.Unknown, stopped.Checks["echo"].Verdict, "not judged on a run cut short")
}
