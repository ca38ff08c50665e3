package playground_test

// Server-side defects a newcomer met in the playground (issue 18): slots
// held by runs that no longer run, caps below the CLI's that changed a
// verdict silently, runs lost on a restart, and a live status queued
// behind a catch-up of events.

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
	"github.com/terrarium-sim/terrarium/runtime/limits"
)

// waitState polls a run until it is in state.
func waitState(t *testing.T, url, state string) runStatus {
	t.Helper()
	var st runStatus
	require.Eventually(t, func() bool {
		st = status(t, get(t, url))
		return st.State == state
	}, 2*time.Minute, 20*time.Millisecond, "run never reached %s", state)
	return st
}

func TestFinishedRunsHoldNoSlot(t *testing.T) { inEachMode(t, testFinishedRunsHoldNoSlot) }

// A finished run gives its slot back at once, and the reads the page makes
// of it (diagram, nodes, trace, stream) never load its simulation again:
// with one slot, runs go back to back.
func testFinishedRunsHoldNoSlot(t *testing.T, cfg playground.Config) {
	_, hs := newServer(t, cfg.WithRunLimits(1, 8, time.Minute, time.Minute))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	for range 3 {
		st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha), "start": true, "speed": 0}), http.StatusCreated)
		waitState(t, api+"/"+st.ID, "finished")
		for _, p := range []string{"/files/lamport.html?seq=1", "/nodes", "/nodes/n0", "/trace", "/events?from=0"} {
			require.Equal(t, http.StatusOK, get(t, api+"/"+st.ID+p).Status, p)
		}
		m := get(t, api+"/"+st.ID).json(t)
		assert.Equal(t, false, m["in_memory"], "reads of a finished run leave it closed")
	}
}

// burner loops a million times for each message it gets (n0 gets one
// from each node): a few million units of fuel, far below the CLI's
// default budget and far above 100,000.
const burner = `(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "burn")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (call $send (i32.const 0) (i32.const 0) (i32.const 4))))
  (func (export "on_message") (param i32 i32 i32) (local i32)
    (loop (local.set 3 (i32.add (local.get 3) (i32.const 1)))
      (br_if 0 (i32.lt_u (local.get 3) (i32.const 1000000))))))`

func burnerScenario(sha string) string {
	return `name: burner
duration: 100ms
modules:
  b: {sha256: ` + sha + `}
nodes:
  - {name: n, count: 2, module: b}
`
}

// The server's caps are the CLI's defaults; one an operator lowers below
// them, and that crashes a node, is named in the run's status.
func TestServerCapsAreTheCLIDefaults(t *testing.T) {
	_, hs := newServer(t, runConfig())
	h := get(t, hs.URL+"/api/v1/health").json(t)
	maxes := h["limits"].(map[string]any)["max_limits"].(map[string]any)
	assert.EqualValues(t, limits.DefaultFuel, maxes["fuel"])
	assert.EqualValues(t, limits.DefaultMemoryPages, maxes["memory_pages"])
	sha := uploaded(t, hs.URL, wat(t, burner))
	api := hs.URL + "/api/v1/runs"
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": burnerScenario(sha), "start": true, "speed": 0}), http.StatusCreated)
	m := waitState(t, api+"/"+st.ID, "finished")
	for _, n := range m.Nodes {
		assert.Empty(t, n.Reason, "under the CLI's budget %s does not crash", n.Name)
	}
	assert.Nil(t, get(t, api+"/"+st.ID).json(t)["cap_crashes"])

	_, capped := newServer(t, runConfig().WithGuestLimits(100_000, limits.DefaultMemoryPages))
	sha = uploaded(t, capped.URL, wat(t, burner))
	api = capped.URL + "/api/v1/runs"
	st = mustOK(t, postJSON(t, api, map[string]any{"scenario": burnerScenario(sha), "start": true, "speed": 0}), http.StatusCreated)
	waitState(t, api+"/"+st.ID, "finished")
	body := get(t, api+"/"+st.ID)
	cc, ok := body.json(t)["cap_crashes"].([]any)
	require.True(t, ok, "the crashes on the server's cap are listed: %s", body.Body)
	require.Len(t, cc, 1)
	first := cc[0].(map[string]any)
	assert.Equal(t, "n0", first["node"])
	assert.Equal(t, "fuel", first["limit"])
	assert.EqualValues(t, 100_000, first["server"])
	assert.EqualValues(t, limits.DefaultFuel, first["cli"])
	assert.Contains(t, first["reason"], "limits.fuel")
}

func TestRunsSurviveARestart(t *testing.T) { inEachMode(t, testRunsSurviveARestart) }

// Runs are listed again after a restart: a finished one is served from its
// folder (status, source, trace, diagram), a paused one goes on from where
// it was, with the faults applied by hand.
func testRunsSurviveARestart(t *testing.T, cfg playground.Config) {
	cfg = cfg.WithDataDir(t.TempDir())
	s1, err := playground.New(context.Background(), cfg)
	require.NoError(t, err)
	hs1 := httptest.NewServer(s1.Handler())
	api := hs1.URL + "/api/v1/runs"
	sha := uploaded(t, hs1.URL, wasmOf(t, "echo"))
	text := echoScenario(sha)
	fin := mustOK(t, postJSON(t, api, map[string]any{"scenario": text, "start": true, "speed": 0}), http.StatusCreated)
	done := waitState(t, api+"/"+fin.ID, "finished")
	paused := mustOK(t, postJSON(t, api, map[string]any{"scenario": text}), http.StatusCreated)
	mustOK(t, postJSON(t, api+"/"+paused.ID+"/control", map[string]any{"action": "advance", "to": "500ms"}), http.StatusOK)
	mustOK(t, postJSON(t, api+"/"+paused.ID+"/faults", map[string]any{"action": "crash", "node": "n1"}), http.StatusOK)
	before := waitState(t, api+"/"+paused.ID, "paused")
	hs1.Close()
	require.NoError(t, s1.Close())

	_, hs := newServer(t, cfg)
	api = hs.URL + "/api/v1/runs"
	list := get(t, api).json(t)["runs"].([]any)
	require.Len(t, list, 2)
	again := mustOK(t, get(t, api+"/"+fin.ID), http.StatusOK)
	assert.Equal(t, "finished", again.State)
	assert.Equal(t, done.Verdict, again.Verdict)
	assert.Equal(t, done.Digest, again.Digest)
	src := get(t, api+"/"+fin.ID+"/source").json(t)
	assert.Equal(t, text, src["text"])
	assert.Equal(t, http.StatusOK, get(t, api+"/"+fin.ID+"/files/lamport.html").Status)
	page := get(t, api+"/"+fin.ID+"/trace").json(t)
	assert.EqualValues(t, done.Seq, page["total"])

	p := mustOK(t, get(t, api+"/"+paused.ID), http.StatusOK)
	assert.Equal(t, "paused", p.State)
	assert.Equal(t, before.NowNS, p.NowNS)
	require.Len(t, p.Actions, 1)
	assert.Equal(t, "crash", p.Actions[0].Fault["action"])
	end := mustOK(t, postJSON(t, api+"/"+paused.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	assert.Equal(t, "finished", end.State)
	assert.NotEmpty(t, end.Verdict)
}

func TestStatusComesBeforeTheCatchUp(t *testing.T) { inEachMode(t, testStatusComesBeforeTheCatchUp) }

// A client that opens the live stream of a run that is far ahead gets the
// run's status first, not after the whole catch-up of its events.
func testStatusComesBeforeTheCatchUp(t *testing.T, cfg playground.Config) {
	_, hs := newServer(t, cfg)
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wat(t, pingPong))
	scn := `name: ping-pong
duration: 60s
modules:
  p: {sha256: ` + sha + `}
nodes:
  - {name: n, count: 3, module: p}
`
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": scn}), http.StatusCreated)
	mustOK(t, postJSON(t, api+"/"+st.ID+"/control", map[string]any{"action": "advance", "to": "5s"}), http.StatusOK)
	res, err := http.Get(api + "/" + st.ID + "/events?from=0")
	require.NoError(t, err)
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			assert.Equal(t, "status", ev, "the first thing on the stream is the status")
			return
		}
	}
	t.Fatal("the stream ended without an event")
}

func TestRunOpenedAtEventHasVerdictsSoFar(t *testing.T) {
	inEachMode(t, testRunOpenedAtEventHasVerdictsSoFar)
}

// A run opened at an event (a permanent link, an imported bundle: POST
// /runs with seq) answers with the checks' verdicts so far there, as a
// seek to that event does; opened at its start, it has none yet.
func testRunOpenedAtEventHasVerdictsSoFar(t *testing.T, cfg playground.Config) {
	_, srv := newServer(t, cfg)
	api := srv.URL + "/api/v1/runs"
	at := mustOK(t, postJSON(t, api, map[string]any{"pattern": "twopc", "seq": 800}), http.StatusCreated)
	assert.Equal(t, "paused", at.State)
	assert.GreaterOrEqual(t, at.Seq, uint64(800))
	require.Contains(t, at.Checks, "twopc-atomicity", "the verdicts so far at event %d", at.Seq)
	assert.Equal(t, "valid", at.Checks["twopc-atomicity"].Verdict)
	assert.False(t, at.Checks["twopc-atomicity"].Settled, "a verdict so far, not the run's")

	start := mustOK(t, postJSON(t, api, map[string]any{"pattern": "twopc"}), http.StatusCreated)
	assert.Empty(t, start.Checks, "nothing has happened at the start")
}

func TestVerdictsSoFarOutliveARestart(t *testing.T) { inEachMode(t, testVerdictsSoFarOutliveARestart) }

// A paused run's verdicts so far come back with it after a restart, and
// stay when its simulation is rebuilt at its position (by replay, for the
// first request that needs it): the rebuilt status once had none.
func testVerdictsSoFarOutliveARestart(t *testing.T, cfg playground.Config) {
	dir := t.TempDir()
	a, err := playground.New(context.Background(), cfg.WithDataDir(dir))
	require.NoError(t, err)
	ha := httptest.NewServer(a.Handler())
	at := mustOK(t, postJSON(t, ha.URL+"/api/v1/runs", map[string]any{"pattern": "twopc", "seq": 800}), http.StatusCreated)
	require.Contains(t, at.Checks, "twopc-atomicity")
	ha.Close()
	require.NoError(t, a.Close())

	_, hb := newServer(t, cfg.WithDataDir(dir))
	run := hb.URL + "/api/v1/runs/" + at.ID
	back := mustOK(t, get(t, run), http.StatusOK)
	assert.Equal(t, at.Seq, back.Seq)
	assert.Contains(t, back.Checks, "twopc-atomicity", "the record has them")
	require.Equal(t, http.StatusOK, get(t, run+"/next").Status, "the simulation is rebuilt at the run's position")
	rebuilt := mustOK(t, get(t, run), http.StatusOK)
	assert.Equal(t, at.Seq, rebuilt.Seq)
	require.Contains(t, rebuilt.Checks, "twopc-atomicity", "the rebuild keeps them")
	assert.Equal(t, at.Checks["twopc-atomicity"].Verdict, rebuilt.Checks["twopc-atomicity"].Verdict)
}
