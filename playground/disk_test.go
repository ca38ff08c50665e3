package playground_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
)

// fakeFree is a free-space gauge a test can turn down.
type fakeFree struct{ bytes atomic.Int64 }

func (f *fakeFree) fn(string) (uint64, error) { return uint64(f.bytes.Load()), nil }

func require507(t *testing.T, r resp, what string) {
	t.Helper()
	require.Equal(t, http.StatusInsufficientStorage, r.Status, "%s: %s", what, r.Body)
	assert.Equal(t, "insufficient_storage", r.apiError(t)["code"], what)
}

// On a full disk uploads and new runs answer 507, a run going on stops with
// a verdict that says why, and reads still work.
func TestFullDiskAnswers507(t *testing.T) {
	free := &fakeFree{}
	free.bytes.Store(1 << 40)
	_, hs := newServer(t, runConfig().WithDataDir(t.TempDir()).WithFreeSpace(free.fn).WithFreeReserve(64<<20))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)

	free.bytes.Store(64<<20 - 1000) // inside the reserve
	r := upload(t, hs.URL, wasmOf(t, "counter"))
	require507(t, r, "upload")
	assert.Contains(t, r.apiError(t)["message"], "reserve")
	require507(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), "new run")
	require507(t, postJSON(t, api+"/"+st.ID+"/fork", map[string]any{"seq": 0}), "fork")

	fin := mustOK(t, postJSON(t, api+"/"+st.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	assert.Equal(t, "finished", fin.State)
	assert.Equal(t, "unknown", fin.Verdict)
	assert.Contains(t, fin.Error, "insufficient storage")
	assert.Less(t, fin.NowNS, fin.EndNS, "stopped before its end")
	for _, p := range []string{"/api/v1/modules", "/api/v1/modules/" + sha, "/api/v1/runs/" + st.ID, "/api/v1/runs/" + st.ID + "/trace"} {
		assert.Equal(t, http.StatusOK, get(t, hs.URL+p).Status, p)
	}
	free.bytes.Store(1 << 40)
	assert.Equal(t, http.StatusCreated, upload(t, hs.URL, wasmOf(t, "counter")).Status, "space again")
}

// A server started on a full disk comes up read-only: it serves what it
// has and answers 507 to writes.
func TestStartsReadOnlyOnFullDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := playground.New(context.Background(), runConfig().WithDataDir(dir))
	require.NoError(t, err)
	hs := httpServer(s)
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	hs.Close()
	require.NoError(t, s.Close())

	full := &fakeFree{}
	_, hs2 := newServer(t, runConfig().WithDataDir(dir).WithFreeSpace(full.fn))
	h := get(t, hs2.URL+"/api/v1/health").json(t)
	assert.Equal(t, true, h["read_only"])
	assert.Equal(t, http.StatusOK, get(t, hs2.URL+"/api/v1/modules/"+sha+"/wasm").Status, "what was stored is served")
	require507(t, upload(t, hs2.URL, wasmOf(t, "counter")), "upload")
	require507(t, do(t, http.MethodDelete, hs2.URL+"/api/v1/modules/"+sha, "", nil), "delete")
	require507(t, postJSON(t, hs2.URL+"/api/v1/runs", map[string]any{"scenario": echoScenario(sha)}), "run")

	// A fresh data folder on a full disk starts too, with an empty store.
	_, hs3 := newServer(t, runConfig().WithDataDir(t.TempDir()).WithFreeSpace(full.fn))
	assert.Equal(t, true, get(t, hs3.URL+"/api/v1/health").json(t)["read_only"])
	require507(t, upload(t, hs3.URL, wasmOf(t, "counter")), "upload")
}

// The module store keeps to its quota: a module that does not fit gets
// 507, and deleting one makes room.
func TestModuleQuota(t *testing.T) {
	echo, counter := wasmOf(t, "echo"), wasmOf(t, "counter")
	quota := int64(len(echo) + len(counter) - 1)
	_, hs := newServer(t, runConfig().WithDiskQuotas(quota, playground.DefaultRunQuota, playground.DefaultCacheQuota))
	sha := uploaded(t, hs.URL, echo)
	r := upload(t, hs.URL, counter)
	require507(t, r, "over quota")
	assert.Contains(t, r.apiError(t)["message"], "quota")
	assert.Equal(t, http.StatusOK, upload(t, hs.URL, echo).Status, "a module already stored takes no room")
	require.Equal(t, http.StatusNoContent, do(t, http.MethodDelete, hs.URL+"/api/v1/modules/"+sha, "", nil).Status)
	assert.Equal(t, http.StatusCreated, upload(t, hs.URL, counter).Status)
}

// Run folders keep to their quota: the oldest finished runs are removed to
// make room (a live one never is), and a run that writes past the quota
// stops.
func TestRunFolderQuotaAndRetention(t *testing.T) {
	dir := t.TempDir()
	_, hs := newServer(t, runConfig().WithDataDir(dir).WithDiskQuotas(playground.DefaultModuleQuota, 4096, playground.DefaultCacheQuota))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	old := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	fin := mustOK(t, postJSON(t, api+"/"+old.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	require.Equal(t, "finished", fin.State)
	// Its report files alone pass 4 KB: the next run makes room by removing it.
	require.DirExists(t, filepath.Join(dir, "runs", old.ID))
	next := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	assert.Equal(t, http.StatusNotFound, get(t, api+"/"+old.ID).Status, "the oldest finished run is forgotten")
	assert.NoDirExists(t, filepath.Join(dir, "runs", old.ID))
	// A run past the quota stops when its trace reaches the disk (checked
	// between slices of 20,000 events).
	big := uploaded(t, hs.URL, wat(t, logWAT(100, 50_000)))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": bigLogScenario(big)}), http.StatusCreated)
	stopped := mustOK(t, postJSON(t, api+"/"+st.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	assert.Contains(t, stopped.Error, "over their quota")
	assert.Equal(t, "unknown", stopped.Verdict)
	assert.Equal(t, http.StatusOK, get(t, api+"/"+next.ID).Status, "the live run is kept")
}

// Finished runs older than the retention age are removed, with folders
// left by an earlier server.
func TestRunRetentionByAge(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "runs", "feedfacecafe")
	require.NoError(t, os.MkdirAll(stale, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(stale, "trace.jsonl"), []byte("{}\n"), 0o644))
	past := time.Now().Add(-48 * time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(stale, "trace.jsonl"), past, past))
	_, hs := newServer(t, runConfig().WithDataDir(dir).WithRunRetention(24*time.Hour))
	assert.NoDirExists(t, stale, "removed at start")
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	mustOK(t, postJSON(t, api+"/"+st.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	assert.Equal(t, http.StatusOK, get(t, api+"/"+st.ID).Status, "a finished run younger than the age is kept")
}

// On a real small file system (a tmpfs the test mounts, as root), uploads
// fill the disk up to the reserve and then answer 507; the process lives
// (Badger's memory-mapped writer is never let near a full disk), and a
// server restarted on the full disk comes up read-only with every module.
func TestRealFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	cfg := runConfig().WithDataDir(dir).WithFreeReserve(8 << 20).WithMaxModuleBytes(8 << 20)
	s, err := playground.New(context.Background(), cfg)
	require.NoError(t, err)
	hs := httpServer(s)
	var shas []string
	full := false
	for i := range 40 {
		r := upload(t, hs.URL, bigEcho(t, 3<<20, uint64(100+i)))
		if r.Status == http.StatusInsufficientStorage {
			full = true
			break
		}
		require.Equal(t, http.StatusCreated, r.Status, "upload %d: %s", i, r.Body)
		shas = append(shas, r.json(t)["sha256"].(string))
	}
	require.True(t, full, "a 48 MiB disk fills")
	require.NotEmpty(t, shas)
	hs.Close()
	require.NoError(t, s.Close())

	// Fill what is left, then restart.
	f, err := os.Create(filepath.Join(dir, "filler"))
	require.NoError(t, err)
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	require.NoError(t, f.Close())
	_, hs2 := newServer(t, cfg)
	assert.Equal(t, true, get(t, hs2.URL+"/api/v1/health").json(t)["read_only"])
	for _, sha := range shas {
		assert.Equal(t, http.StatusOK, get(t, hs2.URL+"/api/v1/modules/"+sha+"/wasm").Status, fmt.Sprint("module ", sha))
	}
	require507(t, upload(t, hs2.URL, wasmOf(t, "counter")), "upload")
}

func TestReadAndDiskConfigValidation(t *testing.T) {
	for _, c := range []struct {
		cfg  playground.Config
		want string
	}{
		{playground.NewConfig().WithReadLimits(0, 1<<20, 10), "heavy reads 0"},
		{playground.NewConfig().WithReadLimits(1, 100, 10), "page bytes 100"},
		{playground.NewConfig().WithReadLimits(1, 1<<20, 0), "live diagram events 0"},
		{playground.NewConfig().WithDiskQuotas(0, 1, 1), "modules 0"},
		{playground.NewConfig().WithDiskQuotas(1, -1, 1), "runs -1"},
		{playground.NewConfig().WithFreeReserve(-5), "free reserve -5"},
		{playground.NewConfig().WithRunRetention(0), "run retention 0s"},
	} {
		_, err := playground.New(t.Context(), c.cfg.WithPreload(false))
		require.Error(t, err, c.want)
		assert.Contains(t, err.Error(), c.want)
	}
}

// The compilation cache keeps to its quota: the oldest entries go first.
func TestCacheQuota(t *testing.T) {
	dir := t.TempDir()
	_, hs := newServer(t, runConfig().WithDataDir(dir).WithDiskQuotas(playground.DefaultModuleQuota, playground.DefaultRunQuota, 100).WithIdleClose(50*time.Millisecond))
	api := hs.URL + "/api/v1/runs"
	cacheSize := func() (n int64, files int) {
		_ = filepath.WalkDir(filepath.Join(dir, "cache"), func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					n += info.Size()
					files++
				}
			}
			return nil
		})
		return n, files
	}
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	size, files := cacheSize()
	require.Positive(t, files, "the run compiled its module into the server's cache")
	require.Greater(t, size, int64(100))
	// The server trims it (at each new run and on its reaper's tick).
	require.Eventually(t, func() bool { n, _ := cacheSize(); return n <= 100 }, time.Minute, 10*time.Millisecond)
}
