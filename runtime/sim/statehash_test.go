package sim_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// Two interleavings that reach one state hash alike, whatever their
// events' sequence numbers: the relays poked in either order queue the
// same two messages for n2, so the race at n2 has one state in both runs;
// and states that differ hash apart.
func TestStateHashIgnoresTheOrderThatReachedIt(t *testing.T) {
	atRace := func(flipRelays bool) (race, first [32]byte, digest string) {
		var seen [][32]byte
		c := &recorder{pick: func(p sim.Point) int {
			h, err := p.State()
			require.NoError(t, err)
			seen = append(seen, h)
			if p.Options[0].Node == 2 {
				race = h
			}
			if flipRelays && p.Options[0].Node != 2 {
				return len(p.Options) - 1
			}
			return 0
		}}
		got, digest := raceWith(t, c)
		require.NotEmpty(t, got)
		require.NotEmpty(t, seen)
		return race, seen[0], digest
	}
	race, first, digest := atRace(false)
	flipped, _, other := atRace(true)
	assert.NotEqual(t, digest, other, "the relays ran in the other order")
	assert.Equal(t, race, flipped, "one state, reached in two orders")
	assert.NotEqual(t, first, race, "the relays' race is another state")
}

// raceWith runs race with the chooser over a constant latency.
func raceWith(t *testing.T, c sim.Chooser) ([]string, string) {
	return race(t, constant, c, sim.ChoiceOptions{})
}
