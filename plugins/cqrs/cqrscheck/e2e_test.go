package cqrscheck_test

import (
	"github.com/terrarium-sim/terrarium/internal/scenariotest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/cqrs/cqrscheck"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

func registered(t *testing.T) {
	t.Helper()
	if _, err := patterns.Registry().Check("cqrs-projection"); err != nil {
		t.Fatalf("not in the plugins/patterns catalogue: %v", err)
	}
}

func run(t *testing.T, file string, seed uint64) *runner.Result {
	t.Helper()
	return scenariotest.Run(t, "../"+file, seed)
}

func TestScenarioPassesOnSeedsAndRepeats(t *testing.T) {
	registered(t)
	digests := map[uint64]string{}
	for _, seed := range []uint64{1, 2, 3} {
		res := run(t, "scenario.yaml", seed)
		assert.True(t, res.Valid, "seed %d: %+v", seed, res.Checks)
		assert.Equal(t, check.Valid, res.Checks["cqrs-projection"].Verdict, "seed %d", seed)
		assert.Equal(t, check.Valid, res.Checks["cqrs-staleness"].Verdict, "seed %d", seed)
		assert.Positive(t, res.Stats.Duplicated, "seed %d: the network duplicates", seed)
		assert.Positive(t, res.Stats.Crashes, "seed %d: a query node crashes", seed)
		digests[seed] = res.TraceSHA256
	}
	again := run(t, "scenario.yaml", 2)
	assert.Equal(t, digests[2], again.TraceSHA256, "the same seed gives the same digest")
	assert.NotEqual(t, digests[1], digests[2])
}

func TestBrokenProjectionIsCaught(t *testing.T) {
	registered(t)
	res := run(t, "broken.yaml", 1)
	assert.False(t, res.Valid)
	c := res.Checks["cqrs-projection"]
	require.Equal(t, check.Invalid, c.Verdict, c.Summary)
	assert.Regexp(t, `node q\d account a\d expected -?\d+ actual -?\d+`, c.Summary)
	ms, ok := c.Details["mismatches"].([]cqrscheck.Mismatch)
	require.True(t, ok)
	require.NotEmpty(t, ms)
	assert.NotEqual(t, ms[0].Expected, ms[0].Actual)
	assert.NotEmpty(t, c.Details["applied_more_than_once"], "the cause: events applied twice")
	// The witness: the event at which the first mismatching node applied a
	// projection of that account a second time (the playground seeks there).
	w, ok := c.Details["violations"].([]check.Witness)
	require.True(t, ok, "a witness event is named")
	require.NotEmpty(t, w)
	assert.Equal(t, ms[0].Node, w[0].Node)
	assert.Contains(t, w[0].What, "account "+ms[0].Account+" ")
	assert.Positive(t, w[0].Seq)
	t.Logf("witness: %+v", w[0])
}

func lag(t *testing.T, r check.Result) (p95, max, share float64) {
	t.Helper()
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	l, ok := r.Details["lag_ms"].(map[string]float64)
	require.True(t, ok)
	s, ok := r.Details["stale_share"].(float64)
	require.True(t, ok)
	return l["p95"], l["max"], s
}

func TestPartitionMakesStalenessWorse(t *testing.T) {
	registered(t)
	for _, seed := range []uint64{1, 2} {
		base := run(t, "scenario.yaml", seed)
		limit := run(t, "limit.yaml", seed)
		assert.True(t, limit.Valid, "seed %d: the projection still converges: %+v", seed, limit.Checks)
		bp95, bmax, bshare := lag(t, base.Checks["cqrs-staleness"])
		lp95, lmax, lshare := lag(t, limit.Checks["cqrs-staleness"])
		t.Logf("seed %d: scenario p95 %.1f max %.1f stale %.3f; limit p95 %.1f max %.1f stale %.3f", seed, bp95, bmax, bshare, lp95, lmax, lshare)
		assert.Greater(t, lp95, bp95, "seed %d: p95 lag", seed)
		assert.Greater(t, lmax, bmax, "seed %d: max lag", seed)
		assert.Greater(t, lshare, bshare, "seed %d: stale share", seed)
	}
}
