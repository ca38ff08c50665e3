package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

func TestStrict(t *testing.T) {
	s, err := scenario.Parse("s.yaml", []byte(valid))
	require.NoError(t, err)
	assert.False(t, s.Strict, "findings do not fail a run by default")

	s, err = scenario.Parse("s.yaml", []byte(valid+"strict: true\n"))
	require.NoError(t, err)
	assert.True(t, s.Strict)
	b, err := scenario.Encode(s, "")
	require.NoError(t, err)
	assert.Contains(t, string(b), "strict: true")
	back, err := scenario.Parse("s.yaml", b)
	require.NoError(t, err)
	assert.True(t, back.Strict)

	_, err = scenario.Parse("s.yaml", []byte(valid+"strict: yes please\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `s.yaml:4:9: strict: expected true or false, got "yes please"`)
}
