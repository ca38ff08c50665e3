package zoo_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/explore"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// search explores a zoo scenario with a strategy for at most runs runs.
func search(t *testing.T, path string, strat explore.Strategy, runs int, faults bool) *explore.Result {
	t.Helper()
	reg := patterns.Registry()
	scn, err := runner.Load(path, reg)
	require.NoError(t, err)
	res, err := explore.Search(context.Background(), explore.Config{Scenario: scn, Runner: runner.NewOptions().WithRegistry(reg),
		Strategy: strat, Runs: runs, Faults: faults})
	require.NoError(t, err)
	return res
}

func TestSweepProfile(t *testing.T) {
	res := search(t, "stamp/scenario.yaml", explore.NewSweep(1), 60, false)
	assert.Nil(t, res.Failure)
}
