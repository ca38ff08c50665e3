package check

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func TestWitnessOfNamesTheEvent(t *testing.T) {
	in := Input{Nodes: []string{"n0", "n1"}}
	w := WitnessOf(trace.Event{Seq: 42, Time: 1_500_000, Node: 1, Kind: trace.KindEmit}, in, "it shows")
	assert.Equal(t, Witness{Seq: 42, T: 1_500_000, At: "1.5ms", Node: "n1", What: "it shows"}, w)
	// The page reads seq and t as the trace's own event does.
	b, err := json.Marshal(w)
	require.NoError(t, err)
	assert.JSONEq(t, `{"seq":42,"t":1500000,"at":"1.5ms","node":"n1","what":"it shows"}`, string(b))
	// An event of no node (the network's) names none.
	assert.Empty(t, WitnessOf(trace.Event{Seq: 1, Node: -1}, in, "x").Node)
}
