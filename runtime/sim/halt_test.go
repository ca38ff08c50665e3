package sim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Halt from an observer stops the loop before the next event: RunUntil and
// Step return its error from then on, and no event runs after it.
func TestHaltStopsBeforeTheNextEvent(t *testing.T) {
	stop := errors.New("seen enough")
	run := func(haltAt uint64) (*sim.Sim, error) {
		s := newSim(t, sim.NewConfig().WithSeed(5).WithNetwork(gossipLink()))
		g, err := testguests.Wat2Wasm([]byte(gossipWAT))
		require.NoError(t, err)
		require.NoError(t, s.LoadModule("gossip", g))
		_, err = s.AddNodes(sim.NodeSpec{Name: "g", Count: 4, Module: "gossip"})
		require.NoError(t, err)
		s.Observe(func(e trace.Event) {
			if e.Seq == haltAt {
				s.Halt(stop)
			}
		})
		return s, s.RunFor(30 * time.Millisecond)
	}
	whole, err := run(0)
	require.NoError(t, err)
	halted, err := run(20)
	require.ErrorIs(t, err, stop)
	steps := halted.Steps()
	assert.GreaterOrEqual(t, halted.Stats().Events, uint64(20))
	assert.Less(t, steps, whole.Steps())
	ok, err := halted.Step()
	assert.False(t, ok)
	require.ErrorIs(t, err, stop)
	assert.Equal(t, steps, halted.Steps(), "no event after the halt")
}
