package rlbscheck_test

import (
	"github.com/terrarium-sim/terrarium/internal/scenariotest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

func registered(t *testing.T) {
	t.Helper()
	if _, err := patterns.Registry().Check("rlbs-availability"); err != nil {
		t.Fatalf("not in the plugins/patterns catalogue: %v", err)
	}
}

func run(t *testing.T, file string, seed uint64) *runner.Result {
	t.Helper()
	return scenariotest.Run(t, file, seed)
}

func TestScenarioPasses(t *testing.T) {
	registered(t)
	for seed := uint64(1); seed <= 3; seed++ {
		res := run(t, "../scenario.yaml", seed)
		for name, c := range res.Checks {
			assert.Equal(t, check.Valid, c.Verdict, "seed %d %s: %s", seed, name, c.Summary)
		}
		require.True(t, res.Valid, "seed %d", seed)
		a := res.Checks["rlbs-availability"].Details
		assert.Equal(t, 2, a["max_down"], "seed %d: two replicas are down together", seed)
		assert.GreaterOrEqual(t, a["availability"].(float64), 0.95)
		assert.NotContains(t, a, "dead_replica", "seed %d: a dead replica kept getting traffic", seed)
	}
}

func TestScenarioDeterministic(t *testing.T) {
	registered(t)
	a, b := run(t, "../scenario.yaml", 2), run(t, "../scenario.yaml", 2)
	assert.Equal(t, a.TraceSHA256, b.TraceSHA256)
	assert.NotEmpty(t, a.TraceSHA256)
	assert.NotEqual(t, a.TraceSHA256, run(t, "../scenario.yaml", 3).TraceSHA256)
}

func TestBrokenFails(t *testing.T) {
	registered(t)
	res := run(t, "../broken.yaml", 1)
	require.False(t, res.Valid)
	a := res.Checks["rlbs-availability"]
	require.Equal(t, check.Invalid, a.Verdict, a.Summary)
	assert.Less(t, a.Details["availability"].(float64), 0.95)
	assert.Contains(t, []any{"r1", "r2"}, a.Details["dead_replica"])
	assert.Contains(t, a.Summary, "kept receiving traffic")
	// The witness: the dead replica's first route past the grace.
	w, ok := a.Details["violations"].([]check.Witness)
	require.True(t, ok, "a witness event is named")
	require.NotEmpty(t, w)
	assert.Contains(t, w[0].What, " to "+a.Details["dead_replica"].(string)+", down for ")
	assert.Equal(t, "lb", w[0].Node)
	assert.Positive(t, w[0].Seq)
	t.Logf("witness: %+v", w[0])
}

func TestLimitReportsThreeAlgorithms(t *testing.T) {
	registered(t)
	res := run(t, "../limit.yaml", 1)
	l := res.Checks["rlbs-latency"]
	require.Equal(t, check.Valid, l.Verdict, l.Summary)
	algos := l.Details["algorithms"].(map[string]any)
	for _, name := range []string{"round-robin", "least-outstanding", "p2c"} {
		row, ok := algos[name].(map[string]any)
		require.True(t, ok, "no row for %s", name)
		for _, k := range []string{"p50_ms", "p95_ms", "p99_ms"} {
			v, ok := row[k].(float64)
			require.True(t, ok, "%s %s", name, k)
			assert.Greater(t, v, 0.0, "%s %s", name, k)
		}
		assert.LessOrEqual(t, row["p50_ms"].(float64), row["p99_ms"].(float64))
	}
	assert.Len(t, l.Details["table"], 4)
	// the slow replica shows in round-robin's tail; every balancer was
	// offered the same arrivals
	rr, lo, p2c := algos["round-robin"].(map[string]any), algos["least-outstanding"].(map[string]any), algos["p2c"].(map[string]any)
	assert.Greater(t, rr["p95_ms"].(float64), lo["p95_ms"].(float64))
	assert.Greater(t, rr["p95_ms"].(float64), p2c["p95_ms"].(float64))
	assert.Equal(t, rr["requests"], lo["requests"])
	assert.Equal(t, rr["requests"], p2c["requests"])
}
