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
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// cmdSim runs command guests (internal/testguests/cmdguest, a plain
// `go build` program) named by names.
func cmdSim(t *testing.T, e sim.Engine, l limits.Limits, seed uint64, names ...string) *sim.Sim {
	t.Helper()
	e.CacheDir = t.TempDir()
	s, err := sim.New(context.Background(), sim.NewConfig().WithSeed(seed).WithEngine(e).WithLimits(l))
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
	s := cmdSim(t, sim.Engine{}, limits.Limits{}, 1, "sleeper", "other")
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	var got []history.Reply
	var at []time.Duration
	s.At(100*time.Millisecond, func() {
		for _, ms := range []int{70, 30} {
			require.NoError(t, cl[0].Call("sleeper", map[string]any{"type": "sleep", "ms": ms}, 0, func(r history.Reply) {
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
	s := cmdSim(t, sim.Engine{}, limits.Limits{}, 1, "sleeper", "other")
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	var types []string
	s.At(10*time.Millisecond, func() {
		for _, to := range []string{"other", "nobody"} {
			require.NoError(t, cl[0].Call("sleeper", map[string]any{"type": "send", "to": to}, 0, func(r history.Reply) { types = append(types, r.Type) }))
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
	s := cmdSim(t, sim.Engine{}, limits.Limits{Fuel: 50_000_000, MemoryPages: 1024}, 1, "spin", "exit", "return", "badinit", "hog", "sleeper")
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
	s, err := sim.New(context.Background(), sim.NewConfig().WithEngine(sim.Engine{CacheDir: t.TempDir()}))
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
	s := cmdSim(t, sim.Engine{}, limits.Limits{MaxMessageBytes: 1 << 20}, 1, "deaf")
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	pad := strings.Repeat("x", 512<<10)
	s.At(time.Millisecond, func() {
		for range 40 {
			require.NoError(t, cl[0].Call("deaf", map[string]any{"type": "pad", "pad": pad}, 0, func(history.Reply) {}))
		}
	})
	require.NoError(t, s.RunUntil(time.Second))
	assert.Equal(t, nodes.Crashed, s.Node("deaf").State())
	assert.Contains(t, s.Node("deaf").CrashReason(), "stdin backlog over 17825792 bytes: the program is not reading stdin")
}

// A run of command guests is a pure function of its seed, under both
// engines.
func TestCommandGuestSameSeedSameDigestBothEngines(t *testing.T) {
	digest := func(e sim.Engine, seed uint64) string {
		s := cmdSim(t, e, limits.Limits{}, seed, "sleeper", "other")
		cl, err := s.AddClients(2)
		require.NoError(t, err)
		require.NoError(t, s.Start())
		for i := range 20 {
			s.At(time.Duration(i)*7*time.Millisecond, func() {
				c := cl[i%2]
				require.NoError(t, c.Call("sleeper", map[string]any{"type": "sleep", "ms": (i * 13) % 50}, 0, func(history.Reply) {}))
				require.NoError(t, c.Call("sleeper", map[string]any{"type": "send", "to": "other"}, 0, func(history.Reply) {}))
			})
		}
		require.NoError(t, s.RunUntil(time.Second))
		return s.Digest()
	}
	a := digest(sim.Engine{}, 5)
	assert.Equal(t, a, digest(sim.Engine{}, 5))
	assert.Equal(t, a, digest(sim.Engine{Interpreter: true}, 5))
}

// Reference: docs/ABI.md, "WASI": each node has its own in-memory file
// system, with a writable /tmp and working directory, bound by
// limits.fs_bytes, and lost on crash.
func TestCommandGuestFileSystem(t *testing.T) {
	s := cmdSim(t, sim.Engine{}, limits.Limits{FSBytes: 1 << 20}, 1, "files")
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	replies := map[string]map[string]any{}
	call := func(at time.Duration, key string, body map[string]any) {
		s.At(at, func() {
			require.NoError(t, cl[0].Call("files", body, 0, func(r history.Reply) {
				var b map[string]any
				require.NoError(t, json.Unmarshal(r.Body, &b))
				replies[key] = b
			}))
		})
	}
	call(10*time.Millisecond, "write", map[string]any{"type": "write", "path": "state.txt", "text": "hello"})
	call(20*time.Millisecond, "cat-rel", map[string]any{"type": "cat", "path": "/state.txt"})
	call(30*time.Millisecond, "cat-log", map[string]any{"type": "cat", "path": "/tmp/maelstrom.log"})
	call(40*time.Millisecond, "fill", map[string]any{"type": "fill"})
	call(50*time.Millisecond, "escape", map[string]any{"type": "cat", "path": "/../../etc/passwd"})
	s.At(60*time.Millisecond, func() { require.NoError(t, s.Apply(fault.Fault{Kind: fault.Crash, Node: "files"})) })
	s.At(70*time.Millisecond, func() { require.NoError(t, s.Apply(fault.Fault{Kind: fault.Restart, Node: "files"})) })
	call(80*time.Millisecond, "after", map[string]any{"type": "cat", "path": "/tmp/maelstrom.log"})
	call(90*time.Millisecond, "after-rel", map[string]any{"type": "cat", "path": "state.txt"})
	require.NoError(t, s.RunUntil(time.Second))

	assert.Equal(t, "<nil>", replies["write"]["err"])
	assert.Equal(t, "hello", replies["cat-rel"]["text"], "a relative path is under /")
	assert.Equal(t, "got write\ngot cat\ngot cat\n", replies["cat-log"]["text"])
	fill := replies["fill"]
	assert.Contains(t, fill["err"], "I/O error", "a full file system fails the write, it does not crash the node")
	assert.InDelta(t, 1<<20, fill["bytes"], 8<<10, "the quota bounds what the node can write")
	assert.Contains(t, replies["escape"]["err"], "No such file", "no path leaves the node's own tree")
	assert.Equal(t, "got cat\n", replies["after"]["text"], "the restarted node's log starts empty")
	assert.Contains(t, replies["after-rel"]["err"], "No such file", "the crash lost the files")
	assert.Equal(t, nodes.Running, s.Node("files").State())
}

// Reactor (SDK) guests get the same file system: a program that opens
// /tmp/maelstrom.log in init() runs.
func TestReactorGuestFileSystem(t *testing.T) {
	s, err := sim.New(context.Background(), sim.NewConfig().WithEngine(sim.Engine{CacheDir: t.TempDir()}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.LoadModule("files", goGuest(t, "../../internal/testguests/gofiles")))
	_, err = s.AddNodes(sim.NodeSpec{Name: "n0", Module: "files"})
	require.NoError(t, err)
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	var texts []string
	for _, at := range []time.Duration{10 * time.Millisecond, 20 * time.Millisecond} {
		s.At(at, func() {
			require.NoError(t, cl[0].Call("n0", map[string]any{"type": "cat"}, 0, func(r history.Reply) {
				var b map[string]any
				require.NoError(t, json.Unmarshal(r.Body, &b))
				text, _ := b["text"].(string)
				texts = append(texts, text)
			}))
		})
	}
	require.NoError(t, s.RunUntil(time.Second))
	assert.Equal(t, nodes.Running, s.Node("n0").State(), s.Node("n0").CrashReason())
	assert.Equal(t, []string{"got cat from c0\n", "got cat from c0\ngot cat from c0\n"}, texts)
}

// A message that comes while the guest sleeps without reading stdin does
// not move its wake-up: the sleep ends when it was due.
func TestCommandGuestMessageDoesNotDelaySleep(t *testing.T) {
	s := cmdSim(t, sim.Engine{}, limits.Limits{}, 1, "napper")
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	s.At(30*time.Millisecond, func() {
		require.NoError(t, cl[0].Call("napper", map[string]any{"type": "hi"}, 0, func(history.Reply) {}))
	})
	require.NoError(t, s.RunUntil(time.Second))
	var woke []time.Duration
	for _, e := range s.Events() {
		if e.Kind == trace.KindSend && e.Label == "woke" {
			woke = append(woke, time.Duration(e.Time))
		}
	}
	assert.Equal(t, []time.Duration{100 * time.Millisecond}, woke)
}

// A command guest that reads stdin with blocking fd_read parks there until
// the next message: one read per resumption, and nothing runs in between.
func TestCommandGuestBlockingRead(t *testing.T) {
	s, err := sim.New(context.Background(), sim.NewConfig().WithEngine(sim.Engine{CacheDir: t.TempDir()}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.LoadModule("blocking", wasm(t, "cmdblocking")))
	_, err = s.AddNodes(sim.NodeSpec{Name: "n0", Module: "blocking"})
	require.NoError(t, err)
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	for _, at := range []time.Duration{10, 20, 30} {
		s.At(at*time.Millisecond, func() {
			require.NoError(t, cl[0].Call("n0", map[string]any{"type": "ping"}, 0, func(history.Reply) {}))
		})
	}
	require.NoError(t, s.RunUntil(time.Second))
	var seen []time.Duration
	for _, e := range s.Events() {
		if e.Kind == trace.KindSend && e.Label == "seen" {
			seen = append(seen, time.Duration(e.Time))
		}
	}
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{0, 11 * ms, 21 * ms, 31 * ms}, seen, "the init read at boot, then one read per delivered message")
	assert.Equal(t, nodes.Running, s.Node("n0").State(), s.Node("n0").CrashReason())
}
