package sweep

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

const echoScenario = "../../plugins/echo/scenario.yaml"

func digests(s *Summary) map[uint64]string {
	m := map[uint64]string{}
	for _, r := range s.Results {
		m[r.Seed] = r.TraceSHA256
	}
	return m
}

func mustSeeds(t *testing.T, spec string) Seeds {
	t.Helper()
	s, err := ParseSeeds(spec)
	require.NoError(t, err)
	return s
}

// One test runs the echo sweeps that the others compare, to keep the
// number of runs (about 0.2 s each) small.
func TestEchoSweep(t *testing.T) {
	ctx := context.Background()
	scn, err := runner.Load(echoScenario, nil)
	require.NoError(t, err)
	seeds := mustSeeds(t, "1..4")

	var mu sync.Mutex
	var calls []int
	serial, err := Run(ctx, echoScenario, scn, Options{Seeds: seeds, Parallel: 1, Progress: func(done, total int, r SeedResult) {
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, 4, total)
		calls = append(calls, done)
	}})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3, 4}, calls, "progress after every run")
	assert.True(t, serial.OK())
	assert.Equal(t, 4, serial.Runs)
	assert.Equal(t, 4, serial.Passed)
	assert.Zero(t, serial.Failed+serial.Unknown+serial.Errors)
	assert.Empty(t, serial.Failing)
	assert.Equal(t, "echo", serial.Name)
	assert.Equal(t, echoScenario, serial.Scenario)
	assert.Len(t, serial.ScenarioSHA256, 64)
	assert.Len(t, serial.ModulesSHA256["echo"], 64)
	assert.Positive(t, serial.Stats.Sent)
	assert.Equal(t, serial.Stats.Sent, serial.Stats.Delivered)
	want := digests(serial)
	require.Len(t, want, 4)
	distinct := map[string]bool{}
	for seed, d := range want {
		assert.Len(t, d, 64, "seed %d", seed)
		distinct[d] = true
	}
	assert.Len(t, distinct, 4, "each seed its own trace")
	for i, r := range serial.Results {
		assert.Equal(t, uint64(i+1), r.Seed, "results in seed order")
		assert.Equal(t, "valid", r.Verdict)
		assert.Empty(t, r.Failures)
	}

	t.Run("parallel 2 gives the same digests", func(t *testing.T) {
		par, err := Run(ctx, echoScenario, scn, Options{Seeds: seeds, Parallel: 2})
		require.NoError(t, err)
		assert.Equal(t, 2, par.Parallel)
		assert.True(t, par.OK())
		assert.Equal(t, want, digests(par))
	})

	t.Run("an interrupted sweep keeps the runs that finished", func(t *testing.T) {
		ictx, cancel := context.WithCancel(ctx)
		defer cancel()
		out := t.TempDir()
		s, err := Run(ictx, echoScenario, scn, Options{Seeds: seeds, Parallel: 1, OutDir: out, Progress: func(done, total int, r SeedResult) {
			cancel()
		}})
		assert.ErrorIs(t, err, context.Canceled)
		require.NotNil(t, s)
		assert.True(t, s.Interrupted)
		assert.False(t, s.OK())
		assert.Equal(t, 1, s.Runs)
		assert.Equal(t, 1, s.Passed)
		assert.Equal(t, want[1], digests(s)[1])
		saved, err := ReadFile(filepath.Join(out, FileName))
		require.NoError(t, err)
		assert.True(t, saved.Interrupted)
		m, err := Merge(out)
		require.NoError(t, err)
		assert.Equal(t, "2..4", m.MissingSeeds.String())
		assert.True(t, m.Interrupted)

		// Reference: issue 7, "sweep --merge of an interrupted sweep and the
		// sweep of the rest": with the rest run, the merge is whole.
		rest := t.TempDir()
		_, err = Run(ctx, echoScenario, scn, Options{Seeds: mustSeeds(t, "2..4"), Parallel: 1, OutDir: rest})
		require.NoError(t, err)
		m, err = Merge(out, rest)
		require.NoError(t, err)
		assert.False(t, m.Interrupted)
		assert.Zero(t, m.MissingSeeds.Len())
		assert.Equal(t, 4, m.Passed)
		assert.True(t, m.OK(), "every declared seed ran and passed")
		assert.Equal(t, want, digests(m))
	})

	dir := t.TempDir()
	for i := range 2 {
		sh := Shard{Index: i, Count: 2}
		s, err := Run(ctx, echoScenario, scn, Options{Seeds: seeds, Shard: sh, Parallel: 1, OutDir: filepath.Join(dir, sh.String()[:1])})
		require.NoError(t, err)
		assert.Equal(t, 2, s.Runs)
		require.NotNil(t, s.Shard)
		assert.Equal(t, sh, *s.Shard)
		assert.Equal(t, "1..4", s.Seeds.String(), "a shard records the full list")
	}
	shard0, shard1 := filepath.Join(dir, "0", FileName), filepath.Join(dir, "1", FileName)

	t.Run("shards merge into the unsharded sweep", func(t *testing.T) {
		for _, args := range [][]string{{shard0, shard1}, {dir}, {shard1, dir}} {
			m, err := Merge(args...)
			require.NoError(t, err, args)
			assert.Equal(t, want, digests(m))
			assert.Equal(t, 4, m.Runs)
			assert.Equal(t, 4, m.Passed)
			assert.True(t, m.OK())
			assert.Empty(t, m.MissingShards)
			assert.Zero(t, m.MissingSeeds.Len())
			assert.Equal(t, "1..4", m.Seeds.String())
			assert.Len(t, m.Parts, 2)
			assert.Equal(t, serial.Stats.Sent, m.Stats.Sent, "totals add up")
			assert.Equal(t, serial.Stats.Events, m.Stats.Events)
		}
	})

	t.Run("merge reports a missing shard", func(t *testing.T) {
		m, err := Merge(shard0)
		require.NoError(t, err)
		assert.False(t, m.OK())
		assert.Equal(t, []string{"1/2"}, m.MissingShards)
		assert.Equal(t, "2,4", m.MissingSeeds.String())
		assert.Equal(t, 2, m.Runs)
	})

	t.Run("merge rejects a seed twice", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "copy", FileName)
		copyFile(t, shard1, other, nil)
		_, err := Merge(shard0, shard1, other)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "seed 2 is in both "+shard1+" and "+other)
	})

	t.Run("merge rejects another scenario", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), FileName)
		copyFile(t, shard1, other, func(s *Summary) { s.Name, s.ScenarioSHA256, s.Scenario = "badecho", "00", "bad.yaml" })
		_, err := Merge(shard0, other)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "is a sweep of bad.yaml (badecho")
	})

	t.Run("merge rejects other module bytes", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), FileName)
		copyFile(t, shard1, other, func(s *Summary) { s.ModulesSHA256 = map[string]string{"echo": "00"} })
		_, err := Merge(shard0, other)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "different module bytes")
	})
}

func copyFile(t *testing.T, from, to string, edit func(*Summary)) {
	t.Helper()
	s, err := ReadFile(from)
	require.NoError(t, err)
	if edit != nil {
		edit(s)
	}
	require.NoError(t, s.WriteFile(to))
}

func TestMergeBadInput(t *testing.T) {
	_, err := Merge()
	assert.Error(t, err)
	_, err = Merge(filepath.Join(t.TempDir(), "nope.json"))
	assert.Error(t, err)
	empty := t.TempDir()
	_, err = Merge(empty)
	assert.ErrorContains(t, err, "no sweep.json under")
	notSweep := filepath.Join(empty, "x.json")
	b, _ := json.Marshal(map[string]any{"valid": true})
	require.NoError(t, os.WriteFile(notSweep, b, 0o644))
	_, err = Merge(notSweep)
	assert.ErrorContains(t, err, "not a sweep summary")
}

func TestRunRejectsBadOptions(t *testing.T) {
	scn, err := runner.Load(echoScenario, nil)
	require.NoError(t, err)
	var ie *runner.InputError
	_, err = Run(context.Background(), echoScenario, scn, Options{})
	assert.ErrorAs(t, err, &ie, "no seeds")
	_, err = Run(context.Background(), echoScenario, scn, Options{Seeds: mustSeeds(t, "1"), Shard: Shard{Index: 2, Count: 2}})
	assert.ErrorAs(t, err, &ie, "bad shard")
	_, err = Run(context.Background(), echoScenario, scn, Options{Seeds: mustSeeds(t, "1"), Parallel: -1})
	assert.ErrorAs(t, err, &ie, "bad parallel")
	_, err = Run(context.Background(), echoScenario, scn, Options{Seeds: mustSeeds(t, "1"), Shard: Shard{Index: 1}})
	assert.ErrorAs(t, err, &ie, "shard without a count")
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = Run(context.Background(), echoScenario, scn, Options{Seeds: mustSeeds(t, "1"), OutDir: filepath.Join(file, "out")})
	assert.ErrorAs(t, err, &ie, "out dir under a file")
}

func TestDefaultParallel(t *testing.T) {
	assert.GreaterOrEqual(t, DefaultParallel(), 1)
}

// TestStrictSweepListsFindings: a seed of a strict scenario that fails on
// a finding lists it among the seed's failures.
func TestStrictSweepListsFindings(t *testing.T) {
	reg := runner.NewRegistry()
	require.NoError(t, reg.AddCheck("picky", func(in check.Input) check.Result {
		r := check.Result{Verdict: check.Valid, Summary: "fine"}
		r.Find("too-slow", []string{"op 1 took 4ms"})
		return r
	}))
	src, err := os.ReadFile(echoScenario)
	require.NoError(t, err)
	dir := t.TempDir()
	abs, err := filepath.Abs(filepath.Dir(echoScenario))
	require.NoError(t, err)
	yaml := strings.Replace(string(src), "go: .", "go: "+abs, 1)
	yaml = strings.Replace(yaml, "  - echo", "  - echo\n  - picky", 1) + "strict: true\n"
	file := filepath.Join(dir, "strict.yaml")
	require.NoError(t, os.WriteFile(file, []byte(yaml), 0o644))
	scn, err := runner.Load(file, reg)
	require.NoError(t, err)
	s, err := Run(context.Background(), file, scn, Options{Seeds: mustSeeds(t, "1"), Parallel: 1, Runner: runner.NewOptions().WithRegistry(reg)})
	require.NoError(t, err)
	require.Len(t, s.Results, 1)
	assert.Equal(t, "invalid", s.Results[0].Verdict)
	assert.Equal(t, []CheckFailure{{Check: "picky/too-slow", Verdict: "finding", Summary: "1 cases; first: op 1 took 4ms"}}, s.Results[0].Failures)
}
