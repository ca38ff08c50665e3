package explore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/runtime/explore"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// tickers is a WAT scenario without a workload: three ticker.wat nodes
// whose timers fire at the same instants, every 10 ms (order points).
func tickers(t testing.TB) *scenario.Scenario {
	return tickersFor(t, 60*time.Millisecond)
}

// tickersFor is tickers run for d.
func tickersFor(t testing.TB, d time.Duration) *scenario.Scenario {
	t.Helper()
	b, err := testguests.Wasm("ticker")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ticker.wasm")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	scn, err := runner.Parse("tickers.yaml", fmt.Appendf(nil, `name: tickers
seed: 1
duration: %v
modules:
  ticker: {wasm: %q}
nodes:
  - {name: n, count: 3, module: ticker}
`, d, path), nil)
	require.NoError(t, err)
	return scn
}

// search runs cfg with snapshots on (a snapshot every 4 events, whatever
// they cost) or off.
func search(t *testing.T, cfg explore.Config, snapshots bool) *explore.Result {
	t.Helper()
	cfg.Snapshots = snapshots
	if snapshots {
		cfg.SnapshotEvery = 4
	}
	res, err := explore.Search(context.Background(), cfg)
	require.NoError(t, err)
	return res
}

// sameAsReplay asserts a search with snapshots found what the one
// without did: the same runs, numbers and first failure.
func sameAsReplay(t *testing.T, replay, snap *explore.Result) {
	t.Helper()
	w, g := replay.Stats, snap.Stats
	w.Elapsed, g.Elapsed = 0, 0
	g.Branched, g.Replayed, g.Refused, g.Refusal = 0, 0, 0, ""
	assert.Equal(t, w, g)
	require.Equal(t, replay.Failure == nil, snap.Failure == nil)
	if replay.Failure != nil {
		assert.Equal(t, replay.Failure.Index, snap.Failure.Index)
		assert.Equal(t, replay.Failure.Found, snap.Failure.Found)
		assert.Equal(t, replay.Failure.Digest, snap.Failure.Digest)
		assert.Equal(t, replay.Failure.Scenario, snap.Failure.Scenario)
	}
}

// A depth-first search of WAT guests that branches its runs from
// snapshots makes the search that replays each from the start, and an
// embedder's invariant sees each run's events as replay shows them.
func TestSnapshotsMakeTheSameSearchOfWATGuests(t *testing.T) {
	cfg := explore.Config{Scenario: tickers(t), Strategy: explore.NewDFS(2, 0), Runs: 40}
	replay := search(t, cfg, false)
	cfg.Strategy = explore.NewDFS(2, 0)
	snap := search(t, cfg, true)
	assert.Equal(t, 40, snap.Stats.Runs)
	assert.Equal(t, 39, snap.Stats.Branched, "every run after the first branched from a snapshot")
	assert.Equal(t, 1, snap.Stats.Replayed)
	assert.Zero(t, snap.Stats.Refused)
	sameAsReplay(t, replay, snap)
}

// A depth-first search of Go guests (gotimer tickers, no workload)
// that branches its runs from snapshots makes the search that replays.
func TestSnapshotsMakeTheSameSearchOfGoGuests(t *testing.T) {
	scn, err := runner.Load("testdata/gotickers.yaml", nil)
	require.NoError(t, err)
	opts := runner.NewOptions().WithModules(runner.NewModules())
	cfg := explore.Config{Scenario: scn, Runner: opts, Strategy: explore.NewDFS(2, 0), Runs: 6}
	replay := search(t, cfg, false)
	cfg.Strategy = explore.NewDFS(2, 0)
	snap := search(t, cfg, true)
	assert.Equal(t, 5, snap.Stats.Branched)
	sameAsReplay(t, replay, snap)
}

// A search whose runs cannot be snapshotted replays every run, counts
// them and names the reason, and finds what it finds without snapshots:
// an embedder's invariant (Go state that saw the prefix), and a workload
// (its callbacks are queued Go closures).
func TestSnapshotsRefusedFallBackToReplay(t *testing.T) {
	var failAt uint64 = 25
	inv := func() func(trace.Event) error {
		return func(e trace.Event) error {
			if e.Seq == failAt && e.Kind == trace.KindEmit {
				return fmt.Errorf("tick at %d", e.Seq)
			}
			return nil
		}
	}
	for name, c := range map[string]struct {
		cfg    explore.Config
		reason string
	}{
		"invariant": {explore.Config{Scenario: tickers(t), Runs: 12, Invariant: inv}, "explore.Config.Invariant"},
		"workload":  {explore.Config{Scenario: afterHeal(t, ""), Runs: 6}, "a host callback is queued"},
	} {
		t.Run(name, func(t *testing.T) {
			c.cfg.Strategy = explore.NewDFS(2, 0)
			replay := search(t, c.cfg, false)
			c.cfg.Strategy = explore.NewDFS(2, 0)
			snap := search(t, c.cfg, true)
			assert.Zero(t, snap.Stats.Branched)
			assert.Equal(t, snap.Stats.Runs, snap.Stats.Replayed)
			assert.Equal(t, snap.Stats.Runs, snap.Stats.Refused, "every run replayed for the reason")
			assert.Contains(t, snap.Stats.Refusal, c.reason)
			sameAsReplay(t, replay, snap)
		})
	}
}
