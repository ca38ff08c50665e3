package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/history"
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

// stateOf runs a pair of echo nodes and a client through setup and
// 300 ms, then returns the state hash.
func stateOf(t *testing.T, setup func(s *sim.Sim)) [32]byte {
	t.Helper()
	s := newSim(t, sim.NewConfig())
	require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
	_, err := s.AddNodes(sim.NodeSpec{Name: "n", Count: 2, Module: "echo"})
	require.NoError(t, err)
	_, err = s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	require.NoError(t, s.RunUntil(0))
	setup(s)
	require.NoError(t, s.RunUntil(300*time.Millisecond))
	h, err := s.StateHash()
	require.NoError(t, err)
	return h
}

// A message held on a link, one parked at a paused node and a client's
// call awaiting a reply are each in the state: runs that differ only
// there hash apart, and runs that do not hash alike.
func TestStateHashSeesHeldParkedAndPending(t *testing.T) {
	hold := func(s *sim.Sim) {
		require.NoError(t, s.Apply(fault.Fault{Kind: fault.Hold, From: []string{"n0"}, To: []string{"n1"}}))
	}
	held := func(s *sim.Sim) { hold(s); s.At(time.Millisecond, func() { s.Send(0, 1, []byte("held")) }) }
	assert.Equal(t, stateOf(t, held), stateOf(t, held), "one state, one hash")
	assert.NotEqual(t, stateOf(t, hold), stateOf(t, held), "a held message")

	pause := func(s *sim.Sim) { require.NoError(t, s.Apply(fault.Fault{Kind: fault.Pause, Node: "n1"})) }
	parked := func(s *sim.Sim) { pause(s); s.At(time.Millisecond, func() { s.Send(0, 1, []byte("parked")) }) }
	assert.Equal(t, stateOf(t, parked), stateOf(t, parked))
	assert.NotEqual(t, stateOf(t, pause), stateOf(t, parked), "a message parked at a paused node")

	crash := func(s *sim.Sim) {
		require.NoError(t, s.Apply(fault.Fault{Kind: fault.Crash, Node: "n1"}))
	}
	call := func(s *sim.Sim) {
		crash(s)
		s.At(time.Millisecond, func() {
			require.NoError(t, s.Clients()[0].Call("n1", map[string]any{"type": "echo"}, 0, func(history.Reply) {}))
		})
	}
	assert.Equal(t, stateOf(t, call), stateOf(t, call))
	assert.NotEqual(t, stateOf(t, crash), stateOf(t, call), "a client's call awaiting its reply")
}
