package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

func TestServices(t *testing.T) {
	s, err := scenario.Parse("s.yaml", []byte(valid+"services: [lin-kv, seq-kv]\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"lin-kv", "seq-kv"}, s.Services)
	assert.Equal(t, []string{"n"}, s.NodeNames(), "services are not nodes")

	b, err := scenario.Encode(s, "")
	require.NoError(t, err)
	back, err := scenario.Parse("s.yaml", b)
	require.NoError(t, err)
	assert.Equal(t, s.Services, back.Services)
}
