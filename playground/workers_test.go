package playground_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/playground"
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
// the server's process and in a worker. start-ms/op is the creation's
// latency (POST /runs until its answer); events/s counts the runs' events
// over the whole loop.
//
//	go test ./playground -run '^$' -bench RunThroughAPI -benchtime 20x
func BenchmarkRunThroughAPI(b *testing.B) {
	wasm, err := testguests.Wasm("echo")
	require.NoError(b, err)
	for _, mode := range []string{"in-process", "workers"} {
		b.Run(mode, func(b *testing.B) {
			cfg := runConfig().WithRunLimits(4, 16, time.Minute, time.Minute)
			if mode == "workers" {
				cfg = cfg.WithWorkers(terrariumBin(b))
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
			body, _ := json.Marshal(map[string]any{"scenario": echoScenario(mod.SHA256), "start": true, "speed": 0})
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
