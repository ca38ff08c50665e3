package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// snapRun builds one of the snapshot tests' runs on base (its engine and
// pool), started and past its first instant.
type snapRun func(t testing.TB, base sim.Config) *sim.Sim

// testBase is a test's base configuration: an engine of its own.
func testBase(t testing.TB) sim.Config {
	return sim.NewConfig().WithEngine(sim.Engine{CacheDir: t.TempDir()})
}

// newRun is sim.New on cfg, closed when the test ends.
func newRun(t testing.TB, cfg sim.Config) *sim.Sim {
	s, err := sim.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// watRun: echo nodes bouncing a ping over a jittery link, a counter with
// timers and a store, and a held link; every stream of randomness in use.
func watRun(t testing.TB, base sim.Config) *sim.Sim {
	s := newRun(t, base.WithSeed(7).WithNetwork(netsim.Link{Latency: netsim.Uniform(time.Millisecond, 20*time.Millisecond)}))
	require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
	require.NoError(t, s.LoadModule("counter", wasm(t, "counter")))
	_, err := s.AddNodes(sim.NodeSpec{Name: "n", Count: 3, Module: "echo"})
	require.NoError(t, err)
	_, err = s.AddNodes(sim.NodeSpec{Name: "k", Module: "counter"})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Hold, From: []string{"n2"}, To: []string{"n0"}}))
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Pause, Node: "n1"}))
	s.At(0, func() {
		s.Send(0, 1, []byte(`{"type":"ping"}`))
		s.Send(2, 0, []byte(`{"type":"held"}`))
		s.Send(0, 3, []byte(`{"type":"poke"}`))
	})
	require.NoError(t, s.RunUntil(0))
	require.NoError(t, s.ApplyBefore(s.Steps()+40, 30*time.Millisecond, fault.Fault{Kind: fault.Resume, Node: "n1"}))
	return s
}

// goRun: two Go guests pinging each other, each reply decoded and sent by
// the Go runtime in a goroutine.
func goRun(t testing.TB, base sim.Config) *sim.Sim {
	s := newRun(t, base.WithSeed(3).WithNetwork(netsim.Link{Latency: netsim.Uniform(time.Millisecond, 5*time.Millisecond)}))
	require.NoError(t, s.LoadModule("pp", goGuest(t, "../../internal/testguests/gopingpong")))
	_, err := s.AddNodes(sim.NodeSpec{Name: "n", Count: 2, Module: "pp", Role: "goroutine-raw"})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	s.At(0, func() { s.Send(0, 1, []byte(`{"src":"n0","dest":"n1","body":{"type":"ping"}}`)) })
	require.NoError(t, s.RunUntil(0))
	return s
}

// end runs s to the end and returns its digest and state hash.
func end(t testing.TB, s *sim.Sim) (string, [32]byte) {
	t.Helper()
	require.NoError(t, s.RunUntil(400*time.Millisecond))
	h, err := s.StateHash()
	require.NoError(t, err)
	return s.Digest(), h
}

// A run snapshotted at event K and restored into a fresh simulation of
// its scenario goes on there as it went on where it was taken: the same
// final digest and state hash, for a WAT guest and a Go guest (whose
// runtime keeps its whole state in memory and globals between calls);
// and the snapshot restores twice alike.
func TestSnapshotRestoreContinuesTheRun(t *testing.T) {
	for name, build := range map[string]snapRun{"wat": watRun, "go": goRun} {
		t.Run(name, func(t *testing.T) {
			s := build(t, testBase(t))
			for range 25 {
				more, err := s.Step()
				require.NoError(t, err)
				require.True(t, more)
			}
			at := s.Digest()
			sn, err := s.Snapshot()
			require.NoError(t, err)
			digest, hash := end(t, s)
			require.NotEqual(t, at, digest, "the run went on")
			for range 2 {
				fresh := build(t, testBase(t))
				require.NotEqual(t, at, fresh.Digest())
				require.NoError(t, fresh.Restore(sn))
				assert.Equal(t, at, fresh.Digest(), "the trace's position")
				d, h := end(t, fresh)
				assert.Equal(t, digest, d)
				assert.Equal(t, hash, h)
			}
		})
	}
}

// What a snapshot cannot copy is refused by name: a host callback queued
// (a Go closure), a simulation not started; and a snapshot does not go
// into a simulation of another shape.
func TestSnapshotRefusesClosuresAndOtherShapes(t *testing.T) {
	s := newSim(t, sim.NewConfig())
	require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
	_, err := s.AddNodes(sim.NodeSpec{Name: "n", Count: 2, Module: "echo"})
	require.NoError(t, err)
	_, err = s.Snapshot()
	require.EqualError(t, err, "sim: snapshot: the simulation has not started")
	require.NoError(t, s.Start())
	require.NoError(t, s.RunUntil(0))
	s.At(time.Second, func() {})
	_, err = s.Snapshot()
	require.EqualError(t, err, "sim: snapshot: a host callback is queued at 1s (a workload's or a scheduled fault's action, or a call's timeout: a Go closure)")
	require.NoError(t, s.RunUntil(time.Second))
	sn, err := s.Snapshot()
	require.NoError(t, err)
	other := watRun(t, testBase(t))
	require.EqualError(t, other.Restore(sn), "sim: restore: a snapshot of 2 nodes and 0 clients into a simulation of 4 and 0")
}
