package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// tenthTick is a stateful per-step predicate: it counts the ticks and
// breaks at the tenth.
func tenthTick([]string, json.RawMessage) func(trace.Event) error {
	n := 0
	return func(e trace.Event) error {
		if e.Kind != trace.KindEmit {
			return nil
		}
		if n++; n == 10 {
			return errors.New("the tenth tick")
		}
		return nil
	}
}

// A run restored from a snapshot goes on as the snapshot's run did: the
// same digest, and a check's per-step predicate, made anew and shown the
// prefix's events, breaks at the same event. Without WithSnapshots the
// run keeps no events for it and refuses.
func TestSnapshotRestoresTheRunAndItsPredicates(t *testing.T) {
	b, err := testguests.Wasm("ticker")
	require.NoError(t, err)
	dir := t.TempDir()
	path := filepath.Join(dir, "ticker.wasm")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	reg := runner.NewRegistry()
	require.NoError(t, reg.AddCheck("ticks", func(check.Input) check.Result { return check.Result{Verdict: check.Valid} }))
	require.NoError(t, reg.AddInvariant("ticks", tenthTick))
	scn, err := runner.Parse("tickers.yaml", fmt.Appendf(nil, "name: tickers\nduration: 60ms\nmodules:\n  ticker: {wasm: %q}\nnodes:\n  - {name: n, count: 3, module: ticker}\nchecks: [ticks]\n", path), reg)
	require.NoError(t, err)
	ctx := context.Background()
	opts := runner.NewOptions().WithRegistry(reg).WithSnapshots(true)

	whole, err := runner.Execute(ctx, scn, opts)
	require.NoError(t, err)
	require.Equal(t, check.Invalid, whole.Verdict)

	r, err := runner.Prepare(ctx, scn, opts)
	require.NoError(t, err)
	defer r.Close()
	for range 12 { // past some ticks, before the tenth
		_, err := r.Step()
		require.NoError(t, err)
	}
	sn, err := r.Snapshot()
	require.NoError(t, err)
	fresh, err := runner.Prepare(ctx, scn, opts)
	require.NoError(t, err)
	defer fresh.Close()
	require.NoError(t, fresh.Restore(sn))
	got, err := fresh.Finish()
	require.NoError(t, err)
	assert.Equal(t, whole.TraceSHA256, got.TraceSHA256)
	assert.Equal(t, whole.Checks["ticks"].Summary, got.Checks["ticks"].Summary, "broken at the same event")

	plain, err := runner.Prepare(ctx, scn, runner.NewOptions().WithRegistry(reg))
	require.NoError(t, err)
	defer plain.Close()
	_, err = plain.Snapshot()
	require.ErrorContains(t, err, "check ticks has a per-step predicate")
}
