package sim_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
	"github.com/terrarium-sim/terrarium/runtime/wasmhost"
)

// cmdSim runs command guests (internal/testguests/cmdguest, a plain
// `go build` program) named by names.
func cmdSim(t *testing.T, w wasmhost.Config, seed uint64, names ...string) *sim.Sim {
	t.Helper()
	s, err := sim.New(context.Background(), sim.NewConfig().WithSeed(seed).WithWasm(w.WithCacheDir(t.TempDir())))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.LoadModule("cmd", goGuest(t, "../../internal/testguests/cmdguest")))
	for _, n := range names {
		_, err := s.AddNodes(sim.NodeSpec{Name: n, Module: "cmd"})
		require.NoError(t, err)
	}
	return s
}

func logs(s *sim.Sim, node string, label string) []string {
	idx, _ := s.Index(node)
	var out []string
	for _, e := range s.Events() {
		if e.Kind == trace.KindLog && e.Node == idx && e.Label == label {
			out = append(out, string(e.Data))
		}
	}
	return out
}

// Reference: docs/ABI.md, "Command guests": the program reads Maelstrom's
// init first, sleeps on the ordinary clock in virtual time, and its stdout
// lines are routed by dest.
func TestCommandGuestSleepsOnVirtualTime(t *testing.T) {
	s := cmdSim(t, wasmhost.NewConfig(), 1, "sleeper", "other")
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	var got []sim.Reply
	var at []time.Duration
	s.At(100*time.Millisecond, func() {
		for _, ms := range []int{70, 30} {
			require.NoError(t, cl[0].Call("sleeper", map[string]any{"type": "sleep", "ms": ms}, 0, func(r sim.Reply) {
				got = append(got, r)
				at = append(at, s.Now())
			}))
		}
	})
	require.NoError(t, s.RunUntil(time.Second))
	require.Len(t, got, 2)
	// Sent at 100 ms, delivered at 101 ms; the 30 ms sleeper answers first.
	assert.Equal(t, []time.Duration{132 * time.Millisecond, 172 * time.Millisecond}, at)
	for _, r := range got {
		assert.Equal(t, "sleep_ok", r.Type)
		var b map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &b))
		assert.Equal(t, "c0", b["src_seen"], "stdin's src is the sender's name as the host knows it")
	}
	assert.Equal(t, nodes.Running, s.Node("sleeper").State())
	initLog := logs(s, "sleeper", "stderr")
	require.NotEmpty(t, initLog)
	assert.Equal(t, `init from c-init: {"body":{"msg_id":1,"node_id":"sleeper","node_ids":["sleeper","other"],"type":"init"},"dest":"sleeper","src":"c-init"}`, initLog[0])
	for _, e := range s.Events() {
		assert.False(t, e.Kind == trace.KindSend && strings.Contains(string(e.Data), "init_ok"), "init_ok is swallowed by the host")
	}
}

func TestCommandGuestRoutesByDestAndDropsUnknownDest(t *testing.T) {
	s := cmdSim(t, wasmhost.NewConfig(), 1, "sleeper", "other")
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	var types []string
	s.At(10*time.Millisecond, func() {
		for _, to := range []string{"other", "nobody"} {
			require.NoError(t, cl[0].Call("sleeper", map[string]any{"type": "send", "to": to}, 0, func(r sim.Reply) { types = append(types, r.Type) }))
		}
	})
	require.NoError(t, s.RunUntil(time.Second))
	assert.Equal(t, []string{"send_ok", "send_ok"}, types)
	other, _ := s.Index("other")
	sent := map[int32]int{}
	for _, e := range s.Events() {
		if e.Kind == trace.KindSend && e.Label == "hello" {
			sent[e.Peer]++
		}
	}
	assert.Equal(t, map[int32]int{other: 1}, sent, "one hello, sent to other")
	warn := strings.Join(logs(s, "sleeper", "warn"), "\n")
	assert.Contains(t, warn, `stdout: dropping a message to unknown dest "nobody"`)
	assert.Equal(t, nodes.Running, s.Node("sleeper").State())
	assert.Equal(t, nodes.Running, s.Node("other").State())
}

// Every way a command guest can end crashes only its own node, with the
// reason.
func TestCommandGuestCrashes(t *testing.T) {
	w := wasmhost.NewConfig().WithFuel(50_000_000).WithMemoryPages(1024)
	s := cmdSim(t, w, 1, "spin", "exit", "return", "badinit", "hog", "sleeper")
	require.NoError(t, s.Start())
	require.NoError(t, s.RunUntil(100*time.Millisecond))
	want := map[string]string{
		"spin":    "cpu budget exhausted in boot",
		"exit":    "exited with code 3",
		"return":  "exited with code 0", // Go's main calls proc_exit(0)
		"badinit": `the program answered its init message with {"src":"badinit","dest":"c-init","body":{"code":13`,
		"hog":     "memory limit of 1024 pages reached",
	}
	for name, reason := range want {
		n := s.Node(name)
		assert.Equal(t, nodes.Crashed, n.State(), name)
		assert.Contains(t, n.CrashReason(), reason, name)
	}
	assert.Equal(t, nodes.Running, s.Node("sleeper").State())
}

// A command module whose _start returns without proc_exit crashes its node.
func TestCommandGuestStartReturns(t *testing.T) {
	s, err := sim.New(context.Background(), sim.NewConfig().WithWasm(wasmhost.NewConfig().WithCacheDir(t.TempDir())))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.LoadModule("ret", wasm(t, "cmdreturn")))
	_, err = s.AddNodes(sim.NodeSpec{Name: "n0", Module: "ret"})
	require.NoError(t, err)
	require.NoError(t, s.RunUntil(time.Millisecond))
	assert.Equal(t, nodes.Crashed, s.Node("n0").State())
	assert.Equal(t, "_start returned: the program ended", s.Node("n0").CrashReason())
}

// A node that never reads stdin crashes once its backlog passes the bound,
// instead of growing host memory.
func TestCommandGuestStdinBacklogIsBounded(t *testing.T) {
	s := cmdSim(t, wasmhost.NewConfig().WithMaxMessage(1<<20), 1, "deaf")
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	pad := strings.Repeat("x", 512<<10)
	s.At(time.Millisecond, func() {
		for range 40 {
			require.NoError(t, cl[0].Call("deaf", map[string]any{"type": "pad", "pad": pad}, 0, func(sim.Reply) {}))
		}
	})
	require.NoError(t, s.RunUntil(time.Second))
	assert.Equal(t, nodes.Crashed, s.Node("deaf").State())
	assert.Contains(t, s.Node("deaf").CrashReason(), "stdin backlog over 17825792 bytes: the program is not reading stdin")
}

// A run of command guests is a pure function of its seed, under both
// engines.
func TestCommandGuestSameSeedSameDigestBothEngines(t *testing.T) {
	digest := func(w wasmhost.Config, seed uint64) string {
		s := cmdSim(t, w, seed, "sleeper", "other")
		cl, err := s.AddClients(2)
		require.NoError(t, err)
		require.NoError(t, s.Start())
		for i := range 20 {
			s.At(time.Duration(i)*7*time.Millisecond, func() {
				c := cl[i%2]
				require.NoError(t, c.Call("sleeper", map[string]any{"type": "sleep", "ms": (i * 13) % 50}, 0, func(sim.Reply) {}))
				require.NoError(t, c.Call("sleeper", map[string]any{"type": "send", "to": "other"}, 0, func(sim.Reply) {}))
			})
		}
		require.NoError(t, s.RunUntil(time.Second))
		return s.Digest()
	}
	a := digest(wasmhost.NewConfig(), 5)
	assert.Equal(t, a, digest(wasmhost.NewConfig(), 5))
	assert.Equal(t, a, digest(wasmhost.NewConfig().WithInterpreter(true), 5))
}
