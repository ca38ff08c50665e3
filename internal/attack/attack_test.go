package attack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
)

// bin is the terrarium binary TestMain builds.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "terrarium-attack-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	bin = filepath.Join(dir, "terrarium")
	build := exec.Command("go", "build", "-o", bin, "github.com/terrarium-sim/terrarium/cmd/terrarium")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build terrarium:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// serverRSSLimit is the most resident memory the server process may ever
// reach (VmHWM) under any attack of this suite: without workers, each of
// them takes it past gigabytes or kills it.
const serverRSSLimit = 256 << 20

// server is a running `terrarium serve`.
type server struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT/api/v1
	out  *bytes.Buffer
}

// start runs terrarium serve on a free loopback port with a fresh data
// folder and no plugins (so it builds nothing), workers limited to 512 MiB.
// TERRARIUM_ATTACK_IN_PROCESS=1 starts it with --in-process instead, to
// see the attacks succeed without workers.
func start(t *testing.T, extra ...string) *server {
	t.Helper()
	if os.Getenv("TERRARIUM_ATTACK_IN_PROCESS") != "" {
		extra = append(extra, "--in-process")
	}
	dir := t.TempDir()
	plugins := filepath.Join(dir, "plugins")
	require.NoError(t, os.MkdirAll(plugins, 0o755))
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--plugins", plugins,
		"--worker-memory", "512", "--worker-cpu", "120"}, extra...)
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	require.NoError(t, cmd.Start())
	s := &server{cmd: cmd, out: &errBuf}
	t.Cleanup(func() { s.stop(t) })
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case line <- sc.Text():
			default:
			}
		}
	}()
	select {
	case l := <-line:
		m := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`).FindStringSubmatch(l)
		require.NotNil(t, m, "serve printed %q", l)
		s.base = "http://" + m[1] + "/api/v1"
	case <-time.After(30 * time.Second):
		t.Fatalf("terrarium serve did not start within 30s; stderr: %s", errBuf.String())
	}
	return s
}

// stop ends the server with SIGTERM; it must exit within 10 s.
func (s *server) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
		t.Errorf("terrarium serve did not exit within 10s of SIGTERM")
	}
}

// memory returns the server process's peak and current resident set.
func (s *server) memory(t *testing.T) (hwm, rss int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	require.NoError(t, err, "the server process is gone; stderr: %s", s.out.String())
	for _, ln := range strings.Split(string(b), "\n") {
		f := strings.Fields(ln)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = n << 10
		case "VmRSS:":
			rss = n << 10
		}
	}
	return hwm, rss
}

// assertHealthy checks that the server answers within a second and that
// its memory stayed under serverRSSLimit.
func (s *server) assertHealthy(t *testing.T) {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get(s.base + "/health")
	require.NoError(t, err, "the server did not answer its health check within 1s; stderr: %s", s.out.String())
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	hwm, _ := s.memory(t)
	assert.Less(t, hwm, int64(serverRSSLimit), "the server's peak RSS")
	t.Logf("server VmHWM %d MiB", hwm>>20)
}

type reply struct {
	status int
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body %s", r.body)
	return m
}

// call makes one request, bounded by d.
func (s *server) call(t *testing.T, d time.Duration, method, path string, body []byte) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(body))
	require.NoError(t, err)
	if strings.HasPrefix(path, "/modules") {
		req.Header.Set("Content-Type", "application/wasm")
	} else if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "%s %s did not answer within %v", method, path, d)
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	require.NoError(t, err)
	return reply{resp.StatusCode, b}
}

func (s *server) upload(t *testing.T, wasm []byte) string {
	t.Helper()
	r := s.call(t, time.Minute, http.MethodPost, "/modules", wasm)
	require.Contains(t, []int{http.StatusOK, http.StatusCreated}, r.status, "upload: %s", r.body)
	return r.json(t)["sha256"].(string)
}

// run creates a run of the module on two nodes, started at full speed.
func (s *server) run(t *testing.T, name, sha string) string {
	t.Helper()
	scn := fmt.Sprintf(`name: %s
duration: 2s
network: {latency: {min: 1ms, max: 5ms}}
modules:
  h: {sha256: %s, roles: [server]}
nodes:
  - {name: h, count: 2, module: h, role: server}
workload: {type: echo, clients: 1, interval: 50ms, timeout: 100ms}
checks: [echo]
`, name, sha)
	b, _ := json.Marshal(map[string]any{"scenario": scn, "start": true, "speed": 0})
	r := s.call(t, 3*time.Minute, http.MethodPost, "/runs", b)
	require.Equal(t, http.StatusCreated, r.status, "create: %s", r.body)
	return r.json(t)["id"].(string)
}

// waitFinished polls the run until it is finished, for at most d.
func (s *server) waitFinished(t *testing.T, id string, d time.Duration) map[string]any {
	t.Helper()
	end := time.Now().Add(d)
	for {
		st := s.call(t, 2*time.Second, http.MethodGet, "/runs/"+id, nil).json(t)
		if st["state"] == "finished" {
			t.Logf("run %s finished: verdict %v, error %v", id, st["verdict"], st["error"])
			return st
		}
		if time.Now().After(end) {
			t.Fatalf("run %s did not finish within %v: %v", id, d, st)
		}
		s.assertHealthy(t)
		time.Sleep(200 * time.Millisecond)
	}
}

func wat(t *testing.T, src string) []byte {
	t.Helper()
	b, err := testguests.Wat2Wasm([]byte(src))
	require.NoError(t, err)
	return b
}

// guest is a minimal ABI v1 reactor whose on_init body is init.
func guest(t *testing.T, init string, extra string) []byte {
	return wat(t, `(module `+extra+`
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) `+init+`)
  (func (export "on_message") (param i32 i32 i32)))`)
}

func slow(t *testing.T) {
	if os.Getenv("TERRARIUM_SLOW") == "" {
		t.Skip("slow: set TERRARIUM_SLOW=1")
	}
}
