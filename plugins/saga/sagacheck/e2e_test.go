package sagacheck_test

import (
	"github.com/terrarium-sim/terrarium/internal/scenariotest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

func inCatalogue(t *testing.T) {
	t.Helper()
	if _, err := patterns.Registry().Check("saga-consistency"); err != nil {
		t.Fatalf("not in the plugins/patterns catalogue: %v", err)
	}
	if testing.Short() {
		t.Skip("end-to-end runs skipped in -short mode")
	}
}

func run(t *testing.T, file string, seed uint64) *runner.Result {
	t.Helper()
	res := scenariotest.Run(t, filepath.Join("..", file), seed)
	require.Empty(t, res.Crashes, "no node may end the run crashed")
	return res
}

func TestE2EPassingScenarios(t *testing.T) {
	inCatalogue(t)
	for _, file := range []string{"scenario.yaml", "choreography.yaml"} {
		for seed := uint64(1); seed <= 3; seed++ {
			res := run(t, file, seed)
			c := res.Checks["saga-consistency"]
			assert.Equal(t, check.Valid, c.Verdict, "%s seed %d: %s", file, seed, c.Summary)
			assert.Equal(t, check.Valid, res.Checks["saga-isolation"].Verdict, "%s seed %d", file, seed)
			assert.Positive(t, c.Details["committed"], "%s seed %d: some saga must commit", file, seed)
			assert.Positive(t, c.Details["compensated"], "%s seed %d: some saga must be compensated", file, seed)
			assert.True(t, res.Valid, "%s seed %d", file, seed)
		}
	}
}

// TestE2EDeterministic runs one seed of each passing scenario again: the
// same seed must give the same trace, byte for byte.
func TestE2EDeterministic(t *testing.T) {
	inCatalogue(t)
	for _, file := range []string{"scenario.yaml", "choreography.yaml"} {
		a, b := run(t, file, 2), run(t, file, 2)
		assert.Equal(t, a.TraceSHA256, b.TraceSHA256, file)
	}
}

func TestE2EBrokenFails(t *testing.T) {
	inCatalogue(t)
	for seed := uint64(1); seed <= 3; seed++ {
		res := run(t, "broken.yaml", seed)
		c := res.Checks["saga-consistency"]
		require.Equal(t, check.Invalid, c.Verdict, "seed %d: %s", seed, c.Summary)
		assert.False(t, res.Valid)
		assert.Contains(t, c.Summary, "step inventory")
		assert.Contains(t, c.Summary, "never compensated")
		assert.Regexp(t, `saga s\d+`, c.Summary)
		assert.Equal(t, "inventory", c.Details["first_step"])
		assert.NotEmpty(t, c.Details["dangling_reservations"])
	}
}

func TestE2ELimitCountsIntermediateReads(t *testing.T) {
	inCatalogue(t)
	res := run(t, "limit.yaml", 1)
	iso := res.Checks["saga-isolation"]
	require.Equal(t, check.Valid, iso.Verdict, iso.Summary)
	assert.Positive(t, iso.Details["intermediate_reads"], iso.Summary)
	assert.Positive(t, iso.Details["share"], iso.Summary)
	assert.Equal(t, check.Valid, res.Checks["saga-consistency"].Verdict)
}
