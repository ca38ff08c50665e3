package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

func TestScaleLimits(t *testing.T) {
	s, err := scenario.Parse("s.yaml", []byte(valid+"limits: {init_names: 10, shared_store_nodes: 2}\n"))
	require.NoError(t, err)
	assert.Equal(t, 10, s.Limits.InitNames)
	assert.Equal(t, 2, s.Limits.SharedStoreNodes)

	_, err = scenario.Parse("s.yaml", []byte(valid+"limits:\n  init_names: 0\n  shared_store_nodes: -4\n"))
	require.Error(t, err)
	assert.Equal(t, "s.yaml:5:15: limits.init_names: must be at least 1, got 0\n"+
		"s.yaml:6:23: limits.shared_store_nodes: must be at least 1, got -4", err.Error())
}
