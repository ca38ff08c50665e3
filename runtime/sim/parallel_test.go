package sim_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// gossipWAT forwards every message it gets to a random one of the first 12
// nodes, writes it to its store, and on a timer (0 to 3 ms, a third of
// them 0) emits "k" with no data and sends a new one; it emits "rc" with
// send's result and the time.
const gossipWAT = `(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (import "terrarium" "timer_set" (func $tset (param i64) (result i64)))
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (import "terrarium" "rand" (func $rand (result i64)))
  (import "terrarium" "now" (func $now (result i64)))
  (import "terrarium" "kv_put" (func $put (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"type\":\"g\"}")
  (data (i32.const 16) "rc")
  (data (i32.const 24) "k")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func $pick (result i32) (i32.wrap_i64 (i64.rem_u (call $rand) (i64.const 12))))
  (func $fwd (param $p i32) (param $n i32)
    (i32.store (i32.const 32) (call $send (call $pick) (local.get $p) (local.get $n)))
    (i64.store (i32.const 36) (call $now))
    (call $emit (i32.const 16) (i32.const 2) (i32.const 32) (i32.const 12)))
  (func $arm (local $d i64)
    (local.set $d (i64.rem_u (call $rand) (i64.const 3000000)))
    (if (i64.lt_u (local.get $d) (i64.const 1000000)) (then (local.set $d (i64.const 0))))
    (drop (call $tset (local.get $d))))
  (func (export "on_init") (param i32 i32) (call $arm))
  (func (export "on_message") (param $from i32) (param $p i32) (param $n i32)
    (drop (call $put (i32.const 24) (i32.const 1) (local.get $p) (local.get $n)))
    (call $fwd (local.get $p) (local.get $n)))
  (func (export "on_timer") (param i64)
    (call $emit (i32.const 24) (i32.const 1) (i32.const 0) (i32.const 0))
    (call $fwd (i32.const 0) (i32.const 12))
    (call $arm)))`

// gossipRun runs 9 gossip nodes, a native echo node, a trapping node and
// a ticker over a lossy network with random latency (at least 1 ms) and
// faults, for d of virtual time.
func gossipRun(t *testing.T, cfg sim.Config, d time.Duration) (*sim.Sim, error) {
	t.Helper()
	s := newSim(t, cfg)
	g, err := testguests.Wat2Wasm([]byte(gossipWAT))
	require.NoError(t, err)
	require.NoError(t, s.LoadModule("gossip", g))
	require.NoError(t, s.LoadModule("trap", wasm(t, "trap")))
	require.NoError(t, s.LoadModule("ticker", wasm(t, "ticker")))
	_, err = s.AddNodes(sim.NodeSpec{Name: "g", Count: 9, Module: "gossip"})
	require.NoError(t, err)
	_, err = s.AddNodes(sim.NodeSpec{Name: "echo", Native: func(h abi.Host, from int32, msg []byte) { h.Send(from, msg) }})
	require.NoError(t, err)
	_, err = s.AddNodes(sim.NodeSpec{Name: "trap", Module: "trap"})
	require.NoError(t, err)
	_, err = s.AddNodes(sim.NodeSpec{Name: "tick", Module: "ticker"})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	require.NoError(t, s.Network().SetLink(0, 1, netsim.Link{Latency: netsim.Exponential(time.Millisecond, 4*time.Millisecond)}))
	apply := func(at time.Duration, f fault.Fault) {
		s.At(at, func() { require.NoError(t, s.Apply(f)) })
	}
	apply(40*time.Millisecond, fault.Fault{Kind: fault.Partition, Groups: [][]string{{"g0", "g1"}, {"g2", "g3"}}})
	apply(60*time.Millisecond, fault.Fault{Kind: fault.Pause, Node: "g4"})
	apply(70*time.Millisecond, fault.Fault{Kind: fault.Repair})
	apply(80*time.Millisecond, fault.Fault{Kind: fault.Resume, Node: "g4"})
	apply(90*time.Millisecond, fault.Fault{Kind: fault.Crash, Node: "g5"})
	apply(100*time.Millisecond, fault.Fault{Kind: fault.Restart, Node: "g5"})
	apply(110*time.Millisecond, fault.Fault{Kind: fault.Hold, From: []string{"*"}, To: []string{"g6"}})
	apply(120*time.Millisecond, fault.Fault{Kind: fault.Release, From: []string{"*"}, To: []string{"g6"}})
	_, err = s.AddFilter(fault.Filter{From: "g7", Kind: fault.Delay, Delay: 3 * time.Millisecond})
	require.NoError(t, err)
	return s, s.RunFor(d)
}

func gossipLink() netsim.Link {
	return netsim.Link{Latency: netsim.Uniform(time.Millisecond, 9*time.Millisecond), Loss: 0.2, Duplicate: 0.1, Reorder: 0.1}
}

// sameRun asserts two runs recorded the same events, digest and stats.
func sameRun(t *testing.T, a, b *sim.Sim) {
	t.Helper()
	require.Equal(t, len(a.Events()), len(b.Events()))
	for i, e := range a.Events() {
		if !assert.Equal(t, e, b.Events()[i], "event %d", i) {
			break
		}
	}
	assert.Equal(t, a.Digest(), b.Digest())
	sa, sb := a.Stats(), b.Stats()
	sa.Wall, sb.Wall = 0, 0
	assert.Equal(t, sa, sb)
	for i, n := range a.Nodes() {
		m := b.Nodes()[i]
		assert.Equal(t, n.State(), m.State(), n.Name())
		assert.Equal(t, n.CrashReason(), m.CrashReason(), n.Name())
		assert.Equal(t, n.Incarnation(), m.Incarnation(), n.Name())
	}
}

func TestWorkersGiveTheSameRun(t *testing.T) {
	cfg := sim.NewConfig().WithSeed(5).WithNetwork(gossipLink())
	one, err := gossipRun(t, cfg, 300*time.Millisecond)
	require.NoError(t, err)
	three, err := gossipRun(t, cfg.WithWorkers(3), 300*time.Millisecond)
	require.NoError(t, err)
	sameRun(t, one, three)
	st := one.Stats()
	assert.Greater(t, st.Delivered, uint64(2000))
	assert.Positive(t, st.Dropped)
	assert.Positive(t, st.Duplicated)
	assert.Positive(t, st.Crashes)

	p := three.Parallelism()
	t.Logf("%+v, %+v", p, st)
	assert.Positive(t, p.Windows)
	assert.Greater(t, p.ParallelEvents, p.SerialEvents, "%+v", p)
	assert.Zero(t, one.Parallelism().Windows)
	assert.Equal(t, st.Events, uint64(len(one.Events())))
}

func TestWorkersDoNotChangeTheInFlightQuota(t *testing.T) {
	// A cap of a few messages: sends fail with ErrnoQuota depending on
	// deliveries at other nodes, which workers cannot know.
	cfg := sim.NewConfig().WithSeed(9).WithNetwork(gossipLink()).WithMaxInFlightBytes(40)
	one, err := gossipRun(t, cfg, 200*time.Millisecond)
	require.NoError(t, err)
	two, err := gossipRun(t, cfg.WithWorkers(2), 200*time.Millisecond)
	require.NoError(t, err)
	sameRun(t, one, two)
	quota := 0
	for _, e := range one.Events() {
		if e.Kind == trace.KindEmit && e.Label == "rc" && int32(uint32(e.Data[0])|uint32(e.Data[1])<<8|uint32(e.Data[2])<<16|uint32(e.Data[3])<<24) == abi.ErrnoQuota {
			quota++
		}
	}
	assert.Positive(t, quota, "the cap must refuse some sends")
	assert.Positive(t, two.Parallelism().Stalls)
	t.Logf("%+v, %d refused", two.Parallelism(), quota)
}

func TestWorkersHitTheEventCapAtTheSameEvent(t *testing.T) {
	two := sameCapStop(t, sim.NewConfig().WithSeed(3).WithNetwork(gossipLink()).WithMaxEvents(5000))
	assert.Positive(t, two.Parallelism().Windows)
}

// sameCapStop runs cfg on one worker and on two: both must stop on the same
// cap, at the same event, with the same run. It returns the two-worker run.
func sameCapStop(t *testing.T, cfg sim.Config) *sim.Sim {
	t.Helper()
	one, err1 := gossipRun(t, cfg, time.Second)
	two, err2 := gossipRun(t, cfg.WithWorkers(2), time.Second)
	var l1, l2 *sim.LimitError
	require.True(t, errors.As(err1, &l1), "%v", err1)
	require.True(t, errors.As(err2, &l2), "%v", err2)
	assert.Equal(t, *l1, *l2)
	sameRun(t, one, two)
	return two
}

func TestZeroLookaheadFallsBackToOneWorker(t *testing.T) {
	link := gossipLink()
	link.Latency = netsim.Uniform(0, 9*time.Millisecond)
	cfg := sim.NewConfig().WithSeed(5).WithNetwork(link)
	one, err := gossipRun(t, cfg, 100*time.Millisecond)
	require.NoError(t, err)
	three, err := gossipRun(t, cfg.WithWorkers(3), 100*time.Millisecond)
	require.NoError(t, err)
	sameRun(t, one, three)
	p := three.Parallelism()
	assert.Zero(t, p.Windows)
	assert.Zero(t, p.ParallelEvents)
	assert.Positive(t, p.ZeroLookahead)
	assert.Equal(t, three.Stats().Events, uint64(len(three.Events())))
}

func TestZeroLatencyLinkFallsBackToOneWorker(t *testing.T) {
	cfg := sim.NewConfig().WithSeed(5).WithNetwork(gossipLink()).WithWorkers(2)
	s := newSim(t, cfg)
	g, err := testguests.Wat2Wasm([]byte(gossipWAT))
	require.NoError(t, err)
	require.NoError(t, s.LoadModule("gossip", g))
	_, err = s.AddNodes(sim.NodeSpec{Name: "g", Count: 12, Module: "gossip"})
	require.NoError(t, err)
	require.NoError(t, s.RunFor(20*time.Millisecond))
	require.Positive(t, s.Parallelism().Windows)
	before := s.Parallelism()
	// One link, of all 144, with no delay: no window may open any more.
	require.NoError(t, s.Network().SetLink(3, 4, netsim.Link{Latency: netsim.Constant(0)}))
	require.NoError(t, s.RunFor(20*time.Millisecond))
	after := s.Parallelism()
	assert.Equal(t, before.Windows, after.Windows)
	assert.Greater(t, after.ZeroLookahead, before.ZeroLookahead)
	assert.Greater(t, after.SerialEvents, before.SerialEvents)
}

func TestWatchdogKeepsOneWorker(t *testing.T) {
	cfg := sim.NewConfig().WithSeed(5).WithNetwork(gossipLink()).WithWorkers(2)
	cfg = cfg.WithEngine(sim.Engine{Watchdog: time.Second})
	s, err := gossipRun(t, cfg, 50*time.Millisecond)
	require.NoError(t, err)
	p := s.Parallelism()
	assert.Zero(t, p.Windows)
	assert.True(t, strings.Contains(p.Fallback, "watchdog"), p.Fallback)
}

func TestWorkersStopAtTheCapWhileANodeIsStalled(t *testing.T) {
	// Stalls (in-flight quota) and a cap together: the commit may stop
	// before a stalled node's event, which must then be dropped cleanly.
	for _, cap := range []uint64{1500, 2500, 3500} {
		two := sameCapStop(t, sim.NewConfig().WithSeed(9).WithNetwork(gossipLink()).WithMaxInFlightBytes(40).WithMaxEvents(cap))
		assert.Positive(t, two.Parallelism().Stalls)
	}
}

func TestWorkersRefuseAnObserverThatSchedules(t *testing.T) {
	run := func(workers int) error {
		s := newSim(t, sim.NewConfig().WithSeed(5).WithNetwork(gossipLink()).WithWorkers(workers))
		g, err := testguests.Wat2Wasm([]byte(gossipWAT))
		require.NoError(t, err)
		require.NoError(t, s.LoadModule("gossip", g))
		_, err = s.AddNodes(sim.NodeSpec{Name: "g", Count: 12, Module: "gossip"})
		require.NoError(t, err)
		s.Observe(func(e trace.Event) {
			if e.Kind == trace.KindEmit && e.Time > int64(10*time.Millisecond) {
				s.At(s.Now(), func() {})
			}
		})
		return s.RunFor(30 * time.Millisecond)
	}
	require.NoError(t, run(1))
	err := run(2)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Observe callbacks must only read")
}

func TestWorkersWithGoAndCommandGuests(t *testing.T) {
	run := func(workers int) *sim.Sim {
		s := newSim(t, sim.NewConfig().WithSeed(4).WithNetwork(gossipLink()).WithWorkers(workers))
		require.NoError(t, s.LoadModule("gotimer", goGuest(t, "../../internal/testguests/gotimer")))
		require.NoError(t, s.LoadModule("cmd", goGuest(t, "../../internal/testguests/cmdguest")))
		_, err := s.AddNodes(sim.NodeSpec{Name: "tick", Count: 4, Module: "gotimer", Role: "ticker"})
		require.NoError(t, err)
		_, err = s.AddNodes(sim.NodeSpec{Name: "sleeper", Count: 4, Module: "cmd"})
		require.NoError(t, err)
		cl, err := s.AddClients(2)
		require.NoError(t, err)
		require.NoError(t, s.Start())
		s.At(0, func() {
			for i := range 40 {
				to := "sleeper" + string(rune('0'+i%4))
				require.NoError(t, cl[i%2].Call(to, map[string]any{"type": "sleep", "ms": (i * 37) % 300}, 0, func(history.Reply) {}))
				require.NoError(t, cl[i%2].Call(to, map[string]any{"type": "send", "to": "sleeper" + string(rune('0'+(i+1)%4))}, 0, func(history.Reply) {}))
			}
		})
		require.NoError(t, s.RunUntil(time.Second))
		return s
	}
	one, two := run(1), run(2)
	sameRun(t, one, two)
	assert.Positive(t, two.Parallelism().Windows, "%+v", two.Parallelism())
	t.Logf("%+v", two.Parallelism())
}

func TestWorkersGiveTheSameRunWithManyNodes(t *testing.T) {
	const n = 64
	src := strings.Replace(gossipWAT, "(i64.const 12)", fmt.Sprintf("(i64.const %d)", n), 1)
	g, err := testguests.Wat2Wasm([]byte(src))
	require.NoError(t, err)
	run := func(workers int) *sim.Sim {
		link := netsim.Link{Latency: netsim.Exponential(2*time.Millisecond, 5*time.Millisecond), Loss: 0.3, Duplicate: 0.05, Reorder: 0.05}
		s := newSim(t, sim.NewConfig().WithSeed(21).WithNetwork(link).WithWorkers(workers))
		require.NoError(t, s.LoadModule("gossip", g))
		_, err := s.AddNodes(sim.NodeSpec{Name: "g", Count: n, Module: "gossip"})
		require.NoError(t, err)
		require.NoError(t, s.RunFor(100*time.Millisecond))
		return s
	}
	one, three := run(1), run(3)
	sameRun(t, one, three)
	assert.Greater(t, one.Stats().Delivered, uint64(5000))
	p := three.Parallelism()
	assert.Greater(t, p.ParallelEvents, 10*p.SerialEvents, "%+v", p)
	t.Logf("%+v %+v", p, one.Stats())
}

func TestNodeViewsBeforeStart(t *testing.T) {
	s := newSim(t, sim.NewConfig())
	require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
	_, err := s.AddNodes(sim.NodeSpec{Name: "n", Count: 2, Module: "echo"})
	require.NoError(t, err)
	for _, n := range s.Nodes() {
		assert.Equal(t, nodes.Down, n.State())
		assert.Zero(t, n.Incarnation())
		assert.Empty(t, n.CrashReason())
	}
	require.NoError(t, s.RunFor(time.Millisecond))
	for _, n := range s.Nodes() {
		assert.Equal(t, nodes.Running, n.State())
		assert.Equal(t, 1, n.Incarnation())
	}
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Crash, Node: "n1"}))
	assert.Equal(t, nodes.Crashed, s.Node("n1").State())
	assert.Equal(t, "fault: crash", s.Node("n1").CrashReason())
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Restart, Node: "n1"}))
	assert.Equal(t, nodes.Running, s.Node("n1").State())
	assert.Equal(t, 2, s.Node("n1").Incarnation())
	assert.Empty(t, s.Node("n1").CrashReason())
}
