package playground_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

func runConfig() playground.Config {
	return playground.NewConfig().WithPluginsDir("../plugins").WithPreload(false)
}

// uploaded uploads a test guest and returns its digest.
func uploaded(t *testing.T, base string, wasm []byte) string {
	t.Helper()
	r := upload(t, base, wasm)
	require.Contains(t, []int{http.StatusCreated, http.StatusOK}, r.Status, "%s", r.Body)
	return r.json(t)["sha256"].(string)
}

func echoScenario(sha string) string {
	return fmt.Sprintf(`name: wat-echo
seed: 3
duration: 2s
modules:
  e: {sha256: %s, roles: [server]}
nodes:
  - {name: n, count: 3, module: e, role: server}
network:
  latency: {min: 1ms, max: 5ms}
workload: {type: echo, clients: 2, interval: 20ms, timeout: 1s}
checks: [echo]
`, sha)
}

type runStatus struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	Seed       uint64 `json:"seed"`
	NowNS      int64  `json:"now_ns"`
	EndNS      int64  `json:"end_ns"`
	Seq        uint64 `json:"seq"`
	MaxSeq     uint64 `json:"max_seq"`
	Rewound    bool   `json:"rewound"`
	Digest     string `json:"digest"`
	Verdict    string `json:"verdict"`
	Error      string `json:"error"`
	ForkedFrom string `json:"forked_from"`
	Actions    []struct {
		Seq   uint64         `json:"seq"`
		Fault map[string]any `json:"fault"`
	} `json:"actions"`
	Nodes []struct {
		Name   string `json:"name"`
		State  string `json:"state"`
		Reason string `json:"crash_reason"`
	} `json:"nodes"`
	Checks map[string]struct {
		Verdict string `json:"verdict"`
		Settled bool   `json:"settled"`
	} `json:"checks"`
}

func status(t *testing.T, r resp) runStatus {
	t.Helper()
	var st runStatus
	require.NoError(t, json.Unmarshal(r.Body, &st), "%s", r.Body)
	return st
}

func mustOK(t *testing.T, r resp, code int) runStatus {
	t.Helper()
	require.Equal(t, code, r.Status, "%s", r.Body)
	return status(t, r)
}

// replay runs an exported scenario as `terrarium run` would (with the
// server's store as the source of sha256 modules) and returns its digest.
func replay(t *testing.T, s *playground.Server, yaml []byte) string {
	t.Helper()
	reg := patterns.Registry()
	scn, err := runner.Parse("exported.yaml", yaml, reg)
	require.NoError(t, err, "%s", yaml)
	opts := runner.NewOptions().WithRegistry(reg).WithModuleSource(func(_ context.Context, sha string) ([]byte, error) {
		return s.Store().Wasm(sha)
	})
	res, err := runner.Execute(context.Background(), scn, opts)
	require.NoError(t, err)
	return res.TraceSHA256
}

// replayBundle unpacks an exported zip and runs its scenario from disk, as
// `terrarium run` on another machine would: no server, no plugin sources.
func replayBundle(t *testing.T, zipped []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	require.NoError(t, err)
	dir := t.TempDir()
	var scnPath string
	for _, f := range zr.File {
		require.False(t, strings.Contains(f.Name, ".."), f.Name)
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, b, 0o644))
		if strings.HasSuffix(f.Name, "/scenario.yaml") {
			scnPath = p
		}
	}
	require.NotEmpty(t, scnPath, "the bundle has a scenario.yaml")
	reg := patterns.Registry()
	scn, err := runner.Load(scnPath, reg)
	require.NoError(t, err)
	for _, m := range scn.Modules {
		require.NotEmpty(t, m.Wasm, "module %s is a file of the bundle", m.Name)
	}
	res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithRegistry(reg))
	require.NoError(t, err)
	return res.TraceSHA256
}

func TestRunLifecycleAndTimeTravel(t *testing.T) { inEachMode(t, testRunLifecycleAndTimeTravel) }

func testRunLifecycleAndTimeTravel(t *testing.T, cfg playground.Config) {
	s, hs := newServer(t, cfg)
	api := hs.URL + "/api/v1"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))

	st := mustOK(t, postJSON(t, api+"/runs", map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	assert.Equal(t, "paused", st.State)
	assert.EqualValues(t, 3, st.Seed)
	assert.Len(t, st.Nodes, 3)
	run := api + "/runs/" + st.ID

	st = mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "step", "events": 5}), http.StatusOK)
	assert.GreaterOrEqual(t, st.Seq, uint64(5))
	st = mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "500ms"}), http.StatusOK)
	assert.EqualValues(t, 500*time.Millisecond, st.NowNS)
	st = mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "+100ms"}), http.StatusOK)
	assert.EqualValues(t, 600*time.Millisecond, st.NowNS)
	assert.NotEmpty(t, st.Checks, "verdicts so far")
	for _, c := range st.Checks {
		assert.False(t, c.Settled)
	}

	// A hand-applied crash, then a partition.
	st = mustOK(t, postJSON(t, run+"/faults", map[string]any{"action": "crash", "node": "n1"}), http.StatusOK)
	require.Len(t, st.Actions, 1)
	assert.Equal(t, "crashed", st.Nodes[1].State)
	crashSeq := st.Actions[0].Seq
	st = mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "+200ms"}), http.StatusOK)
	st = mustOK(t, postJSON(t, run+"/faults", map[string]any{"action": "partition", "groups": [][]string{{"n0"}, {"n1", "n2"}}}), http.StatusOK)
	require.Len(t, st.Actions, 2)

	// Bad faults say what is wrong.
	r := postJSON(t, run+"/faults", map[string]any{"action": "crash", "node": "nope"})
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.apiError(t)["message"], "nope")
	r = postJSON(t, run+"/faults", map[string]any{"action": "explode"})
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.apiError(t)["message"], `unknown kind "explode"`)
	r = postJSON(t, run+"/control", map[string]any{"action": "dance"})
	assert.Equal(t, http.StatusBadRequest, r.Status)
	r = postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "soon"})
	assert.Equal(t, http.StatusBadRequest, r.Status)

	// Paged trace, nodes, the inspector.
	r = get(t, run+"/trace?from=0&n=10")
	require.Equal(t, http.StatusOK, r.Status)
	page := r.json(t)
	assert.Len(t, page["events"], 10)
	assert.EqualValues(t, 10, page["next"])
	assert.Equal(t, http.StatusBadRequest, get(t, run+"/trace?n=0").Status)
	assert.Equal(t, http.StatusBadRequest, get(t, run+"/trace?from=x").Status)
	r = get(t, run+"/nodes/n0")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "n0", r.json(t)["name"])
	r = get(t, run+"/nodes/zz")
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Contains(t, r.apiError(t)["message"], "n0, n1, n2")
	assert.Equal(t, http.StatusConflict, get(t, run+"/results").Status)
	r = get(t, run+"/files/lamport.html")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Contains(t, string(r.Body), "Lamport diagram")

	// Time travel: back to before the crash, where n1 is up again.
	back := crashSeq / 2
	st = mustOK(t, postJSON(t, run+"/seek", map[string]any{"seq": back}), http.StatusOK)
	assert.True(t, st.Rewound)
	assert.GreaterOrEqual(t, st.Seq, back)
	assert.Less(t, st.Seq, crashSeq)
	assert.Equal(t, "running", st.Nodes[1].State)
	// Acting on a rewound run is a fork, not an edit of history.
	r = postJSON(t, run+"/faults", map[string]any{"action": "crash", "node": "n2"})
	assert.Equal(t, http.StatusConflict, r.Status)
	assert.Contains(t, r.apiError(t)["message"], "fork")
	// Forward again along the same timeline: the crash happens again.
	st = mustOK(t, postJSON(t, run+"/seek", map[string]any{"seq": crashSeq}), http.StatusOK)
	assert.Equal(t, "crashed", st.Nodes[1].State)

	// Fork at `back` with a different fault: a new run, its own id.
	fk := mustOK(t, postJSON(t, run+"/fork", map[string]any{"seq": back, "fault": map[string]any{"action": "crash", "node": "n2"}}), http.StatusCreated)
	assert.NotEqual(t, st.ID, fk.ID)
	assert.Equal(t, st.ID, fk.ForkedFrom)
	require.Len(t, fk.Actions, 1)
	assert.Equal(t, "n2", fk.Actions[0].Fault["node"])
	assert.Equal(t, "crashed", fk.Nodes[2].State)
	assert.Equal(t, "running", fk.Nodes[1].State)

	// Both timelines finish and replay from their exports to their digests.
	for _, id := range []string{st.ID, fk.ID} {
		fin := mustOK(t, postJSON(t, api+"/runs/"+id+"/control", map[string]any{"action": "finish"}), http.StatusOK)
		require.Equal(t, "finished", fin.State, fin.Error)
		assert.EqualValues(t, fin.EndNS, fin.NowNS)
		for _, c := range fin.Checks {
			assert.True(t, c.Settled)
		}
		exp := get(t, api+"/runs/"+id+"/export")
		require.Equal(t, http.StatusOK, exp.Status)
		assert.Contains(t, string(exp.Body), "before_event")
		assert.Equal(t, fin.Digest, replay(t, s, exp.Body), "run %s", id)
		zipped := get(t, api+"/runs/"+id+"/export?format=zip")
		require.Equal(t, http.StatusOK, zipped.Status, "%s", zipped.Body)
		assert.Equal(t, "application/zip", zipped.Header.Get("Content-Type"))
		assert.Equal(t, fin.Digest, replayBundle(t, zipped.Body), "run %s from its bundle", id)
		res := get(t, api+"/runs/"+id+"/results")
		require.Equal(t, http.StatusOK, res.Status)
		assert.Equal(t, fin.Digest, res.json(t)["trace_sha256"])
		files := get(t, api+"/runs/"+id+"/files").json(t)["files"]
		names := []string{}
		for _, f := range files.([]any) {
			names = append(names, f.(map[string]any)["name"].(string))
		}
		assert.Subset(t, names, []string{"results.json", "trace.jsonl", "lamport.html", "stats.json"})
		r = postJSON(t, api+"/runs/"+id+"/faults", map[string]any{"action": "crash", "node": "n0"})
		assert.Equal(t, http.StatusConflict, r.Status)
	}
	r = get(t, api+"/runs/"+fk.ID+"/files/..%2Fresults.json")
	assert.Equal(t, http.StatusNotFound, r.Status)
	r = get(t, api+"/runs/"+fk.ID+"/files/nothing.txt")
	assert.Equal(t, http.StatusNotFound, r.Status)

	assert.Len(t, get(t, api+"/runs").json(t)["runs"], 2)
	assert.Equal(t, http.StatusNoContent, do(t, http.MethodDelete, api+"/runs/"+fk.ID, "", nil).Status)
	assert.Equal(t, http.StatusNotFound, get(t, api+"/runs/"+fk.ID).Status)
	assert.Len(t, get(t, api+"/runs").json(t)["runs"], 1)
}

// A run of a built-in pattern, by name, replays to the CLI's digest.
func TestPatternRunMatchesCLI(t *testing.T) { inEachMode(t, testPatternRunMatchesCLI) }

func testPatternRunMatchesCLI(t *testing.T, cfg playground.Config) {
	s, hs := newServer(t, cfg)
	st := mustOK(t, postJSON(t, hs.URL+"/api/v1/runs", map[string]any{"pattern": "twopc", "file": "broken.yaml", "start": true, "speed": 0}), http.StatusCreated)
	var fin runStatus
	require.Eventually(t, func() bool {
		fin = status(t, get(t, hs.URL+"/api/v1/runs/"+st.ID))
		return fin.State == "finished"
	}, 2*time.Minute, 20*time.Millisecond)
	assert.Equal(t, "invalid", fin.Verdict, "the broken 2PC fails its checks through the server too")
	scn, err := runner.Load("../plugins/twopc/broken.yaml", patterns.Registry())
	require.NoError(t, err)
	res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithRegistry(patterns.Registry()))
	require.NoError(t, err)
	assert.Equal(t, res.TraceSHA256, fin.Digest)
	exp := get(t, hs.URL+"/api/v1/runs/"+st.ID+"/export")
	assert.Equal(t, fin.Digest, replay(t, s, exp.Body))
	zipped := get(t, hs.URL+"/api/v1/runs/"+st.ID+"/export?format=zip")
	require.Equal(t, http.StatusOK, zipped.Status)
	assert.Equal(t, fin.Digest, replayBundle(t, zipped.Body), "the bundle carries the built pattern module")
	assert.Equal(t, http.StatusBadRequest, get(t, hs.URL+"/api/v1/runs/"+st.ID+"/export?format=tar").Status)
}

func TestRunCreateErrors(t *testing.T) {
	_, hs := newServer(t, runConfig().WithMaxBody(4096).WithRunLimits(4, 5, 10*time.Second, time.Minute))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	good := echoScenario(sha)
	missing := strings.Repeat("ab", 32)
	cases := []struct {
		name     string
		body     any
		status   int
		code     string
		line     float64
		field    string
		contains string
	}{
		{"bad duration", map[string]any{"scenario": strings.Replace(good, "duration: 2s", "duration: 2 fortnights", 1)}, 422, "scenario", 3, "duration", "invalid duration"},
		{"unknown workload", map[string]any{"scenario": strings.Replace(good, "type: echo", "type: gossip-storm", 1)}, 422, "scenario", 10, "workload.type", "gossip-storm"},
		{"yaml syntax", map[string]any{"scenario": good + "nodes: [\n"}, 422, "scenario", 0, "", ""},
		{"module not uploaded", map[string]any{"scenario": strings.Replace(good, sha, missing, 1)}, 422, "scenario", 5, "modules.e", missing},
		{"path outside plugins", map[string]any{"scenario": strings.Replace(good, "sha256: "+sha, "wasm: /etc/passwd", 1)}, 422, "scenario", 5, "modules.e.wasm", "outside the server's plugins folder"},
		{"too many nodes", map[string]any{"scenario": strings.Replace(good, "count: 3", "count: 9", 1)}, 422, "limit", 0, "nodes", "limit of 5"},
		{"too long", map[string]any{"scenario": strings.Replace(good, "duration: 2s", "duration: 1h", 1)}, 422, "limit", 0, "duration", "limit of 10s"},
		{"no scenario", map[string]any{}, 400, "bad_request", 0, "", "no scenario"},
		{"unknown field", map[string]any{"scenario": good, "sede": 3}, 400, "bad_request", 0, "", "sede"},
		{"not json", "scenario: x", 400, "bad_request", 0, "", "request body"},
		{"unknown pattern", map[string]any{"pattern": "paxos"}, 404, "not_found", 0, "", "paxos"},
		{"unknown pattern file", map[string]any{"pattern": "twopc", "file": "nope.yaml"}, 404, "not_found", 0, "", "nope.yaml"},
		{"bad speed", map[string]any{"scenario": good, "speed": -1}, 400, "bad_request", 0, "", "speed"},
		{"body too large", map[string]any{"scenario": good + "# " + strings.Repeat("x", 5000)}, 413, "too_large", 0, "", "4096"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r resp
			if s, ok := c.body.(string); ok {
				r = do(t, http.MethodPost, api, "application/json", strings.NewReader(s))
			} else {
				r = postJSON(t, api, c.body)
			}
			require.Equal(t, c.status, r.Status, "%s", r.Body)
			e := r.apiError(t)
			assert.Equal(t, c.code, e["code"])
			assert.Contains(t, e["message"], c.contains)
			if c.code == "scenario" || c.code == "limit" {
				probs, ok := e["problems"].([]any)
				require.True(t, ok && len(probs) > 0, "problems: %v", e)
				p := probs[0].(map[string]any)
				if c.line > 0 {
					assert.Equal(t, c.line, p["line"])
				}
				if c.code == "scenario" && (c.field == "duration" || c.field == "workload.type") {
					assert.NotNil(t, p["col"], "the parser gives the column")
				}
				if c.field != "" {
					assert.Equal(t, c.field, p["field"])
				}
			}
		})
	}
	assert.Empty(t, get(t, api).json(t)["runs"], "nothing that failed was kept")
}

func TestConcurrentRunsLimit(t *testing.T) { inEachMode(t, testConcurrentRunsLimit) }

func testConcurrentRunsLimit(t *testing.T, cfg playground.Config) {
	_, hs := newServer(t, cfg.WithRunLimits(1, 8, time.Minute, time.Minute))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	// A run that runs takes the one slot (at this pace, for hours).
	first := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha), "start": true, "speed": 0.0001}), http.StatusCreated)
	r := postJSON(t, api, map[string]any{"scenario": echoScenario(sha), "start": true})
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Body)
	assert.Equal(t, "5", r.Header.Get("Retry-After"))
	assert.Equal(t, "busy", r.apiError(t)["code"])
	// A paused run, and a fork (paused), hold none: they are made, and
	// refused only when they would run.
	paused := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	fork := mustOK(t, postJSON(t, api+"/"+first.ID+"/fork", map[string]any{"seq": 0}), http.StatusCreated)
	r = postJSON(t, api+"/"+paused.ID+"/control", map[string]any{"action": "resume"})
	require.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Body)
	for _, id := range []string{first.ID, paused.ID, fork.ID} {
		require.Equal(t, http.StatusNoContent, do(t, http.MethodDelete, api+"/"+id, "", nil).Status)
	}
	// Deleting a run while it runs gives its slot back, every time.
	for range 5 {
		st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha), "start": true, "speed": 0}), http.StatusCreated)
		require.Equal(t, http.StatusNoContent, do(t, http.MethodDelete, api+"/"+st.ID, "", nil).Status)
	}
	mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
}

// A client of the live stream that reads slowly through a one-event buffer
// still receives every event exactly once and in order: it is caught up
// from the retained trace, never by buffering more for it.
func TestEventStreamSlowClient(t *testing.T) { inEachMode(t, testEventStreamSlowClient) }

func testEventStreamSlowClient(t *testing.T, cfg playground.Config) {
	_, hs := newServer(t, cfg.WithSubscriberBuffer(1))
	api := hs.URL + "/api/v1/runs"
	st := mustOK(t, postJSON(t, api, map[string]any{"pattern": "twopc"}), http.StatusCreated)
	res, err := http.Get(api + "/" + st.ID + "/events")
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	mustOK(t, postJSON(t, api+"/"+st.ID+"/control", map[string]any{"action": "resume", "speed": 0}), http.StatusOK)

	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var next uint64
	lagged, event := 0, ""
	var final runStatus
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[7:]
		case strings.HasPrefix(line, "data: "):
			data := []byte(line[6:])
			switch event {
			case "trace":
				var evs []struct {
					Seq uint64 `json:"seq"`
				}
				require.NoError(t, json.Unmarshal(data, &evs))
				for _, e := range evs {
					require.Equal(t, next+1, e.Seq, "events arrive once, in order")
					next = e.Seq
				}
				time.Sleep(time.Millisecond) // a slow reader
			case "lagged":
				lagged++
			case "status":
				require.NoError(t, json.Unmarshal(data, &final))
			}
		}
		if final.State == "finished" && next >= final.Seq {
			break
		}
	}
	require.Equal(t, "finished", final.State, final.Error)
	assert.Equal(t, final.Seq, next)
	assert.Greater(t, next, uint64(1000))
	t.Logf("%d events streamed; the client lagged %d times", next, lagged)
}

func TestUnknownRun(t *testing.T) { inEachMode(t, testUnknownRun) }

func testUnknownRun(t *testing.T, cfg playground.Config) {
	_, hs := newServer(t, cfg)
	for _, p := range []string{"", "/trace", "/events", "/export", "/nodes", "/files", "/results"} {
		r := get(t, hs.URL+"/api/v1/runs/nope"+p)
		assert.Equal(t, http.StatusNotFound, r.Status, p)
		assert.Contains(t, r.apiError(t)["message"], `no run "nope"`)
	}
	r := postJSON(t, hs.URL+"/api/v1/runs/nope/control", map[string]any{"action": "pause"})
	assert.Equal(t, http.StatusNotFound, r.Status)
}

type inMem struct {
	InMemory bool   `json:"in_memory"`
	Seq      uint64 `json:"seq"`
	Digest   string `json:"digest"`
}

// A run nobody touches gives its simulation back; a paused one is rebuilt by
// replay at the same event with the same digest, and a finished one is read
// from its run folder.
func TestIdleRunsAreRebuiltByReplay(t *testing.T) { inEachMode(t, testIdleRunsAreRebuiltByReplay) }

func testIdleRunsAreRebuiltByReplay(t *testing.T, cfg playground.Config) {
	_, hs := newServer(t, cfg.WithIdleClose(50*time.Millisecond))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	run := api + "/" + st.ID
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "700ms"}), http.StatusOK)
	mustOK(t, postJSON(t, run+"/faults", map[string]any{"action": "hold", "from": []string{"n0"}, "to": []string{"*"}}), http.StatusOK)
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "+50ms"}), http.StatusOK)
	before := mustOK(t, postJSON(t, run+"/faults", map[string]any{"action": "release", "from": []string{"n0"}, "to": []string{"*"}}), http.StatusOK)
	require.Len(t, before.Actions, 2)
	var m inMem
	require.Eventually(t, func() bool {
		require.NoError(t, json.Unmarshal(get(t, run).Body, &m))
		return !m.InMemory
	}, time.Minute, 10*time.Millisecond)
	page := get(t, run+"/trace?from=0&n=5000").json(t)
	assert.EqualValues(t, before.Seq, page["total"], "rebuilt at the same event")
	require.NoError(t, json.Unmarshal(get(t, run).Body, &m))
	assert.True(t, m.InMemory)
	assert.Equal(t, before.Digest, m.Digest, "the replay is the same run")

	fin := mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	want := get(t, run+"/trace?from=0&n=5000").Body
	require.Eventually(t, func() bool {
		require.NoError(t, json.Unmarshal(get(t, run).Body, &m))
		return !m.InMemory
	}, time.Minute, 10*time.Millisecond)
	assert.JSONEq(t, string(want), string(get(t, run+"/trace?from=0&n=5000").Body), "read back from trace.jsonl")
	require.NoError(t, json.Unmarshal(get(t, run).Body, &m))
	assert.False(t, m.InMemory, "a finished run's trace needs no replay")
	assert.Equal(t, fin.Digest, m.Digest)
}

func TestEventStreamLimit(t *testing.T) { inEachMode(t, testEventStreamLimit) }

// The cap on open streams is the server's, across runs (and their workers).
func testEventStreamLimit(t *testing.T, cfg playground.Config) {
	_, hs := newServer(t, cfg.WithMaxStreams(1))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	first, err := http.Get(api + "/" + st.ID + "/events")
	require.NoError(t, err)
	defer first.Body.Close()
	require.Equal(t, http.StatusOK, first.StatusCode)
	// The first stream's status event proves it is being served.
	sc := bufio.NewScanner(first.Body)
	for sc.Scan() && sc.Text() != "event: status" {
	}
	other := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	r := get(t, api+"/"+other.ID+"/events")
	assert.Equal(t, http.StatusTooManyRequests, r.Status)
	assert.Equal(t, "5", r.Header.Get("Retry-After"))
	assert.Contains(t, r.apiError(t)["message"], "live event streams")
}

// While a run goes on at wall-clock pace, its verdicts so far appear.
func TestVerdictsSettleWhileRunning(t *testing.T) { inEachMode(t, testVerdictsSettleWhileRunning) }

func testVerdictsSettleWhileRunning(t *testing.T, cfg playground.Config) {
	_, hs := newServer(t, cfg)
	api := hs.URL + "/api/v1/runs"
	st := mustOK(t, postJSON(t, api, map[string]any{"pattern": "twopc", "start": true, "speed": 0.5}), http.StatusCreated)
	var cur runStatus
	require.Eventually(t, func() bool {
		cur = status(t, get(t, api+"/"+st.ID))
		return cur.State == "running" && len(cur.Checks) > 0
	}, 2*time.Minute, 50*time.Millisecond, "last status: %+v", &cur)
	for name, c := range cur.Checks {
		assert.False(t, c.Settled, name)
		assert.NotEmpty(t, c.Verdict, name)
	}
	assert.Less(t, cur.NowNS, cur.EndNS)
}

// A scenario may be JSON; its errors are located too.
func TestJSONScenario(t *testing.T) {
	_, hs := newServer(t, runConfig())
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	doc := fmt.Sprintf(`{"name": "json-echo", "seed": 4, "duration": "1s",
 "modules": {"e": {"sha256": "%s", "roles": ["server"]}},
 "nodes": [{"name": "n", "count": 2, "module": "e", "role": "server"}],
 "workload": {"type": "echo", "clients": 1, "interval": "20ms", "timeout": "100ms"},
 "checks": ["echo"]}`, sha)
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": doc, "name": "echo.json"}), http.StatusCreated)
	assert.EqualValues(t, 4, st.Seed)
	r := postJSON(t, api, map[string]any{"scenario": strings.Replace(doc, `"count": 2`, `"count": "two"`, 1), "name": "echo.json"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	p := r.apiError(t)["problems"].([]any)[0].(map[string]any)
	assert.EqualValues(t, 3, p["line"])
	assert.Equal(t, "nodes[0].count", p["field"])
	assert.Contains(t, r.apiError(t)["message"], "echo.json:3:")
}

// Past its limit the server forgets the oldest finished run, not a live one.
func TestKeptRuns(t *testing.T) { inEachMode(t, testKeptRuns) }

func testKeptRuns(t *testing.T, cfg playground.Config) {
	_, hs := newServer(t, cfg.WithKeptRuns(2))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	live := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	done := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	mustOK(t, postJSON(t, api+"/"+done.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	third := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	assert.Equal(t, http.StatusOK, get(t, api+"/"+live.ID).Status)
	assert.Equal(t, http.StatusNotFound, get(t, api+"/"+done.ID).Status)
	assert.Equal(t, http.StatusOK, get(t, api+"/"+third.ID).Status)
}
