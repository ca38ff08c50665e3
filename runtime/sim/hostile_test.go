package sim_test

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// hostileRun runs the hostile module h between two good ticker nodes,
// good0 (index 0) and good2 (index 2), for d of virtual time.
func hostileRun(t *testing.T, module string, e sim.Engine, l limits.Limits, d time.Duration, before func(*sim.Sim)) *sim.Sim {
	t.Helper()
	e.CacheDir = t.TempDir()
	s, err := sim.New(context.Background(), sim.NewConfig().WithSeed(5).WithEngine(e).WithLimits(l))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.LoadModule("good", wasm(t, "ticker")))
	require.NoError(t, s.LoadModule("bad", wasm(t, module)))
	for _, spec := range []sim.NodeSpec{{Name: "good0", Module: "good"}, {Name: "h", Module: "bad"}, {Name: "good2", Module: "good"}} {
		_, err := s.AddNodes(spec)
		require.NoError(t, err)
	}
	require.NoError(t, s.RunFor(0))
	if before != nil {
		before(s)
	}
	require.NoError(t, s.RunFor(d), "a hostile guest must not stop the run")
	return s
}

// ticks counts the good nodes' "tick" events.
func ticks(s *sim.Sim) map[int32]int {
	out := map[int32]int{}
	for _, e := range s.Events() {
		if e.Kind == trace.KindEmit && e.Label == "tick" {
			out[e.Node]++
		}
	}
	return out
}

func emitted(s *sim.Sim, node int32, label string) []string {
	var out []string
	for _, e := range s.Events() {
		if e.Kind == trace.KindEmit && e.Node == node && e.Label == label {
			out = append(out, string(e.Data))
		}
	}
	return out
}

// Reference: DESIGN.md, "A guest that traps, runs past its CPU budget or
// its memory limit, or breaks the ABI crashes its node": one hostile module
// per class, each beside good nodes that keep serving, each run identical
// under the compiler and the interpreter.
func TestHostileModulesAreContainedToTheirNode(t *testing.T) {
	const d = 200 * time.Millisecond
	cases := []struct {
		module string
		limits limits.Limits // on top of a fuel of 50,000,000
		before func(*sim.Sim)
		// crash is the expected crash reason (a substring); "" means the
		// node must survive, and check looks at what it recorded.
		crash string
		check func(t *testing.T, s *sim.Sim)
	}{
		{module: "livelock", crash: "quota callbacks_per_instant exceeded: more than 10000 callbacks at virtual time 0ns"},
		{module: "selfflood", crash: "quota callbacks_per_instant exceeded"},
		{module: "millionsends", crash: "quota sends_per_callback exceeded: more than 10000 sends in one on_init (raise limits.sends_per_callback)",
			check: func(t *testing.T, s *sim.Sim) {
				assert.Equal(t, uint64(10_000), s.Stats().Sent-echoes(s), "only the sends within the quota left the node")
			}},
		{module: "bigsends", crash: "quota send_bytes_per_callback exceeded: more than 16777216 bytes sent in one on_init (raise limits.send_bytes_per_callback)",
			check: func(t *testing.T, s *sim.Sim) { assert.Equal(t, uint64(4), s.Stats().Sent) }},
		{module: "giantlog", crash: "quota log_bytes_per_callback exceeded: more than 1048576 log and emit bytes in one on_init",
			check: func(t *testing.T, s *sim.Sim) {
				var lines int
				for _, e := range s.Events() {
					if e.Kind == trace.KindLog && e.Node == 1 {
						lines++
						require.Len(t, e.Data, limits.DefaultLogLineBytes+len(" ... [truncated 67043328 bytes: limits.log_line_bytes]"))
						assert.True(t, strings.HasSuffix(string(e.Data), " ... [truncated 67043328 bytes: limits.log_line_bytes]"))
					}
				}
				assert.Equal(t, 15, lines, "lines are recorded until the callback's log quota is spent")
			}},
		{module: "storefill", limits: limits.Limits{StoreBytes: 8 << 20},
			check: func(t *testing.T, s *sim.Sim) {
				assert.Equal(t, []string{"-5"}, emitted(s, 1, "full"), "kv_put returns ErrnoQuota at the store quota")
				assert.LessOrEqual(t, s.Node("h").StoreBytes(), int64(8<<20))
				assert.Greater(t, s.Node("h").StoreBytes(), int64(8<<20)-70_000)
			}},
		{module: "hugevalue", crash: "unreachable",
			check: func(t *testing.T, s *sim.Sim) {
				assert.Equal(t, []string{"-3", "0", "0", "0"}, emitted(s, 1, "rc"))
				v, ok, err := s.Node("h").Get([]byte("big2"))
				require.NoError(t, err)
				require.True(t, ok, "the crash flushed the unsynced maximal value")
				assert.Len(t, v, 65536)
			}},
		{module: "timeoverflow", before: func(s *sim.Sim) {
			_ = s.Apply(fault.Fault{Kind: fault.Drift, Node: "h", PPM: 1000})
			_ = s.Apply(fault.Fault{Kind: fault.Skew, Node: "h", By: time.Hour})
		},
			check: func(t *testing.T, s *sim.Sim) {
				var last int64
				nows := emitted(s, 1, "now")
				require.NotEmpty(t, nows)
				for _, v := range nows {
					now := int64(binary.LittleEndian.Uint64([]byte(v)))
					require.GreaterOrEqual(t, now, last, "now() went backwards")
					require.Greater(t, now, int64(time.Hour))
					last = now
				}
			}},
		{module: "pollwrap", crash: "abi violation: poll_oneoff: range [0, 12884901888) is outside memory of 65536 bytes"},
		{module: "abort", crash: "abort: boom: héllo at assembly/index.ts:12:34"},
		{module: "startspin", crash: "cpu budget exhausted in start"},
	}
	for _, tc := range cases {
		t.Run(tc.module, func(t *testing.T) {
			digests := map[bool]string{}
			for _, interp := range []bool{false, true} {
				l := tc.limits
				l.Fuel = 50_000_000
				s := hostileRun(t, tc.module, sim.Engine{Interpreter: interp, InitFuel: 200_000_000}, l, d, tc.before)
				h := s.Node("h")
				if tc.crash != "" {
					require.Equal(t, nodes.Crashed, h.State())
					assert.Contains(t, h.CrashReason(), tc.crash)
					var recorded bool
					for _, e := range s.Events() {
						recorded = recorded || e.Kind == trace.KindCrash && e.Node == 1 && strings.Contains(string(e.Data), tc.crash)
					}
					assert.True(t, recorded, "the reason is in the trace")
				} else {
					require.Equal(t, nodes.Running, h.State(), h.CrashReason())
				}
				for _, good := range []string{"good0", "good2"} {
					require.Equal(t, nodes.Running, s.Node(good).State(), s.Node(good).CrashReason())
				}
				assert.Equal(t, map[int32]int{0: 20, 2: 20}, ticks(s), "good nodes kept serving")
				if tc.check != nil {
					tc.check(t, s)
				}
				digests[interp] = s.Digest()
			}
			assert.Equal(t, digests[false], digests[true], "compiler and interpreter")
		})
	}
}

// echoes counts the messages good nodes sent (their echoes).
func echoes(s *sim.Sim) uint64 {
	var n uint64
	for _, e := range s.Events() {
		if e.Kind == trace.KindSend && e.Node != 1 {
			n++
		}
	}
	return n
}

// Reference: issue 7, "The 65,536-page memory limit breaks the compiler
// engine": with memory_pages 65536 a guest grows to the largest memory
// (wasmhost.MaxUsablePages), uses its last byte, sends from its last 16
// bytes, and sees one page more refused, with one digest in both engines.
func TestLargestMemoryInBothEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("maps 4 GiB of address space")
	}
	digests := map[bool]string{}
	for _, interp := range []bool{false, true} {
		s, err := sim.New(context.Background(), sim.NewConfig().
			WithEngine(sim.Engine{Interpreter: interp, CacheDir: t.TempDir()}).WithLimits(limits.Limits{MemoryPages: 65536}))
		require.NoError(t, err)
		require.NoError(t, s.LoadModule("big", wasm(t, "bigmem")))
		_, err = s.AddNodes(sim.NodeSpec{Name: "n0", Module: "big"})
		require.NoError(t, err)
		require.NoError(t, s.RunFor(10*time.Millisecond))
		require.Equal(t, nodes.Running, s.Node("n0").State(), s.Node("n0").CrashReason())
		mem := emitted(s, 0, "mem")
		require.Len(t, mem, 1)
		assert.Equal(t, []byte{0xff, 0xff, 0, 0, 42, 7, 0xff, 0xff, 0xff, 0xff}, []byte(mem[0]),
			"65,535 pages, the last byte and the first, memory.grow to 65,536 refused (-1)")
		assert.Equal(t, uint64(1), s.Stats().Delivered, "the message from the last 16 bytes arrived")
		digests[interp] = s.Digest()
		require.NoError(t, s.Close())
	}
	assert.Equal(t, digests[false], digests[true])
}
