package twopccheck_test

import (
	"github.com/terrarium-sim/terrarium/internal/scenariotest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// run loads a scenario of the plugin and runs it with a seed.
func run(t *testing.T, file string, seed uint64) *runner.Result {
	t.Helper()
	if _, err := patterns.Registry().Check("twopc-atomicity"); err != nil {
		t.Fatalf("not in the plugins/patterns catalogue: %v", err)
	}
	return scenariotest.Run(t, "../"+file, seed)
}

func TestScenarioValid(t *testing.T) {
	digests := map[uint64]string{}
	for seed := uint64(1); seed <= 3; seed++ {
		res := run(t, "scenario.yaml", seed)
		a := res.Checks["twopc-atomicity"]
		require.Equal(t, check.Valid, a.Verdict, "seed %d: %s", seed, a.Summary)
		require.Equal(t, check.Valid, res.Checks["twopc-blocking"].Verdict, "seed %d", seed)
		assert.Greater(t, a.Details["committed"], 0, "seed %d", seed)
		assert.Greater(t, a.Details["aborted"], 0, "seed %d", seed)
		digests[seed] = res.TraceSHA256
	}
	again := run(t, "scenario.yaml", 2)
	assert.Equal(t, digests[2], again.TraceSHA256, "the same seed must give the same trace")
	assert.NotEqual(t, digests[1], digests[2])
}

func TestBrokenCaught(t *testing.T) {
	res := run(t, "broken.yaml", 1)
	a := res.Checks["twopc-atomicity"]
	require.Equal(t, check.Invalid, a.Verdict, a.Summary)
	assert.Equal(t, check.Invalid, res.Verdict)
	assert.Regexp(t, `txn c\d+-\d+: (coordinator decided commit, p\d decided abort|committed without participant p\d)`, a.Summary)
}

func TestLimitBlocks(t *testing.T) {
	res := run(t, "limit.yaml", 1)
	require.Equal(t, check.Valid, res.Checks["twopc-atomicity"].Verdict, res.Checks["twopc-atomicity"].Summary)
	b := res.Checks["twopc-blocking"]
	require.Equal(t, check.Valid, b.Verdict, b.Summary)
	// The coordinator is down from about 1 s to 2.5 s: its last transaction's
	// participants stay prepared, holding their keys, for most of that.
	assert.Greater(t, b.Details["total_blocked_ms"], 1000.0, b.Summary)
	assert.Greater(t, b.Details["max_blocked_ms"], 1000.0, b.Summary)
	assert.NotEmpty(t, b.Details["longest_block_keys"], b.Summary)
	assert.Greater(t, b.Details["peak_locked_keys"], 0, b.Summary)
	assert.Greater(t, b.Details["long_blocks"], 0, b.Summary)
}
