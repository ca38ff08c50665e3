package playground_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type tracePage struct {
	From   int               `json:"from"`
	Events []json.RawMessage `json:"events"`
	Next   int               `json:"next"`
	Total  uint64            `json:"total"`
}

// readAllPages pages through a run's trace, checking every page's size,
// and returns the events' seqs.
func readAllPages(t *testing.T, run string, capBytes int) []uint64 {
	t.Helper()
	var seqs []uint64
	from := 0
	for {
		r := get(t, fmt.Sprintf("%s/trace?from=%d&n=5000", run, from))
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var p tracePage
		require.NoError(t, json.Unmarshal(r.Body, &p))
		if len(p.Events) == 0 {
			assert.EqualValues(t, p.Total, from)
			return seqs
		}
		// At most the cap, plus the one event that passes it.
		assert.LessOrEqual(t, len(r.Body), capBytes+len(p.Events[len(p.Events)-1])+128, "page at %d", from)
		for _, e := range p.Events {
			var ev struct {
				Seq uint64 `json:"seq"`
			}
			require.NoError(t, json.Unmarshal(e, &ev))
			seqs = append(seqs, ev.Seq)
		}
		require.Equal(t, from+len(p.Events), p.Next)
		from = p.Next
	}
}

// A trace page is capped in bytes as well as in events, live and from the
// run folder, and paging reads every event once, in order.
func TestTracePagesBoundedInBytes(t *testing.T) {
	const capBytes = 32 << 10
	_, hs := newServer(t, runConfig().WithReadLimits(2, capBytes, 1000))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wat(t, bigLogWAT))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": bigLogScenario(sha)}), http.StatusCreated)
	run := api + "/" + st.ID
	live := mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "500ms"}), http.StatusOK)
	require.Greater(t, live.Seq, uint64(500))
	seqs := readAllPages(t, run, capBytes)
	require.Len(t, seqs, int(live.Seq))
	for i, s := range seqs {
		require.EqualValues(t, i+1, s)
	}
	fin := mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	require.Equal(t, "finished", fin.State, fin.Error)
	seqs = readAllPages(t, run, capBytes)
	require.Len(t, seqs, int(fin.Seq))
	for i, s := range seqs {
		require.EqualValues(t, i+1, s)
	}
}

// The live stream's catch-up pages are bounded in bytes too: a client that
// joins a finished run late gets the trace in pages of at most 256 KiB
// (plus one event), every event once.
func TestStreamCatchUpPagesBounded(t *testing.T) {
	_, hs := newServer(t, runConfig())
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wat(t, bigLogWAT))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": bigLogScenario(sha)}), http.StatusCreated)
	fin := mustOK(t, postJSON(t, api+"/"+st.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	res, err := http.Get(api + "/" + st.ID + "/events")
	require.NoError(t, err)
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var next uint64
	event, pages := "", 0
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[7:]
		case strings.HasPrefix(line, "data: ") && event == "trace":
			pages++
			assert.LessOrEqual(t, len(line), 256<<10+4096, "a catch-up page")
			var evs []struct {
				Seq uint64 `json:"seq"`
			}
			require.NoError(t, json.Unmarshal([]byte(line[6:]), &evs))
			for _, e := range evs {
				require.Equal(t, next+1, e.Seq)
				next = e.Seq
			}
		}
	}
	assert.Equal(t, fin.Seq, next)
	assert.Greater(t, pages, 8, "%d events of 3 KB take many pages", next)
}

type nodeDetail struct {
	Name  string `json:"name"`
	Store []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"store"`
	StoreNext string          `json:"store_next"`
	Log       []any           `json:"log"`
	Stats     map[string]uint `json:"stats"`
}

// readStore pages through a node's store, checking each page's size.
func readStore(t *testing.T, run, node string, limit, capBytes int) ([]string, map[string]uint) {
	t.Helper()
	var keys []string
	after := ""
	var stats map[string]uint
	for range 1000 {
		r := get(t, fmt.Sprintf("%s/nodes/%s?limit=%d&after=%s", run, node, limit, after))
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var d nodeDetail
		require.NoError(t, json.Unmarshal(r.Body, &d))
		stats = d.Stats
		require.LessOrEqual(t, len(d.Store), limit)
		if len(d.Store) > 1 {
			last, err := json.Marshal(d.Store[len(d.Store)-1])
			require.NoError(t, err)
			assert.LessOrEqual(t, len(r.Body), capBytes+len(last)+64<<10, "a store page")
		}
		for _, kv := range d.Store {
			keys = append(keys, kv.Key)
		}
		if d.StoreNext == "" {
			return keys, stats
		}
		require.Equal(t, d.Store[len(d.Store)-1].Key, d.StoreNext)
		after = urlQuery(d.StoreNext)
	}
	t.Fatal("the store pages never end")
	return nil, nil
}

func urlQuery(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// A node's store is paged by key (limit, after) under a byte cap, while
// the run goes on and once it has finished (then read from its folder).
func TestNodeStorePaged(t *testing.T) {
	const capBytes = 256 << 10
	_, hs := newServer(t, runConfig().WithReadLimits(2, capBytes, 1000))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "storefill"))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": storeFillScenario(sha, 2<<20)}), http.StatusCreated)
	run := api + "/" + st.ID
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "30ms"}), http.StatusOK)
	live, liveStats := readStore(t, run, "f", 1000, capBytes)
	require.Greater(t, len(live), 10, "the store holds 2 MiB of 64 KiB values")
	assert.IsIncreasing(t, live)
	few, _ := readStore(t, run, "f", 3, capBytes)
	assert.Equal(t, live, few, "small pages read the same store")

	fin := mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	require.Equal(t, "finished", fin.State)
	done, doneStats := readStore(t, run, "f", 1000, capBytes)
	assert.Equal(t, live, done, "the finished run's store, read from its folder")
	assert.Equal(t, liveStats["emit"], doneStats["emit"])

	r := get(t, run+"/nodes/f?limit=0")
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.apiError(t)["message"], "limit")
	r = get(t, run+"/nodes/zz")
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Contains(t, r.apiError(t)["message"], `no node "zz"`)
}

// Reading a finished run (its nodes, a node, its trace) takes no run slot:
// with one slot, held by another run, the finished run is still served.
func TestFinishedRunReadsTakeNoSlot(t *testing.T) {
	_, hs := newServer(t, runConfig().WithRunLimits(1, 8, time.Minute, time.Minute))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	done := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	mustOK(t, postJSON(t, api+"/"+done.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	// The finished run gave its slot back at once.
	other := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	for _, p := range []string{"/nodes", "/nodes/n0", "/trace", "/files", "/export", "/export?format=zip", "/files/lamport.html"} {
		r := get(t, api+"/"+done.ID+p)
		assert.Equal(t, http.StatusOK, r.Status, "%s: %s", p, r.Body)
	}
	var ns struct {
		Nodes []struct {
			Name string `json:"name"`
		} `json:"nodes"`
	}
	require.NoError(t, json.Unmarshal(get(t, api+"/"+done.ID+"/nodes").Body, &ns))
	assert.Len(t, ns.Nodes, 3)
	// The reads took no slot: with the other run gone, a new one starts.
	require.Equal(t, http.StatusNoContent, do(t, http.MethodDelete, api+"/"+other.ID, "", nil).Status)
	mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
}

// A zip export writes a module named several times once, by digest, and
// still replays anywhere.
func TestExportZipDeduplicated(t *testing.T) {
	s, hs := newServer(t, runConfig().WithDataDir(t.TempDir()))
	api := hs.URL + "/api/v1/runs"
	big := bigEcho(t, 300<<10, 7)
	sha := uploaded(t, hs.URL, big)
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": fourNames(sha)}), http.StatusCreated)
	fin := mustOK(t, postJSON(t, api+"/"+st.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	r := get(t, api+"/"+st.ID+"/export?format=zip")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Less(t, len(r.Body), len(big)+len(big)/4, "one copy of the module")
	zr, err := zip.NewReader(bytes.NewReader(r.Body), int64(len(r.Body)))
	require.NoError(t, err)
	var wasms []string
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".wasm") {
			wasms = append(wasms, f.Name)
		}
	}
	assert.Equal(t, []string{st.ID + "/modules/" + sha + ".wasm"}, wasms)
	assert.Equal(t, fin.Digest, replayBundle(t, r.Body))
	_ = s
}

// smallReceiveClient reads through a socket with a tiny receive buffer, so
// that a response it does not read soon blocks the server's writes.
func smallReceiveClient() *http.Client {
	d := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// Heavy reads wait for one of a few slots: while a client holds one open
// (an export it does not read), the next heavy read gets 429 with
// Retry-After, and once it is done, heavy reads are served again.
func TestHeavyReadSlots(t *testing.T) {
	_, hs := newServer(t, runConfig().WithDataDir(t.TempDir()).WithMaxModuleBytes(32<<20).WithReadLimits(1, 1<<20, 1000))
	api := hs.URL + "/api/v1/runs"
	big := bigEcho(t, 20<<20, 9)
	sha := uploaded(t, hs.URL, big)
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": fmt.Sprintf(`name: big
duration: 10ms
modules:
  e: {sha256: %s, roles: [server]}
nodes:
  - {name: e, count: 1, module: e, role: server}
`, sha)}), http.StatusCreated)
	run := api + "/" + st.ID
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "finish"}), http.StatusOK)

	res, err := smallReceiveClient().Get(run + "/export?format=zip")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	// The export's 20 MiB cannot all be in flight: the server is blocked
	// writing it, holding the only heavy-read slot.
	for _, p := range []string{"/trace", "/nodes/e", "/export?format=zip"} {
		r := get(t, run+p)
		require.Equal(t, http.StatusTooManyRequests, r.Status, "%s: %s", p, r.Body)
		assert.Equal(t, "1", r.Header.Get("Retry-After"))
		assert.Contains(t, r.apiError(t)["message"], "heavy reads")
	}
	// Light reads are not held up.
	assert.Equal(t, http.StatusOK, get(t, run).Status)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	_, err = zip.NewReader(bytes.NewReader(body), int64(len(body)))
	require.NoError(t, err, "the held export completes")
	assert.Equal(t, http.StatusOK, get(t, run+"/trace").Status)
}

// The live diagram of a running run is drawn once per position (readers at
// the same position share it) and over at most the configured events.
func TestLiveDiagramCachedAndBounded(t *testing.T) {
	dir := t.TempDir()
	_, hs := newServer(t, runConfig().WithDataDir(dir).WithReadLimits(2, 1<<20, 5))
	api := hs.URL + "/api/v1/runs"
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	run := api + "/" + st.ID
	at := mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "500ms"}), http.StatusOK)
	require.Greater(t, at.Seq, uint64(5))
	first := get(t, run+"/files/lamport.html")
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Body)
	assert.Contains(t, string(first.Body), fmt.Sprintf("the first 5 of %d events", at.Seq))
	cached := filepath.Join(dir, "runs", st.ID, ".live-lamport.html")
	info1, err := os.Stat(cached)
	require.NoError(t, err)
	second := get(t, run+"/files/lamport.html")
	assert.True(t, bytes.Equal(first.Body, second.Body))
	info2, err := os.Stat(cached)
	require.NoError(t, err)
	assert.True(t, os.SameFile(info1, info2) && info1.ModTime().Equal(info2.ModTime()), "the same position is not drawn again")
	at2 := mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "step", "events": 3}), http.StatusOK)
	require.Greater(t, at2.Seq, at.Seq)
	at = at2
	third := get(t, run+"/files/lamport.html")
	assert.Contains(t, string(third.Body), fmt.Sprintf("the first 5 of %d events", at.Seq))
	assert.False(t, bytes.Equal(first.Body, third.Body), "a new position is drawn anew")
	// The hidden cache is not a run file.
	assert.Equal(t, http.StatusNotFound, get(t, run+"/files/.live-lamport.html").Status)
	assert.NotContains(t, string(get(t, run+"/files").Body), ".live")
}
