package zoo_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/explore"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/sweep"
)

// config is a search of a zoo scenario; edit adjusts it.
func config(t *testing.T, path string, strat explore.Strategy, runs int, faults bool, edit func(*explore.Config)) explore.Config {
	t.Helper()
	cfg := explore.Config{Scenario: load(t, path), Runner: runner.NewOptions().WithRegistry(patterns.Registry()),
		Strategy: strat, Runs: runs, Faults: faults, Spec: "test"}
	if edit != nil {
		edit(&cfg)
	}
	return cfg
}

func searchCfg(t *testing.T, cfg explore.Config) *explore.Result {
	t.Helper()
	res, err := explore.Search(context.Background(), cfg)
	require.NoError(t, err)
	return res
}

// sameSearch asserts two searches found the same failure with the same
// numbers (wall time aside).
func sameSearch(t *testing.T, want, got *explore.Result) {
	t.Helper()
	w, g := want.Stats, got.Stats
	w.Elapsed, g.Elapsed = 0, 0
	assert.Equal(t, w, g)
	require.Equal(t, want.Failure == nil, got.Failure == nil)
	if want.Failure != nil {
		assert.Equal(t, want.Failure.Run, got.Failure.Run)
		assert.Equal(t, want.Failure.Index, got.Failure.Index)
		assert.Equal(t, want.Failure.Schedule, got.Failure.Schedule)
		assert.Equal(t, want.Failure.Found, got.Failure.Found)
		assert.Equal(t, want.Failure.Digest, got.Failure.Digest)
	}
}

// Three workers make the search one worker makes: the same runs, the
// same first failure and the same numbers; the runs planned ahead that
// the strategy would not have made are made again.
func TestWorkersMakeTheSameSearch(t *testing.T) {
	for name, mk := range map[string]func() explore.Strategy{
		"random": func() explore.Strategy { return explore.NewRandom(1, 1) },
		"pct":    func() explore.Strategy { return explore.NewPCT(1, 3, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			one := searchCfg(t, config(t, "elect/scenario.yaml", mk(), 40, true, nil))
			require.NotNil(t, one.Failure, "found within 40 runs")
			three := searchCfg(t, config(t, "elect/scenario.yaml", mk(), 40, true, func(c *explore.Config) { c.Workers = 3 }))
			sameSearch(t, one, three)
			assert.Equal(t, []int{one.Failure.Run}, one.Failure.Index)
		})
	}
}

// A search split into shards finds, merged, the failure the unsplit
// search finds first: dfs deals out subtrees, random its runs.
func TestShardsMergeToTheUnsplitSearch(t *testing.T) {
	for name, c := range map[string]struct {
		path string
		mk   func() explore.Strategy
	}{
		"dfs":    {"lease/scenario.yaml", func() explore.Strategy { return explore.NewDFS(2, 0) }},
		"random": {"cache/scenario.yaml", func() explore.Strategy { return explore.NewRandom(1, 0) }},
	} {
		t.Run(name, func(t *testing.T) {
			whole := searchCfg(t, config(t, c.path, c.mk(), 100, false, nil))
			require.NotNil(t, whole.Failure)
			var files []string
			for i := range 3 {
				sh := sweep.Shard{Index: i, Count: 3}
				res := searchCfg(t, config(t, c.path, c.mk(), 100, false, func(c *explore.Config) { c.Shard = sh }))
				f := filepath.Join(t.TempDir(), "part.json")
				require.NoError(t, explore.WriteSummary(f, explore.Summarize(res, c.path, "sha", "test", "100", sh, "")))
				files = append(files, f)
			}
			m, err := explore.MergeShards(files...)
			require.NoError(t, err)
			assert.Empty(t, m.MissingShards)
			require.NotNil(t, m.Failure)
			assert.Equal(t, whole.Failure.Index, m.Failure.Index)
			assert.Equal(t, whole.Failure.Schedule.Strings(), m.Failure.Schedule)
			assert.Equal(t, whole.Failure.Digest, m.Failure.Digest)

			_, err = explore.MergeShards(files[0], files[0])
			assert.ErrorContains(t, err, "shard 0/3 is both")
			m, err = explore.MergeShards(files[1:]...)
			require.NoError(t, err)
			assert.Equal(t, []string{"0/3"}, m.MissingShards)
		})
	}
}

// A search stopped at its budget, or interrupted, and resumed from its
// saved state reaches the failure, and the numbers, of a search never
// stopped.
func TestResumeReachesTheSameResult(t *testing.T) {
	for name, c := range map[string]struct {
		path   string
		mk     func() explore.Strategy
		faults bool
	}{
		"random": {"elect/scenario.yaml", func() explore.Strategy { return explore.NewRandom(1, 1) }, true},
		"dfs":    {"lease/scenario.yaml", func() explore.Strategy { return explore.NewDFS(2, 0) }, false},
		"bfs":    {"lease/scenario.yaml", func() explore.Strategy { return explore.NewBFS(2, 0, true) }, false},
	} {
		t.Run(name, func(t *testing.T) {
			whole := searchCfg(t, config(t, c.path, c.mk(), 100, c.faults, nil))
			require.NotNil(t, whole.Failure)
			require.Greater(t, whole.Failure.Run, 3)

			part := searchCfg(t, config(t, c.path, c.mk(), 2, c.faults, nil)) // the budget ends it
			require.Nil(t, part.Failure)
			f := filepath.Join(t.TempDir(), "state.json")
			require.NoError(t, explore.WriteState(f, part.State))
			st, err := explore.ReadState(f)
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cut, err := explore.Search(ctx, config(t, c.path, c.mk(), 100, c.faults, func(c *explore.Config) {
				c.Resume = st
				c.Progress = func(s explore.Stats) {
					if s.Runs == 3 {
						cancel() // an interrupt, as SIGINT is
					}
				}
			}))
			require.NoError(t, err)
			require.Nil(t, cut.Failure)
			assert.Equal(t, 3, cut.Stats.Runs)

			done := searchCfg(t, config(t, c.path, c.mk(), 100, c.faults, func(c *explore.Config) { c.Resume = cut.State }))
			sameSearch(t, whole, done)
		})
	}
}

// A state resumes only the search it was saved from.
func TestResumeRefusesAnotherSearch(t *testing.T) {
	cfg := config(t, "lease/scenario.yaml", explore.NewDFS(2, 0), 1, false, nil)
	part := searchCfg(t, cfg)
	other := config(t, "lease/scenario.yaml", explore.NewDFS(2, 0), 1, false, func(c *explore.Config) { c.Spec, c.Resume = "other", part.State })
	_, err := explore.Search(context.Background(), other)
	assert.ErrorContains(t, err, `the state is of the search "test", not "other"`)
	_, err = explore.Search(context.Background(), config(t, "lease/scenario.yaml", explore.NewBFS(2, 0, true), 1, false,
		func(c *explore.Config) { c.Resume = part.State }))
	assert.ErrorContains(t, err, "not of a breadth-first search", "a dfs state does not resume a bfs")
	bfs := searchCfg(t, config(t, "lease/scenario.yaml", explore.NewBFS(2, 0, true), 1, false, nil))
	_, err = explore.Search(context.Background(), config(t, "lease/scenario.yaml", explore.NewBFS(1, 0, true), 1, false,
		func(c *explore.Config) { c.Resume = bfs.State }))
	assert.ErrorContains(t, err, "not of a breadth-first search with this bound")
	_, err = explore.Search(context.Background(), config(t, "lease/scenario.yaml", explore.NewBFS(2, 0, true), 1, false,
		func(c *explore.Config) { c.Shard = sweep.Shard{Index: 1, Count: 2} }))
	assert.ErrorContains(t, err, "cannot be split")
}
