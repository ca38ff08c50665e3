package playground_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/terrarium-sim/terrarium/internal/testguests"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
)

// bigEcho is the echo guest with n seeded random bytes in a data segment:
// a large, valid module whose bytes do not compress.
func bigEcho(t testing.TB, n int, seed uint64) []byte {
	t.Helper()
	pages := n/65536 + 2
	base, err := watBytes(fmt.Sprintf(`(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") %d)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32))
  (func (export "on_message") (param $from i32) (param $p i32) (param $n i32)
    (drop (call $send (local.get $from) (local.get $p) (local.get $n))))
  (func (export "on_timer") (param i64)))`, pages))
	require.NoError(t, err)
	data := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{byte(seed)})
	_, _ = rng.Read(data)
	// Data section (id 11): one active segment for memory 0 at offset 65536.
	seg := append([]byte{1, 0, 0x41}, leb(65536)...)
	seg = append(seg, 0x0b)
	seg = append(seg, leb(uint64(n))...)
	seg = append(seg, data...)
	out := append(base, 11)
	out = append(out, leb(uint64(len(seg)))...)
	return append(out, seg...)
}

func leb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// serveB starts a server for a benchmark.
func serveB(b *testing.B, cfg playground.Config) string {
	b.Helper()
	s, err := playground.New(b.Context(), cfg)
	require.NoError(b, err)
	hs := httpServer(s)
	b.Cleanup(func() { hs.Close(); _ = s.Close() })
	return hs.URL
}

func postB(b *testing.B, url string, v any) map[string]any {
	b.Helper()
	body, err := json.Marshal(v)
	require.NoError(b, err)
	res, err := http.Post(url, "application/json", bytesReader(body))
	require.NoError(b, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(b, err)
	require.Less(b, res.StatusCode, 300, "%s", out)
	var m map[string]any
	require.NoError(b, json.Unmarshal(out, &m))
	return m
}

// finishedRun creates a run from scenario text, finishes it, and waits
// until its simulation is closed (it is then read from its folder).
func finishedRun(b *testing.B, base, scn string) string {
	b.Helper()
	return finishedRunOf(b, base, map[string]any{"scenario": scn})
}

func finishedRunOf(b *testing.B, base string, req map[string]any) string {
	b.Helper()
	api := base + "/api/v1/runs"
	st := postB(b, api, req)
	id := st["id"].(string)
	postB(b, api+"/"+id+"/control", map[string]any{"action": "finish"})
	require.Eventually(b, func() bool {
		res, err := http.Get(api + "/" + id)
		require.NoError(b, err)
		defer res.Body.Close()
		var m struct {
			InMemory bool `json:"in_memory"`
		}
		require.NoError(b, json.NewDecoder(res.Body).Decode(&m))
		return !m.InMemory
	}, time.Minute, 10*time.Millisecond)
	return api + "/" + id
}

func uploadB(b *testing.B, base string, wasm []byte) string {
	b.Helper()
	res, err := http.Post(base+"/api/v1/modules", "application/wasm", bytesReader(wasm))
	require.NoError(b, err)
	defer res.Body.Close()
	var m map[string]any
	require.NoError(b, json.NewDecoder(res.Body).Decode(&m))
	require.Contains(b, m, "sha256", "%v", m)
	return m["sha256"].(string)
}

// getDiscard reads url's body into io.Discard and returns its size.
func getDiscard(b *testing.B, url string) int64 {
	res, err := http.Get(url)
	require.NoError(b, err)
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	require.NoError(b, err)
	require.Equal(b, http.StatusOK, res.StatusCode)
	return n
}

func storeFillScenario(sha string, storeBytes int) string {
	return fmt.Sprintf(`name: storefill
duration: 40ms
modules:
  f: {sha256: %s, roles: [server]}
nodes:
  - {name: f, count: 1, module: f, role: server}
limits: {store_bytes: %d}
`, sha, storeBytes)
}

// The memory one anonymous read costs, per kind of heavy read (B/op is the
// server's and the discarding client's allocations together).
func BenchmarkHeavyReads(b *testing.B) {
	base := serveB(b, runConfig().WithIdleClose(20*time.Millisecond).WithMaxModuleBytes(32<<20).WithDataDir(b.TempDir()))
	b.Run("trace_page_5000", func(b *testing.B) {
		run := finishedRunOf(b, base, map[string]any{"pattern": "twopc"})
		b.ReportAllocs()
		b.ResetTimer()
		var n int64
		for range b.N {
			n = getDiscard(b, run+"/trace?from=0&n=5000")
		}
		b.ReportMetric(float64(n), "body_bytes")
	})
	b.Run("trace_page_3KB_events", func(b *testing.B) {
		sha := uploadB(b, base, mustWat(b, bigLogWAT))
		run := finishedRun(b, base, bigLogScenario(sha))
		b.ReportAllocs()
		b.ResetTimer()
		var n int64
		for range b.N {
			n = getDiscard(b, run+"/trace?from=0&n=5000")
		}
		b.ReportMetric(float64(n), "body_bytes")
	})
	b.Run("node_store_8MiB", func(b *testing.B) {
		sha := uploadB(b, base, wasmMust(b, "storefill"))
		run := finishedRun(b, base, storeFillScenario(sha, 8<<20))
		b.ReportAllocs()
		b.ResetTimer()
		var n int64
		for range b.N {
			n = getDiscard(b, run+"/nodes/f")
		}
		b.ReportMetric(float64(n), "body_bytes")
	})
	b.Run("export_zip_4x4MiB", func(b *testing.B) {
		sha := uploadB(b, base, bigEcho(b, 4<<20, 1))
		run := finishedRun(b, base, fourNames(sha))
		b.ReportAllocs()
		b.ResetTimer()
		var n int64
		for range b.N {
			n = getDiscard(b, run+"/export?format=zip")
		}
		b.ReportMetric(float64(n), "body_bytes")
	})
}

// fourNames is a scenario naming one module four times.
func fourNames(sha string) string {
	return fmt.Sprintf(`name: four-names
seed: 1
duration: 100ms
modules:
  a: {sha256: %[1]s, roles: [server]}
  b: {sha256: %[1]s, roles: [server]}
  c: {sha256: %[1]s, roles: [server]}
  d: {sha256: %[1]s, roles: [server]}
nodes:
  - {name: a, count: 1, module: a, role: server}
  - {name: b, count: 1, module: b, role: server}
  - {name: c, count: 1, module: c, role: server}
  - {name: d, count: 1, module: d, role: server}
`, sha)
}

func watBytes(src string) ([]byte, error) { return testguests.Wat2Wasm([]byte(src)) }

func wasmMust(b testing.TB, name string) []byte {
	w, err := testguests.Wasm(name)
	require.NoError(b, err)
	return w
}

func httpServer(s *playground.Server) *httptest.Server { return httptest.NewServer(s.Handler()) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// bigLogWAT logs a 3,000-byte line every millisecond: a run of large events.
var bigLogWAT = logWAT(3000, 1_000_000)

// logWAT logs a line of size bytes every period nanoseconds.
func logWAT(size, period int) string {
	return fmt.Sprintf(`(module
  (import "terrarium" "log" (func $log (param i32 i32 i32)))
  (import "terrarium" "timer_set" (func $timer_set (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 8192))
  (func (export "on_init") (param i32 i32)
    (memory.fill (i32.const 0) (i32.const 66) (i32.const %[1]d))
    (drop (call $timer_set (i64.const %[2]d))))
  (func (export "on_message") (param i32 i32 i32))
  (func (export "on_timer") (param i64)
    (call $log (i32.const 1) (i32.const 0) (i32.const %[1]d))
    (drop (call $timer_set (i64.const %[2]d)))))`, size, period)
}

func bigLogScenario(sha string) string {
	return fmt.Sprintf(`name: big-log
seed: 1
duration: 1s
modules:
  l: {sha256: %s, roles: [server]}
nodes:
  - {name: l, count: 2, module: l, role: server}
`, sha)
}

func mustWat(b testing.TB, src string) []byte {
	w, err := watBytes(src)
	require.NoError(b, err)
	return w
}
