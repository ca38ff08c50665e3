package playground_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// floodWAT sends two messages to node 0 for every one it receives.
const floodWAT = `(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "x")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (call $send (i32.const 0) (i32.const 0) (i32.const 1))))
  (func (export "on_message") (param i32 i32 i32)
    (drop (call $send (i32.const 0) (i32.const 0) (i32.const 1)))
    (drop (call $send (i32.const 0) (i32.const 0) (i32.const 1)))))`

// livelockWAT re-arms a zero-delay timer forever: virtual time never moves.
const livelockWAT = `(module
  (import "terrarium" "timer_set" (func $t (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (call $t (i64.const 0))))
  (func (export "on_message") (param i32 i32 i32))
  (func (export "on_timer") (param i64) (drop (call $t (i64.const 0)))))`

func hostileScenario(name, sha string) string {
	return fmt.Sprintf(`name: hostile-%s
duration: 2s
network: {latency: {min: 1ms, max: 5ms}}
modules:
  h: {sha256: %s, roles: [server]}
nodes:
  - {name: h, count: 2, module: h, role: server}
workload: {type: echo, clients: 1, interval: 50ms, timeout: 100ms}
checks: [echo]
`, name, sha)
}

// Modules that loop, grow memory, trap, flood, livelock, fill memory in a
// loop and grow a table past the memory budget, uploaded and
// run through the API at full speed, end (their nodes crash, or their runs
// stop at a cap) while another user's 2PC run on the same server finishes
// with the same digest as on the command line.
func TestHostileModulesLeaveServerServing(t *testing.T) {
	// A server whose operator lowered the CLI's fuel and memory (serve
	// --max-limit), with a spin window as long as the callback budget.
	hardened := playground.DefaultMaxLimits()
	hardened.Fuel, hardened.SpinFuel, hardened.MemoryPages = 200_000_000, 200_000_000, 1024
	_, hs := newServer(t, runConfig().WithMaxLimits(hardened).WithRunLimits(8, 16, time.Minute, time.Minute).WithMaxEvents(200_000))
	api := hs.URL + "/api/v1/runs"
	hostile := map[string][]byte{
		"loop":     wasmOf(t, "spin"),
		"hog":      wasmOf(t, "hog"),
		"trap":     wasmOf(t, "trap"),
		"flood":    wat(t, floodWAT),
		"livelock": wat(t, livelockWAT),
		// issue 15: a memory.fill loop froze the server, a table.grow by
		// 2^31-1 killed it (tablegrow asks for 2^27)
		"fill":  wasmOf(t, "fillloop"),
		"table": wasmOf(t, "tablegrow"),
	}
	ids := map[string]string{}
	for name, wasm := range hostile {
		sha := uploaded(t, hs.URL, wasm)
		st := mustOK(t, postJSON(t, api, map[string]any{"scenario": hostileScenario(name, sha), "start": true, "speed": 0}), http.StatusCreated)
		ids[name] = st.ID
	}
	good := mustOK(t, postJSON(t, api, map[string]any{"pattern": "twopc", "start": true, "speed": 0}), http.StatusCreated)

	final := map[string]runStatus{}
	require.Eventually(t, func() bool {
		assert.Equal(t, http.StatusOK, get(t, hs.URL+"/api/v1/health").Status, "the server answers throughout")
		for name, id := range ids {
			final[name] = status(t, get(t, api+"/"+id))
		}
		final["good"] = status(t, get(t, api+"/"+good.ID))
		for _, st := range final {
			if st.State != "finished" {
				return false
			}
		}
		return true
	}, 3*time.Minute, 50*time.Millisecond)

	// The server's spin window is its callback budget: a loop with no
	// progress call is named a spin wait.
	reasons := map[string]string{"loop": "spin wait in on_message", "hog": "memory limit of 1024 pages", "trap": "unreachable",
		"livelock": "callbacks_per_instant", "fill": "in on_init",
		"table": "quota memory_pages exceeded: table.grow would bring the node's tables and memory to 1073807368 bytes"}
	for name, want := range reasons {
		st := final[name]
		require.NotEmpty(t, st.Nodes, name)
		assert.Equal(t, "crashed", st.Nodes[0].State, "%s: its node crashes, the run goes on", name)
		assert.Contains(t, st.Nodes[0].Reason, want, name)
		assert.Equal(t, st.EndNS, st.NowNS, "%s: the run reached its end", name)
	}
	// The flood spreads over time, so no per-instant quota sees it: the
	// server's event cap stops its run (or, on a machine slow enough, its
	// wall-clock budget does first).
	assert.Equal(t, "unknown", final["flood"].Verdict)
	assert.Regexp(t, `limits.max_events = 200000|wall-clock budget of 1m0s`, final["flood"].Error)
	assert.Less(t, final["flood"].NowNS, final["flood"].EndNS)

	scn, err := runner.Load("../plugins/twopc/scenario.yaml", patterns.Registry())
	require.NoError(t, err)
	scn.Limits = hardened // the server's limits (twopc sets none of its own)
	res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithRegistry(patterns.Registry()))
	require.NoError(t, err)
	assert.Equal(t, "valid", final["good"].Verdict)
	assert.Equal(t, res.TraceSHA256, final["good"].Digest, "the other user's run is undisturbed")
}

// busyWAT counts to 20 million on every message: within its fuel, but slow.
const busyWAT = `(module
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32))
  (func (export "on_message") (param i32 i32 i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 20000000))))))`

// runToTheEnd uploads a WAT module, runs it at full speed and waits until
// the server says the run finished.
func runToTheEnd(t *testing.T, base, name, src string) (runStatus, runStatus) {
	return runFor(t, base, name, src, "2s")
}

// runFor is runToTheEnd with the scenario's duration given.
func runFor(t *testing.T, base, name, src, duration string) (runStatus, runStatus) {
	api := base + "/api/v1/runs"
	sha := uploaded(t, base, wat(t, src))
	scn := strings.Replace(hostileScenario(name, sha), "duration: 2s", "duration: "+duration, 1)
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": scn, "start": true, "speed": 0}), http.StatusCreated)
	var fin runStatus
	require.Eventually(t, func() bool {
		fin = status(t, get(t, api+"/"+st.ID))
		return fin.State == "finished"
	}, time.Minute, 20*time.Millisecond)
	return st, fin
}

// A run that spends its wall-clock budget is stopped, verdict unknown, and
// says why: here nodes that do a lot of legal work on every message.
func TestWallClockBudget(t *testing.T) {
	_, hs := newServer(t, runConfig().WithRunLimits(2, 16, time.Minute, 500*time.Millisecond))
	api := hs.URL + "/api/v1/runs"
	// A minute of messages at 20 million steps each is far more work than
	// any machine does in 500ms, so only the wall-clock budget can end it.
	st, fin := runFor(t, hs.URL, "busy", busyWAT, "1m")
	assert.Equal(t, "unknown", fin.Verdict)
	assert.Contains(t, fin.Error, "wall-clock budget of 500ms")
	assert.Less(t, fin.NowNS, fin.EndNS)
	r := postJSON(t, api+"/"+st.ID+"/control", map[string]any{"action": "resume"})
	assert.Equal(t, http.StatusConflict, r.Status)
}

// A run that records more events than the server's cap stops there,
// verdict unknown: a guest that fans every message out to two, spread over
// time so that no per-instant quota sees it.
func TestEventCap(t *testing.T) {
	_, hs := newServer(t, runConfig().WithMaxEvents(50_000))
	_, fin := runToTheEnd(t, hs.URL, "flood", floodWAT)
	assert.Equal(t, "unknown", fin.Verdict)
	// The server's cap is the run's limits.max_events (the status shows it).
	assert.Contains(t, fin.Error, "the run reached its cap limits.max_events = 50000")
	assert.Less(t, fin.NowNS, fin.EndNS)
}
