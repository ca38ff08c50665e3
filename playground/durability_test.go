package playground_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
)

// childEnv, when set, makes the test binary a server (see TestMain) with
// its data folder there.
const childEnv = "TERRARIUM_PLAYGROUND_CHILD_DATA"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(serveChild(dir))
	}
	code := m.Run()
	removeWorkerBin()
	os.Exit(code)
}

func serveChild(dir string) int {
	s, err := playground.New(context.Background(), playground.NewConfig().WithDataDir(dir).WithPreload(false))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("listening http://%s\n", ln.Addr())
	if err := http.Serve(ln, s.Handler()); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return 1
}

// startChild runs the server as a child process and returns its URL.
func startChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	require.True(t, ok, "child said %q", line)
	return cmd, url
}

// withCustomSection returns a valid module: wasm plus a custom section of
// n bytes named name (custom sections do not change what a module does).
func withCustomSection(wasm []byte, name string, n int) []byte {
	payload := binary.AppendUvarint(nil, uint64(len(name)))
	payload = append(payload, name...)
	payload = append(payload, bytes.Repeat([]byte{byte(len(name))}, n)...)
	out := append(append([]byte{}, wasm...), 0)
	out = binary.AppendUvarint(out, uint64(len(payload)))
	return append(out, payload...)
}

// A SIGKILL while modules are being uploaded loses only the uploads that
// were not acknowledged: after a restart no partial module is listed, and
// every acknowledged one is listed and intact.
func TestDurabilityUnderSIGKILL(t *testing.T) {
	dir := t.TempDir()
	cmd, url := startChild(t, dir)
	base := wasmOf(t, "echo")

	acked := map[string][]byte{}
	for i := range 3 {
		m := withCustomSection(base, fmt.Sprintf("before-%d", i), 1000+i)
		r := upload(t, url, m)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		acked[shaOf(m)] = m
	}

	// Uploads keep going from four clients while the server is killed; one
	// more upload is stuck half way through its 4 MiB body.
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m := withCustomSection(base, fmt.Sprintf("during-%d-%d", c, i), 200_000+i)
				res, err := http.Post(url+"/api/v1/modules", "application/wasm", bytes.NewReader(m))
				if err != nil {
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					mu.Lock()
					acked[shaOf(m)] = m
					mu.Unlock()
				}
			}
		}()
	}
	partial := withCustomSection(base, "partial", 4<<20)
	pr, pw := io.Pipe()
	postErr := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/modules", pr)
		req.Header.Set("Content-Type", "application/wasm")
		req.ContentLength = int64(len(partial))
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		postErr <- err
	}()
	_, err := pw.Write(partial[:len(partial)/2])
	require.NoError(t, err)
	// Let the concurrent uploads get some acknowledged.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 8 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	pw.CloseWithError(io.ErrClosedPipe)
	require.Error(t, <-postErr, "the half-sent upload cannot have succeeded")
	require.GreaterOrEqual(t, len(acked), 4)

	_, url = startChild(t, dir)
	r := get(t, url+"/api/v1/modules")
	require.Equal(t, http.StatusOK, r.Status)
	listed := map[string]bool{}
	for _, m := range r.json(t)["modules"].([]any) {
		meta := m.(map[string]any)
		sha := meta["sha256"].(string)
		listed[sha] = true
		// Whatever is listed is whole: its bytes hash to its name.
		w := get(t, url+"/api/v1/modules/"+sha+"/wasm")
		require.Equal(t, http.StatusOK, w.Status, "%s", w.Body)
		assert.Equal(t, sha, shaOf(w.Body))
		assert.EqualValues(t, len(w.Body), meta["size"])
	}
	assert.NotContains(t, listed, shaOf(partial))
	for sha, m := range acked {
		assert.True(t, listed[sha], "acknowledged module %s is lost", sha[:12])
		w := get(t, url+"/api/v1/modules/"+sha+"/wasm")
		assert.Equal(t, m, w.Body)
	}
	t.Logf("%d acknowledged uploads survived the SIGKILL; %d listed", len(acked), len(listed))

	// A module uploaded before the crash runs after it.
	for sha := range acked {
		st := mustOK(t, postJSON(t, url+"/api/v1/runs", map[string]any{"scenario": echoScenario(sha), "start": true, "speed": 0}), http.StatusCreated)
		require.Eventually(t, func() bool {
			return status(t, get(t, url+"/api/v1/runs/"+st.ID)).State == "finished"
		}, time.Minute, 20*time.Millisecond)
		break
	}
}
