package playground_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/playground"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

var workerBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// terrariumBin builds the terrarium binary once per test binary, for
// servers whose runs execute in `terrarium worker` processes.
func terrariumBin(t testing.TB) string {
	t.Helper()
	workerBin.once.Do(func() {
		if workerBin.dir, workerBin.err = os.MkdirTemp("", "terrarium-bin-"); workerBin.err != nil {
			return
		}
		workerBin.path = filepath.Join(workerBin.dir, "terrarium")
		out, err := exec.Command("go", "build", "-o", workerBin.path, "github.com/terrarium-sim/terrarium/cmd/terrarium").CombinedOutput()
		if err != nil {
			workerBin.err = err
			t.Logf("go build: %s", out)
		}
	})
	require.NoError(t, workerBin.err)
	return workerBin.path
}

func removeWorkerBin() {
	if workerBin.dir != "" {
		_ = os.RemoveAll(workerBin.dir)
	}
}

// inEachMode runs test with the runs in the server's process and in
// worker processes: the API answers the same either way.
func inEachMode(t *testing.T, test func(*testing.T, playground.Config)) {
	t.Run("in-process", func(t *testing.T) { test(t, runConfig()) })
	t.Run("workers", func(t *testing.T) {
		test(t, runConfig().WithWorkers(terrariumBin(t)).WithWorkerLimits(1<<30, 300, 1024, 1<<30, false))
	})
}

// BenchmarkRunThroughAPI creates a run of the echo guest through the HTTP
// API, started at full speed, waits for it to finish and deletes it, in
// the server's process and in a worker (with and without namespaces).
// start-ms/op is the creation's latency (POST /runs until its answer);
// events/s counts the runs' events over the whole loop. The short run
// (echoScenario: ~30 events) measures the start, the long one (pingPong:
// 120k events) the throughput.
//
//	go test ./playground -run '^$' -bench RunThroughAPI -benchtime 20x
func BenchmarkRunThroughAPI(b *testing.B) {
	b.Run("short", func(b *testing.B) { benchRunThroughAPI(b, false) })
	b.Run("long", func(b *testing.B) { benchRunThroughAPI(b, true) })
}

// pingPong answers every message to its sender: with three nodes, 120k
// events in 60 s of virtual time.
const pingPong = `(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ping")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (call $send (i32.const 0) (i32.const 0) (i32.const 4))))
  (func (export "on_message") (param i32 i32 i32) (drop (call $send (local.get 0) (i32.const 0) (i32.const 4)))))`

const pingPongScenario = `name: ping-pong
duration: 60s
modules:
  p: {sha256: %s}
nodes:
  - {name: n, count: 3, module: p}
network:
  latency: {min: 1ms, max: 5ms}
`

func benchRunThroughAPI(b *testing.B, long bool) {
	wasm, err := testguests.Wasm("echo")
	if long {
		wasm, err = testguests.Wat2Wasm([]byte(pingPong))
	}
	require.NoError(b, err)
	for _, mode := range []string{"in-process", "workers", "workers-isolated"} {
		b.Run(mode, func(b *testing.B) {
			cfg := runConfig().WithRunLimits(4, 16, time.Minute, time.Minute)
			switch mode {
			case "workers":
				cfg = cfg.WithWorkers(terrariumBin(b))
			case "workers-isolated":
				cfg = cfg.WithWorkers(terrariumBin(b)).WithWorkerLimits(playground.DefaultWorkerMemory, playground.DefaultWorkerCPU,
					playground.DefaultWorkerFiles, playground.DefaultWorkerFileBytes, true)
			}
			s, err := playground.New(context.Background(), cfg)
			require.NoError(b, err)
			hs := httptest.NewServer(s.Handler())
			defer func() { hs.Close(); _ = s.Close() }()
			resp, err := http.Post(hs.URL+"/api/v1/modules", "application/wasm", bytes.NewReader(wasm))
			require.NoError(b, err)
			var mod struct{ SHA256 string }
			require.NoError(b, json.NewDecoder(resp.Body).Decode(&mod))
			resp.Body.Close()
			api := hs.URL + "/api/v1/runs"
			scn := echoScenario(mod.SHA256)
			if long {
				scn = fmt.Sprintf(pingPongScenario, mod.SHA256)
			}
			body, _ := json.Marshal(map[string]any{"scenario": scn, "start": true, "speed": 0})
			var events uint64
			var starting time.Duration
			b.ResetTimer()
			for range b.N {
				begin := time.Now()
				resp, err := http.Post(api, "application/json", bytes.NewReader(body))
				require.NoError(b, err)
				var st runStatus
				require.NoError(b, json.NewDecoder(resp.Body).Decode(&st))
				resp.Body.Close()
				require.Equal(b, http.StatusCreated, resp.StatusCode)
				starting += time.Since(begin)
				for st.State != "finished" {
					time.Sleep(2 * time.Millisecond)
					resp, err := http.Get(api + "/" + st.ID)
					require.NoError(b, err)
					require.NoError(b, json.NewDecoder(resp.Body).Decode(&st))
					resp.Body.Close()
				}
				events += st.Seq
				req, _ := http.NewRequest(http.MethodDelete, api+"/"+st.ID, nil)
				resp, err = http.DefaultClient.Do(req)
				require.NoError(b, err)
				resp.Body.Close()
			}
			b.ReportMetric(float64(starting.Microseconds())/1000/float64(b.N), "start-ms/op")
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// workerConfig is runConfig with runs in workers of the given memory.
func workerConfig(t *testing.T, memory int64) playground.Config {
	return runConfig().WithWorkers(terrariumBin(t)).WithWorkerLimits(memory, 300, 1024, 1<<30, false)
}

// workers counts this process's `terrarium worker run` children.
func workers(t *testing.T) int {
	t.Helper()
	return len(workerPids(t))
}

// workerPids lists this process's `terrarium worker run` children.
func workerPids(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	require.NoError(t, err)
	me := strconv.Itoa(os.Getpid())
	var pids []int
	for _, e := range ents {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 2 || f[1] != me {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if bytes.Contains(cmd, []byte("worker\x00run")) && !bytes.Contains(stat, []byte(") Z")) {
			pid, _ := strconv.Atoi(e.Name())
			pids = append(pids, pid)
		}
	}
	return pids
}

// A guest that grows its table by 2^26 entries (512 MiB, within the 4 GiB
// memory budget and the fuel this server allows) ends its worker at the
// worker's memory limit; its run ends with a verdict naming that limit,
// while a run beside it finishes with the CLI's digest.
func TestWorkerLimitEndsOnlyItsRun(t *testing.T) {
	max := playground.DefaultMaxLimits()
	max.MemoryPages, max.Fuel, max.SpinFuel = 65536, 10_000_000_000, 10_000_000_000
	_, hs := newServer(t, workerConfig(t, 256<<20).WithMaxLimits(max).WithMemoryBudget(64<<30))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wat(t, `(module (table 1 funcref)
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (table.grow (ref.null func) (i32.const 0x4000000))))
  (func (export "on_message") (param i32 i32 i32)))`))
	good := mustOK(t, postJSON(t, api, map[string]any{"pattern": "twopc", "start": true, "speed": 0}), http.StatusCreated)
	bad := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha), "start": true, "speed": 0}), http.StatusCreated)
	finished := func(id string) runStatus {
		var st runStatus
		require.Eventually(t, func() bool {
			st = status(t, get(t, api+"/"+id))
			return st.State == "finished"
		}, 2*time.Minute, 20*time.Millisecond)
		return st
	}
	st := finished(bad.ID)
	assert.Equal(t, "unknown", st.Verdict)
	// Go's runtime fails in more than one way when memory runs out; each
	// is named as the memory limit.
	assert.Regexp(t, `^unknown: the worker exceeded its memory limit \(256 MiB\)`, st.Error)
	res := get(t, api+"/"+bad.ID+"/results")
	require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
	assert.Equal(t, "unknown", res.json(t)["verdict"])
	assert.Contains(t, res.json(t)["reason"], "memory limit")

	st = finished(good.ID)
	scn, err := runner.Load("../plugins/twopc/scenario.yaml", patterns.Registry())
	require.NoError(t, err)
	scn.Limits = max // the server's limits (twopc sets none of its own)
	want, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithRegistry(patterns.Registry()))
	require.NoError(t, err)
	assert.Equal(t, want.TraceSHA256, st.Digest, "the run beside it is the CLI's run")
}

// A worker whose run is idle exits, leaving the run's state with the
// server; the run's reads are then answered without a worker when it has
// finished, and by a new worker, rebuilt by replay at the same event,
// when they need its simulation.
func TestWorkerParksIdleRunAndRestores(t *testing.T) {
	_, hs := newServer(t, workerConfig(t, 1<<30).WithIdleClose(50*time.Millisecond))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	run := api + "/" + st.ID
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "700ms"}), http.StatusOK)
	before := mustOK(t, postJSON(t, run+"/faults", map[string]any{"action": "crash", "node": "n1"}), http.StatusOK)
	require.Equal(t, 1, workers(t))
	require.Eventually(t, func() bool { return workers(t) == 0 }, time.Minute, 20*time.Millisecond, "the idle worker exits")

	parked := status(t, get(t, run))
	assert.Equal(t, before.Seq, parked.Seq)
	assert.Equal(t, before.Digest, parked.Digest)
	assert.Equal(t, "paused", parked.State)
	require.Len(t, parked.Actions, 1)

	n0 := get(t, run+"/nodes/n1")
	require.Equal(t, http.StatusOK, n0.Status, "%s", n0.Body)
	assert.Equal(t, "crashed", n0.json(t)["state"], "rebuilt with the fault applied by hand")
	assert.Equal(t, 1, workers(t), "a new worker holds it")
	again := status(t, get(t, run))
	assert.Equal(t, before.Seq, again.Seq, "rebuilt at the same event")
	assert.Equal(t, before.Digest, again.Digest)

	fin := mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	want := get(t, run+"/trace?from=0&n=5000").Body
	require.Eventually(t, func() bool { return workers(t) == 0 }, time.Minute, 20*time.Millisecond)
	assert.JSONEq(t, string(want), string(get(t, run+"/trace?from=0&n=5000").Body), "read from its folder")
	assert.Equal(t, 0, workers(t), "a finished run's trace needs no worker")
	assert.Equal(t, fin.Digest, status(t, get(t, run)).Digest)
	res := get(t, run+"/results")
	require.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, fin.Digest, res.json(t)["trace_sha256"])
}

// A guest call that does not return for longer than the run's wall-clock
// budget (memory.fill in a loop, on a server that allows 10^12 fuel a
// callback: tens of seconds) holds its run still; past the budget the
// server kills its worker, and the run ends saying so.
func TestWorkerStuckRunEndsAtWallBudget(t *testing.T) {
	max := playground.DefaultMaxLimits()
	max.Fuel, max.SpinFuel = 1_000_000_000_000, 1_000_000_000_000
	_, hs := newServer(t, workerConfig(t, 1<<30).WithRunLimits(2, 8, time.Minute, 2*time.Second).WithMaxLimits(max))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wat(t, `(module
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (loop $l (memory.fill (i32.const 0) (i32.const 0) (i32.const 65536)) (br $l)))
  (func (export "on_message") (param i32 i32 i32)))`))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha), "start": true, "speed": 0}), http.StatusCreated)
	require.Eventually(t, func() bool {
		st = status(t, get(t, api+"/"+st.ID))
		return st.State == "finished"
	}, time.Minute, 50*time.Millisecond)
	assert.Equal(t, "unknown", st.Verdict)
	assert.Contains(t, st.Error, "made no progress for 2s")
	assert.Equal(t, 0, workers(t))
}

// A worker that stops answering (here stopped with SIGSTOP, as a guest
// call that holds Go's collector would leave it) is killed after the
// server's watchdog period; its run ends saying so, and the server answers
// throughout.
func TestWorkerThatStopsAnsweringIsKilled(t *testing.T) {
	_, hs := newServer(t, workerConfig(t, 1<<30).WithWorkerWatchdog(2*time.Second))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	pids := workerPids(t)
	require.Len(t, pids, 1)
	require.NoError(t, syscall.Kill(pids[0], syscall.SIGSTOP))
	require.Eventually(t, func() bool {
		st = status(t, get(t, api+"/"+st.ID)) // answered from the last state seen
		return st.State == "finished"
	}, time.Minute, 100*time.Millisecond)
	assert.Equal(t, "unknown", st.Verdict)
	assert.Equal(t, "unknown: the worker was killed: it stopped answering for 2s (a guest call that does not return stops its whole process)", st.Error)
	assert.Empty(t, workerPids(t))
}

// A run whose simulation was closed for idleness holds no run slot, even
// while a client keeps its event stream (and so its worker) open: another
// run can start, as in the server's own process.
func TestWorkerIdleRunWithOpenStreamHoldsNoSlot(t *testing.T) {
	_, hs := newServer(t, workerConfig(t, 1<<30).WithRunLimits(1, 8, time.Minute, time.Minute).WithIdleClose(50*time.Millisecond))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	first := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha), "start": true, "speed": 0.0001}), http.StatusCreated)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/"+first.ID+"/events", nil)
	require.NoError(t, err)
	stream, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer stream.Body.Close()
	require.Equal(t, http.StatusOK, stream.StatusCode)
	r := postJSON(t, api, map[string]any{"scenario": echoScenario(sha), "start": true})
	require.Equal(t, http.StatusTooManyRequests, r.Status, "the first run holds the only slot while it runs")
	mustOK(t, postJSON(t, api+"/"+first.ID+"/control", map[string]any{"action": "pause"}), http.StatusOK)
	var m inMem
	require.Eventually(t, func() bool {
		require.NoError(t, json.Unmarshal(get(t, api+"/"+first.ID).Body, &m))
		return !m.InMemory
	}, time.Minute, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		return postJSON(t, api, map[string]any{"scenario": echoScenario(sha), "start": true}).Status == http.StatusCreated
	}, time.Minute, 100*time.Millisecond, "an idle run's slot is free")
	assert.Equal(t, 2, workers(t), "the streamed run's worker stays")
}
