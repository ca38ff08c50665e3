package sim_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func wasm(t testing.TB, name string) []byte {
	t.Helper()
	b, err := testguests.Wasm(name)
	require.NoError(t, err)
	return b
}

func newSim(t testing.TB, cfg sim.Config) *sim.Sim {
	t.Helper()
	e := cfg.Engine()
	e.CacheDir = t.TempDir()
	s, err := sim.New(context.Background(), cfg.WithEngine(e).WithLimits(limits.Limits{Fuel: 10_000_000}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// pingPong bounces one message between pairs of tiny echo nodes.
func pingPong(t testing.TB, cfg sim.Config, pairs int, d time.Duration) *sim.Sim {
	s := newSim(t, cfg)
	require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
	_, err := s.AddNodes(sim.NodeSpec{Name: "n", Count: 2 * pairs, Module: "echo"})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	for i := 0; i < pairs; i++ {
		a := int32(2 * i)
		s.At(0, func() { s.Send(a, a+1, []byte(`{"type":"ping"}`)) })
	}
	require.NoError(t, s.RunFor(d))
	return s
}

func TestDeterminismSameSeedSameDigest(t *testing.T) {
	cfg := sim.NewConfig().WithSeed(42).WithNetwork(netsim.Link{Latency: netsim.Uniform(time.Millisecond, 9*time.Millisecond), Loss: 0.01})
	a := pingPong(t, cfg, 3, time.Second)
	b := pingPong(t, cfg, 3, time.Second)
	assert.Equal(t, a.Digest(), b.Digest())
	assert.Greater(t, a.Stats().Delivered, uint64(100))

	c := pingPong(t, cfg.WithSeed(43), 3, time.Second)
	assert.NotEqual(t, a.Digest(), c.Digest(), "a different seed must change a run with random latency")
}

func TestIsolationBrokenGuestsCrashOnlyTheirNode(t *testing.T) {
	cases := []struct {
		module string
		reason string
	}{
		{"trap", "unreachable"},
		{"spin", "cpu budget exhausted"},
		{"hog", "memory limit"},
		{"badptr", "abi violation: send: range [65000, 69096) is outside memory"},
	}
	for _, tc := range cases {
		t.Run(tc.module, func(t *testing.T) {
			s := newSim(t, sim.NewConfig().WithLimits(limits.Limits{MemoryPages: 64}))
			require.NoError(t, s.LoadModule("bad", wasm(t, tc.module)))
			require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
			_, err := s.AddNodes(sim.NodeSpec{Name: "bad", Module: "bad"})
			require.NoError(t, err)
			_, err = s.AddNodes(sim.NodeSpec{Name: "good", Count: 2, Module: "echo"})
			require.NoError(t, err)
			require.NoError(t, s.Start())
			s.At(time.Millisecond, func() {
				s.Send(1, 0, []byte("hello"))
				s.Send(1, 2, []byte("ping"))
			})
			require.NoError(t, s.RunFor(time.Second))

			bad := s.Node("bad")
			assert.Equal(t, nodes.Crashed, bad.State())
			assert.Contains(t, bad.CrashReason(), tc.reason)
			assert.Equal(t, nodes.Running, s.Node("good0").State())
			assert.Equal(t, nodes.Running, s.Node("good1").State())
			assert.Greater(t, s.Stats().Delivered, uint64(100), "the good pair keeps bouncing after the crash")
			var crash *trace.Event
			for i, e := range s.Events() {
				if e.Kind == trace.KindCrash {
					crash = &s.Events()[i]
				}
			}
			require.NotNil(t, crash, "the crash is in the trace")
			assert.Contains(t, string(crash.Data), tc.reason)
		})
	}
}

func TestStoreSurvivesCrashTimersDoNot(t *testing.T) {
	s := newSim(t, sim.NewConfig())
	require.NoError(t, s.LoadModule("counter", wasm(t, "counter")))
	_, err := s.AddNodes(sim.NodeSpec{Name: "n", Module: "counter"})
	require.NoError(t, err)
	require.NoError(t, s.RunUntil(250*time.Millisecond)) // ticks at 100, 200
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Crash, Node: "n"}))
	require.NoError(t, s.RunUntil(1000*time.Millisecond)) // no ticks while down
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Restart, Node: "n"}))
	require.NoError(t, s.RunUntil(1150*time.Millisecond)) // one tick at 1100

	var ticks []int64
	for _, e := range s.Events() {
		if e.Kind == trace.KindEmit && e.Label == "tick" {
			ticks = append(ticks, int64(binary.LittleEndian.Uint64(e.Data)))
		}
	}
	ms := int64(time.Millisecond)
	assert.Equal(t, []int64{100 * ms, 200 * ms, 1100 * ms}, ticks, "the timer armed before the crash never fires")

	v, ok, err := s.Node("n").Get([]byte("boots"))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint32(2), binary.LittleEndian.Uint32(v), "the boot count survived the crash")
	assert.Equal(t, 2, s.Node("n").Incarnation())
}

func TestLoseUnsyncedDropsOnlyUnsyncedWrites(t *testing.T) {
	for _, lose := range []bool{false, true} {
		s := newSim(t, sim.NewConfig().WithLoseUnsynced(lose))
		require.NoError(t, s.LoadModule("counter", wasm(t, "counter")))
		require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
		_, err := s.AddNodes(sim.NodeSpec{Name: "n", Module: "counter"})
		require.NoError(t, err)
		_, err = s.AddNodes(sim.NodeSpec{Name: "peer", Module: "echo"})
		require.NoError(t, err)
		require.NoError(t, s.Start())
		s.At(10*time.Millisecond, func() { s.Send(1, 0, []byte("write")) })
		require.NoError(t, s.RunUntil(50*time.Millisecond))
		require.NoError(t, s.Apply(fault.Fault{Kind: fault.Crash, Node: "n"}))
		st := s.Node("n")
		_, ok, err := st.Get([]byte("unsynced"))
		require.NoError(t, err)
		assert.Equal(t, !lose, ok, "lose_unsynced=%v", lose)
		_, ok, err = st.Get([]byte("boots"))
		require.NoError(t, err)
		assert.True(t, ok, "synced writes always survive")
	}
}

func TestBadModulesRejectedNamingTheSymbol(t *testing.T) {
	s := newSim(t, sim.NewConfig())
	err := s.LoadModule("x", wasm(t, "noexport"))
	require.ErrorIs(t, err, wasmhost.ErrABI)
	assert.Contains(t, err.Error(), `missing export "on_message"`)
	err = s.LoadModule("y", wasm(t, "badimport"))
	require.ErrorIs(t, err, wasmhost.ErrABI)
	assert.Contains(t, err.Error(), "env.open_socket")
	err = s.LoadModule("z", []byte("not wasm"))
	require.Error(t, err)
}

func TestDeadlockReported(t *testing.T) {
	s := newSim(t, sim.NewConfig())
	require.NoError(t, s.LoadModule("trap", wasm(t, "trap")))
	_, err := s.AddNodes(sim.NodeSpec{Name: "n", Module: "trap"})
	require.NoError(t, err)
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	s.At(0, func() {
		require.NoError(t, cl[0].Call("n", map[string]any{"type": "echo"}, 0, func(history.Reply) {}))
	})
	err = s.RunUntilQuiescent(time.Minute)
	require.ErrorIs(t, err, sim.ErrDeadlock)
	assert.Contains(t, err.Error(), "c0 waits for n's reply to msg 1 (echo)")
}

func TestWatchdogIsABackstopThatMarksTheRun(t *testing.T) {
	s, err := sim.New(context.Background(), sim.NewConfig().WithEngine(
		sim.Engine{CacheDir: t.TempDir(), Unmetered: true, Watchdog: 200 * time.Millisecond}))
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.LoadModule("spin", wasm(t, "spin")))
	require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
	_, err = s.AddNodes(sim.NodeSpec{Name: "spin", Module: "spin"})
	require.NoError(t, err)
	_, err = s.AddNodes(sim.NodeSpec{Name: "echo", Module: "echo"})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	assert.True(t, s.Reproducible())
	s.At(time.Millisecond, func() { s.Send(1, 0, []byte("x")) })
	require.NoError(t, s.RunFor(time.Second))
	assert.Equal(t, nodes.Crashed, s.Node("spin").State())
	assert.Equal(t, "aborted by the wall-clock watchdog", s.Node("spin").CrashReason())
	assert.False(t, s.Reproducible())
	assert.Equal(t, nodes.Running, s.Node("echo").State())
}
