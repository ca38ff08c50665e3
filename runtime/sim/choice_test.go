package sim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// recorder is a chooser that takes pick(p) and keeps the decisions it
// took, as a search does.
type recorder struct {
	pick  func(p sim.Point) int
	sched schedule.Schedule
	kinds map[sim.PointKind]int
}

func (r *recorder) Choose(p sim.Point) int {
	if r.kinds == nil {
		r.kinds = map[sim.PointKind]int{}
	}
	r.kinds[p.Kind]++
	i := r.pick(p)
	if i > 0 && i < len(p.Options) {
		r.sched = append(r.sched, p.Options[i].Decision)
	}
	return i
}

// race runs two relays, n0 and n1, that a client pokes at time 0; each
// forwards one message to n2, and both arrive at one instant. It returns
// what n2 received, in order, and the digest.
func race(t *testing.T, link netsim.Link, c sim.Chooser, opts sim.ChoiceOptions) ([]string, string) {
	t.Helper()
	s, err := sim.New(context.Background(), sim.NewConfig().WithNetwork(link))
	require.NoError(t, err)
	return raceOn(t, s, c, opts)
}

// raceOn runs race's nodes on s.
func raceOn(t *testing.T, s *sim.Sim, c sim.Chooser, opts ...sim.ChoiceOptions) ([]string, string) {
	t.Helper()
	t.Cleanup(func() { _ = s.Close() })
	var got []string
	relay := func(word string) func(abi.Host, int32, []byte) {
		return func(h abi.Host, _ int32, _ []byte) { h.Send(2, []byte(word)) }
	}
	for i, fn := range []func(abi.Host, int32, []byte){relay("a"), relay("b"), func(_ abi.Host, _ int32, msg []byte) { got = append(got, string(msg)) }} {
		_, err := s.AddNodes(sim.NodeSpec{Name: []string{"n0", "n1", "n2"}[i], Native: fn})
		require.NoError(t, err)
	}
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	if c != nil {
		s.SetChooser(c, append(opts, sim.ChoiceOptions{})[0])
	}
	s.At(0, func() {
		for _, to := range []string{"n0", "n1"} {
			require.NoError(t, cl[0].Call(to, map[string]any{"type": "go"}, 0, func(history.Reply) {}))
		}
	})
	require.NoError(t, s.RunUntil(10*time.Millisecond))
	return got, s.Digest()
}

var constant = netsim.Link{Latency: netsim.Constant(time.Millisecond)}

// With no chooser, or one that always takes the default, the run is the
// seed's own; a chooser that takes the last option reverses the race, and
// replaying what it decided gives its run again, digest for digest.
func TestChooserOrderAndReplay(t *testing.T) {
	base, digest := race(t, constant, nil, sim.ChoiceOptions{})
	require.Equal(t, []string{"a", "b"}, base)
	_, same := race(t, constant, &recorder{pick: func(sim.Point) int { return 0 }}, sim.ChoiceOptions{Faults: true})
	assert.Equal(t, digest, same, "default choices are the seed's run")

	last := &recorder{pick: func(p sim.Point) int {
		if p.Options[0].Node == 2 { // the race at n2
			return len(p.Options) - 1
		}
		return 0
	}}
	got, flipped := race(t, constant, last, sim.ChoiceOptions{})
	assert.Equal(t, []string{"b", "a"}, got)
	assert.NotEqual(t, digest, flipped)
	require.NotEmpty(t, last.sched)
	for _, d := range last.sched {
		assert.Equal(t, schedule.Order, d.Kind)
	}
	again, replayed := race(t, constant, sim.Replay(last.sched), sim.ChoiceOptions{})
	assert.Equal(t, got, again)
	assert.Equal(t, flipped, replayed)
}

// A message is dropped or duplicated by choice only where its link may
// lose or duplicate messages.
func TestChooserFate(t *testing.T) {
	dropAll := func(kind schedule.Kind) *recorder {
		return &recorder{pick: func(p sim.Point) int {
			for i, o := range p.Options {
				if o.Decision.Kind == kind {
					return i
				}
			}
			return 0
		}}
	}
	r := dropAll(schedule.Drop)
	got, _ := race(t, constant, r, sim.ChoiceOptions{})
	assert.Equal(t, []string{"a", "b"}, got, "a lossless link offers no drop")
	assert.Zero(t, r.kinds[sim.PointFate])

	lossy := constant
	lossy.Loss = 1e-9 // a link that may lose, though its dice never do here
	got, _ = race(t, lossy, dropAll(schedule.Drop), sim.ChoiceOptions{})
	assert.Empty(t, got, "every message dropped by choice")

	dup := constant
	dup.Duplicate = 1e-9
	r = dropAll(schedule.Duplicate)
	got, digest := race(t, dup, r, sim.ChoiceOptions{})
	assert.Equal(t, []string{"a", "a", "a", "a", "b", "b", "b", "b"}, got, "the pokes and the relays, twice each")
	_, replayed := race(t, dup, sim.Replay(r.sched), sim.ChoiceOptions{})
	assert.Equal(t, digest, replayed)
}

// A crash chosen before an event is a fault in the trace, as a pinned one
// would be, and n2 misses what arrives while it is down.
func TestChooserCrash(t *testing.T) {
	r := &recorder{pick: func(p sim.Point) int {
		if p.Kind == sim.PointFault && p.Step == 6 {
			for i, o := range p.Options {
				if o.Decision == (schedule.Decision{Kind: schedule.Crash, Step: 6, Node: "n2"}) {
					return i
				}
			}
		}
		return 0
	}}
	got, digest := race(t, constant, r, sim.ChoiceOptions{Faults: true})
	assert.Empty(t, got)
	assert.Equal(t, schedule.Schedule{{Kind: schedule.Crash, Step: 6, Node: "n2"}}, r.sched)
	_, replayed := race(t, constant, sim.Replay(r.sched), sim.ChoiceOptions{Faults: true})
	assert.Equal(t, digest, replayed)

}

// Under latency jitter a chooser may deliver a message before one due
// earlier (here: when the other message to n2 is next), as soon as its link's least latency allows: the race at n2 goes
// the other way, the decision is an order pick past the events due at
// the instant, and replaying it gives the run again, digest for digest.
// Taking the default everywhere is the seed's own run.
func TestChooserReordersUnderJitter(t *testing.T) {
	jitter := netsim.Link{Latency: netsim.Uniform(time.Millisecond, 4*time.Millisecond)}
	reversed := 0
	for seed := uint64(1); seed <= 12; seed++ {
		run := func(c sim.Chooser) ([]string, string) {
			t.Helper()
			s, err := sim.New(context.Background(), sim.NewConfig().WithNetwork(jitter).WithSeed(seed))
			require.NoError(t, err)
			return raceOn(t, s, c)
		}
		base, digest := run(nil)
		require.Len(t, base, 2)
		_, same := run(&recorder{pick: func(sim.Point) int { return 0 }})
		assert.Equal(t, digest, same, "seed %d: default choices are the seed's run", seed)
		var early []string
		rec := &recorder{pick: func(p sim.Point) int {
			for i, o := range p.Options {
				if p.Options[0].Node == 2 && o.Node == 2 && strings.Contains(o.Label, " early (due ") {
					early = append(early, o.Label)
					return i
				}
			}
			return 0
		}}
		got, moved := run(rec)
		if len(early) == 0 {
			continue // the two messages' ranges never met
		}
		reversed++
		assert.Equal(t, []string{base[1], base[0]}, got, "seed %d: %v", seed, early)
		require.Len(t, rec.sched, 1)
		assert.Equal(t, schedule.Order, rec.sched[0].Kind)
		again, replayed := run(sim.Replay(rec.sched))
		assert.Equal(t, got, again)
		assert.Equal(t, moved, replayed, "seed %d: the reorder replays", seed)
	}
	assert.Positive(t, reversed, "some seed lets the later message overtake")
}
