package runner_test

import (
	"github.com/terrarium-sim/terrarium/internal/scenariotest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

func run(t *testing.T, path string, seed uint64) *runner.Result {
	t.Helper()
	return scenariotest.Run(t, path, seed)
}

// Reference: Maelstrom's broadcast property, under every fault we have.
func TestBroadcastUnderFaultsPassesAndRepeats(t *testing.T) {
	digests := map[string]bool{}
	for _, seed := range []uint64{1, 2, 3} {
		res := run(t, "../../plugins/broadcast/faults.yaml", seed)
		assert.True(t, res.Valid, "seed %d: %+v", seed, res.Checks)
		assert.Positive(t, res.Stats.Duplicated, "seed %d", seed)
		assert.Positive(t, res.Stats.Crashes, "seed %d: the nemesis kills nodes", seed)
		digests[res.TraceSHA256] = true
	}
	assert.Len(t, digests, 3)
	again := run(t, "../../plugins/broadcast/faults.yaml", 2)
	assert.True(t, digests[again.TraceSHA256], "the same seed gives the same digest with every fault enabled")
}

func TestBrokenBroadcastIsCaught(t *testing.T) {
	res := run(t, "../../plugins/broadcast/broken.yaml", 1)
	assert.False(t, res.Valid)
	c := res.Checks["broadcast-set-full"]
	assert.Equal(t, check.Invalid, c.Verdict)
	assert.Contains(t, c.Summary, "acknowledged values missing from final reads")
	assert.NotEmpty(t, c.Details["lost"])
}
