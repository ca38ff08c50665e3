package sim_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// echoPair makes n0 and n1 running the tiny echo guest, plus extra nodes.
func echoPair(t *testing.T, cfg sim.Config, extra ...sim.NodeSpec) *sim.Sim {
	t.Helper()
	s := newSim(t, cfg)
	require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
	require.NoError(t, s.LoadModule("counter", wasm(t, "counter")))
	_, err := s.AddNodes(sim.NodeSpec{Name: "n", Count: 2, Module: "echo"})
	require.NoError(t, err)
	for _, e := range extra {
		_, err := s.AddNodes(e)
		require.NoError(t, err)
	}
	require.NoError(t, s.Start())
	require.NoError(t, s.RunUntil(0))
	return s
}

type msgFate struct {
	from, to  int32
	label     string
	delivered int
	dropped   string
}

// fates follows every message of the trace from send to its end.
func fates(s *sim.Sim) map[uint64]*msgFate {
	out := map[uint64]*msgFate{}
	for _, e := range s.Events() {
		switch e.Kind {
		case trace.KindSend:
			out[e.Msg] = &msgFate{from: e.Node, to: e.Peer, label: string(e.Data)}
		case trace.KindDeliver:
			out[e.Msg].delivered++
		case trace.KindDrop:
			out[e.Msg].dropped = e.Label
		}
	}
	return out
}

func TestPartitionOneWay(t *testing.T) {
	s := echoPair(t, sim.NewConfig())
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.PartitionOneWay, From: []string{"n0"}, To: []string{"n1"}}))
	s.At(time.Millisecond, func() {
		s.Send(0, 1, []byte("a->b"))
		s.Send(1, 0, []byte("b->a"))
	})
	require.NoError(t, s.RunFor(10*time.Millisecond))
	f := fates(s)
	require.Len(t, f, 3, "a->b, b->a, and n0's echo of b->a")
	assert.Equal(t, "partition", f[1].dropped, "a->b is cut")
	assert.Equal(t, 1, f[2].delivered, "b->a arrives")
	assert.Equal(t, &msgFate{from: 0, to: 1, label: "b->a", dropped: "partition"}, f[3], "n0's echo back to n1 is cut too")

	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Repair}))
	s.At(s.Now()+time.Millisecond, func() { s.Send(0, 1, []byte("healed")) })
	require.NoError(t, s.RunFor(10*time.Millisecond))
	assert.Equal(t, 1, fates(s)[4].delivered)
}

func TestPartitionSymmetric(t *testing.T) {
	s := echoPair(t, sim.NewConfig())
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Partition, Groups: [][]string{{"n0"}, {"n1"}}}))
	s.At(time.Millisecond, func() {
		s.Send(0, 1, []byte("x"))
		s.Send(1, 0, []byte("y"))
	})
	require.NoError(t, s.RunFor(10*time.Millisecond))
	f := fates(s)
	assert.Equal(t, "partition", f[1].dropped)
	assert.Equal(t, "partition", f[2].dropped)
}

func TestHoldThenReleaseDeliversInHeldOrder(t *testing.T) {
	s := echoPair(t, sim.NewConfig().WithNetwork(netsim.Link{Latency: netsim.Uniform(time.Millisecond, 20*time.Millisecond)}))
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Hold, From: []string{"n0"}, To: []string{"n1"}}))
	s.At(time.Millisecond, func() {
		for _, p := range []string{"m1", "m2", "m3", "m4", "m5"} {
			s.Send(0, 1, []byte(p))
		}
	})
	require.NoError(t, s.RunFor(100*time.Millisecond))
	held := s.Held()
	require.Len(t, held, 5)
	var heldOrder []uint64
	for _, h := range held {
		assert.Equal(t, "n0", h.From)
		assert.Equal(t, "n1", h.To)
		heldOrder = append(heldOrder, h.ID)
	}
	assert.NotEqual(t, []uint64{1, 2, 3, 4, 5}, heldOrder, "random latency reordered them on the way")
	for _, e := range s.Events() {
		assert.False(t, e.Kind == trace.KindDeliver && e.Node == 1, "nothing reaches n1 while held")
	}

	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Release, From: []string{"n0"}, To: []string{"n1"}}))
	require.NoError(t, s.RunFor(time.Millisecond))
	var delivered []uint64
	for _, e := range s.Events() {
		if e.Kind == trace.KindDeliver && e.Node == 1 {
			delivered = append(delivered, e.Msg)
		}
	}
	assert.Equal(t, heldOrder, delivered)
	assert.Empty(t, s.Held())
}

func TestPauseFreezesTimersAndQueuesMessages(t *testing.T) {
	s := echoPair(t, sim.NewConfig(), sim.NodeSpec{Name: "c", Module: "counter"})
	require.NoError(t, s.RunUntil(150*time.Millisecond)) // tick at 100
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Pause, Node: "c"}))
	s.At(200*time.Millisecond, func() { s.Send(0, 2, []byte("while paused")) })
	require.NoError(t, s.RunUntil(450*time.Millisecond))
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Resume, Node: "c"}))
	require.NoError(t, s.RunUntil(650*time.Millisecond))

	ms := int64(time.Millisecond)
	var ticks []int64
	var arrived int64 = -1
	for _, e := range s.Events() {
		if e.Kind == trace.KindEmit && e.Label == "tick" {
			ticks = append(ticks, e.Time)
		}
		if e.Kind == trace.KindDeliver && e.Node == 2 {
			arrived = e.Time
		}
	}
	// The 200 ms tick was 50 ms away when the pause began: it fires 50 ms
	// after the resume at 450 ms.
	assert.Equal(t, []int64{100 * ms, 500 * ms, 600 * ms}, ticks)
	assert.Equal(t, 450*ms, arrived, "the message waited for the resume")
}

func TestClockSkewIsVisibleToTheGuest(t *testing.T) {
	s := echoPair(t, sim.NewConfig(), sim.NodeSpec{Name: "c", Module: "counter"})
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Skew, Node: "c", By: 5 * time.Second}))
	require.NoError(t, s.RunUntil(150*time.Millisecond))
	for _, e := range s.Events() {
		if e.Kind == trace.KindEmit && e.Label == "tick" {
			assert.Equal(t, e.Time+int64(5*time.Second), int64(binary.LittleEndian.Uint64(e.Data)))
			return
		}
	}
	t.Fatal("no tick")
}

func TestDuplicationDeliversTwice(t *testing.T) {
	s := echoPair(t, sim.NewConfig())
	require.NoError(t, s.Network().SetLink(0, 1, netsim.Link{Latency: netsim.Constant(time.Millisecond), Duplicate: 1}))
	s.At(time.Millisecond, func() { s.Send(0, 1, []byte("twice")) })
	require.NoError(t, s.RunUntil(2500*time.Microsecond))
	f := fates(s)
	assert.Equal(t, 2, f[1].delivered)
	assert.Equal(t, uint64(1), s.Stats().Duplicated)
	require.Len(t, f, 3, "n1 echoed both copies")
	assert.Equal(t, "twice", f[2].label)
	assert.Equal(t, "twice", f[3].label)
}

func TestFilters(t *testing.T) {
	s := echoPair(t, sim.NewConfig())
	id, err := s.AddFilter(fault.Filter{Type: "vote", From: "n0", Kind: fault.Drop})
	require.NoError(t, err)
	_, err = s.AddFilter(fault.Filter{Type: "slow", Kind: fault.Delay, Delay: 30 * time.Millisecond})
	require.NoError(t, err)
	_, err = s.AddFilter(fault.Filter{Kind: fault.Hold, Type: "held"})
	require.NoError(t, err)
	_, err = s.AddFilter(fault.Filter{Kind: fault.Drop, From: "nobody"})
	assert.ErrorContains(t, err, `unknown node or client "nobody"`)
	_, err = s.AddFilter(fault.Filter{Kind: fault.Pause})
	assert.EqualError(t, err, `sim: fault: filter: unknown kind "pause" (known: drop, delay, duplicate, hold)`)
	_, err = s.AddFilter(fault.Filter{Kind: fault.Delay})
	assert.EqualError(t, err, "sim: fault: filter: delay action needs a positive Delay")

	s.At(time.Millisecond, func() {
		s.Send(0, 1, []byte(`{"type":"vote"}`))
		s.Send(0, 1, []byte(`{"type":"slow"}`))
		s.Send(0, 1, []byte(`{"type":"held"}`))
	})
	require.NoError(t, s.RunFor(100*time.Millisecond))
	f := fates(s)
	assert.Equal(t, "filter", f[1].dropped)
	assert.Len(t, s.Held(), 1)
	var slowAt int64
	for _, e := range s.Events() {
		if e.Kind == trace.KindDeliver && e.Msg == 2 {
			slowAt = e.Time
		}
	}
	assert.Equal(t, int64(32*time.Millisecond), slowAt, "1 ms send + 1 ms latency + 30 ms filter delay")
	assert.True(t, s.RemoveFilter(id))
	assert.False(t, s.RemoveFilter(id))
}

func TestBounceKeepsStoreAndRestarts(t *testing.T) {
	s := echoPair(t, sim.NewConfig(), sim.NodeSpec{Name: "c", Module: "counter"})
	require.NoError(t, s.RunUntil(50*time.Millisecond))
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Bounce, Node: "c"}))
	assert.Equal(t, 2, s.Node("c").Incarnation())
	v, ok, err := s.Node("c").Get([]byte("boots"))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint32(2), binary.LittleEndian.Uint32(v))
}

// Determinism holds with every fault enabled.
func TestDeterminismWithEveryFault(t *testing.T) {
	run := func(seed uint64) string {
		link := netsim.Link{Latency: netsim.Normal(5*time.Millisecond, 2*time.Millisecond), Loss: 0.05, Duplicate: 0.1, Reorder: 0.2}
		s := echoPair(t, sim.NewConfig().WithSeed(seed).WithNetwork(link).WithLoseUnsynced(true),
			sim.NodeSpec{Name: "c", Count: 2, Module: "counter"}, sim.NodeSpec{Name: "e", Count: 2, Module: "echo"})
		require.NoError(t, s.Network().SetLink(4, 5, netsim.Link{Latency: netsim.Exponential(time.Millisecond, 3*time.Millisecond)}))
		for i := int32(0); i < 6; i += 2 {
			a := i
			s.At(0, func() { s.Send(a, a+1, []byte("ping")) })
		}
		_, err := s.AddFilter(fault.Filter{From: "e0", Kind: fault.Delay, Delay: 7 * time.Millisecond})
		require.NoError(t, err)
		s.At(100*time.Millisecond, func() {
			require.NoError(t, s.Apply(fault.Fault{Kind: fault.Partition, Groups: [][]string{{"n0"}, {"n1"}}}))
		})
		s.At(150*time.Millisecond, func() {
			require.NoError(t, s.Apply(fault.Fault{Kind: fault.PartitionOneWay, From: []string{"e0"}, To: []string{"e1"}}))
		})
		s.At(200*time.Millisecond, func() { require.NoError(t, s.Apply(fault.Fault{Kind: fault.Repair})) })
		s.At(220*time.Millisecond, func() {
			require.NoError(t, s.Apply(fault.Fault{Kind: fault.Hold, From: []string{"*"}, To: []string{"n1"}}))
		})
		s.At(260*time.Millisecond, func() {
			require.NoError(t, s.Apply(fault.Fault{Kind: fault.Release, From: []string{"*"}, To: []string{"n1"}}))
		})
		s.At(300*time.Millisecond, func() { require.NoError(t, s.Apply(fault.Fault{Kind: fault.Pause, Node: "c0"})) })
		s.At(350*time.Millisecond, func() { require.NoError(t, s.Apply(fault.Fault{Kind: fault.Crash, Node: "c1"})) })
		s.At(400*time.Millisecond, func() { require.NoError(t, s.Apply(fault.Fault{Kind: fault.Resume, Node: "c0"})) })
		s.At(420*time.Millisecond, func() { require.NoError(t, s.Apply(fault.Fault{Kind: fault.Restart, Node: "c1"})) })
		s.At(450*time.Millisecond, func() { require.NoError(t, s.Apply(fault.Fault{Kind: fault.Skew, Node: "c0", By: -time.Second})) })
		s.At(480*time.Millisecond, func() { require.NoError(t, s.Apply(fault.Fault{Kind: fault.Bounce, Node: "e1"})) })
		require.NoError(t, s.RunUntil(time.Second))
		assert.Positive(t, s.Stats().Duplicated)
		assert.Positive(t, s.Stats().Dropped)
		return s.Digest()
	}
	a, b := run(11), run(11)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, run(12))
}
