package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// dueChecker is a chooser that checks, at every order point, that Due
// listed the point's options before it was asked, and takes the default.
type dueChecker struct {
	t      *testing.T
	s      *sim.Sim
	points int
}

func (d *dueChecker) Choose(p sim.Point) int {
	if p.Kind == sim.PointOrder {
		d.points++
		assert.Equal(d.t, p.Options, d.s.Due(), "Due lists the order point's options at step %d", p.Step)
	}
	return 0
}

// Due lists what the next order point offers, and InFlight the messages
// queued, soonest first.
func TestDueAndInFlight(t *testing.T) {
	s, err := sim.New(context.Background(), sim.NewConfig().WithNetwork(constant))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	fan := func(h abi.Host, _ int32, _ []byte) {}
	for _, name := range []string{"n0", "n1", "n2"} {
		_, err := s.AddNodes(sim.NodeSpec{Name: name, Native: fan})
		require.NoError(t, err)
	}
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	assert.Empty(t, s.Due(), "nothing is queued yet")
	d := &dueChecker{t: t, s: s}
	s.SetChooser(d, sim.ChoiceOptions{})
	s.At(0, func() {
		for _, to := range []string{"n2", "n0", "n1"} {
			require.NoError(t, cl[0].Call(to, map[string]any{"type": "go"}, 0, func(history.Reply) {}))
		}
	})
	require.NoError(t, s.RunUntil(500*time.Microsecond))
	fl := s.InFlight(10)
	require.Len(t, fl, 3)
	for i, want := range []string{"n2", "n0", "n1"} {
		assert.Equal(t, time.Millisecond, fl[i].At)
		assert.Contains(t, fl[i].Option.Label, "→"+want+" #", "sent in this order, due in this order")
	}
	assert.Len(t, s.InFlight(2), 2, "InFlight stops at max")
	require.NoError(t, s.RunUntil(10*time.Millisecond))
	assert.Positive(t, d.points, "the deliveries tied")
	assert.Empty(t, s.InFlight(10))
}
