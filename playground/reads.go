package playground

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/terrarium-sim/terrarium/internal/report"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Read bounds. Every read of a run costs the server memory bounded by
// these, whatever the size of the run: pages are capped in events and in
// bytes, node stores are paged, exports are streamed, and the reads that
// scan a whole trace or store ("heavy" reads) wait for one of a few slots.
const (
	// DefaultHeavyReads bounds the heavy reads served at once (trace pages,
	// node inspections, zip exports, live diagrams); more get 429.
	DefaultHeavyReads = 4
	// DefaultPageBytes caps the JSON of one trace page or node store page.
	// A page holds at least one event or entry, so one page is at most this
	// plus one item (an item is bounded by the run's own limits).
	DefaultPageBytes = 4 << 20
	// DefaultLiveDiagramEvents caps the events the live space-time diagram
	// of a running run draws (the first ones; the finished run's
	// lamport.html draws them all).
	DefaultLiveDiagramEvents = 50_000
	// liveDiagramBytes caps the trace the live diagram draws, whatever the
	// size of its events.
	liveDiagramBytes = 32 << 20
	// streamPageBytes caps one catch-up page of the live event stream.
	streamPageBytes = 256 << 10
	// streamPageEvents caps the events of one catch-up page.
	streamPageEvents = 1000
	// indexStride is how many trace lines apart the trace file index keeps
	// an offset, so that a page deep into a finished run's trace is read
	// without scanning the file from its start.
	indexStride = 1024
	// storesDir holds a finished run's node stores (one JSON line per
	// entry, in key order), so that they are read without a simulation.
	storesDir = ".stores"
	// liveDiagramFile is the cached live diagram, for one run position.
	liveDiagramFile = ".live-lamport.html"
)

// WithReadLimits sets how many heavy reads are served at once (more are
// refused with 429 and Retry-After), the byte cap of one trace or node
// store page, and how many events the live diagram of a running run draws.
func (c Config) WithReadLimits(heavy, pageBytes, liveEvents int) Config {
	c.heavyReads, c.pageBytes, c.liveEvents = heavy, pageBytes, liveEvents
	return c
}

func (c Config) validateReads() error {
	if c.heavyReads <= 0 || c.pageBytes < 1024 || c.liveEvents <= 0 {
		return fmt.Errorf("playground: read limits: heavy reads %d must be positive, page bytes %d at least 1024, live diagram events %d positive",
			c.heavyReads, c.pageBytes, c.liveEvents)
	}
	return nil
}

// heavyRead takes a heavy-read slot, or answers 429.
func (s *Server) heavyRead() (release func(), err error) {
	select {
	case s.heavy <- struct{}{}:
		return func() { <-s.heavy }, nil
	default:
		e := apiErr(http.StatusTooManyRequests, "busy", "the server is serving its maximum of %d heavy reads (trace pages, node inspections, exports, live diagrams) at once; try again shortly", s.cfg.heavyReads)
		e.RetryAfter = 1
		return nil, e
	}
}

// readCache is what a run keeps for its readers: the index of its trace
// file and the position of its cached live diagram.
type readCache struct {
	mu      sync.Mutex
	idxGen  int
	offsets []int64 // offsets[k]: byte offset of trace line k*indexStride
	// live serialises live diagram renders; liveAt is the position drawn
	// in liveDiagramFile.
	live   sync.Mutex
	liveAt string
}

// fromFile says whether the run's trace is read from its folder (it has
// finished and its simulation is closed), and returns its length and the
// simulation's generation.
func (r *run) fromFile() (bool, uint64, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.cur.Loaded() && r.result != nil, r.status.Seq, r.cur.Generation()
}

// finished says whether the run has its result.
func (r *run) finished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.result != nil
}

// eventsJSON returns trace events from index from, as their JSON lines
// joined by commas: at most n of them and, past the first, at most
// maxBytes. It also returns how many there are and the trace's length.
// A finished run whose simulation is closed is read from its trace.jsonl.
func (r *run) eventsJSON(ctx context.Context, from, n, maxBytes int) ([]byte, int, uint64, error) {
	var buf []byte
	count := 0
	add := func(line []byte) bool {
		if need := len(line) + 1; cap(buf)-len(buf) < need {
			// Double: append's gentler growth for large slices would copy
			// a page several times over.
			buf = slices.Grow(buf, max(need, cap(buf)))
		}
		if count > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, line...)
		count++
		return count < n && len(buf) < maxBytes
	}
	r.op.Lock()
	if file, total, gen := r.fromFile(); file {
		r.op.Unlock()
		err := r.scanTrace(gen, from, add)
		return buf, count, total, err
	}
	defer r.op.Unlock()
	r.touch()
	if err := r.ensure(ctx); err != nil {
		return nil, 0, 0, err
	}
	var total uint64
	err := r.cur.Do(ctx, func(rr *runner.Run) error {
		var line []byte
		for _, e := range rr.Events(from, n) {
			line = e.AppendJSON(line[:0])
			if !add(line) {
				break
			}
		}
		total = rr.Stats().Events
		return nil
	})
	return buf, count, total, err
}

// scanTrace calls fn with each line of the run's trace.jsonl from line
// from on (without its newline), until fn returns false. It starts from
// the nearest indexed offset and indexes what it passes.
func (r *run) scanTrace(gen, from int, fn func(line []byte) bool) error {
	rc := &r.rc
	rc.mu.Lock()
	if rc.idxGen != gen || len(rc.offsets) == 0 {
		rc.idxGen, rc.offsets = gen, []int64{0}
	}
	k := min(from/indexStride, len(rc.offsets)-1)
	off := rc.offsets[k]
	known := len(rc.offsets)
	rc.mu.Unlock()

	path := filepath.Join(r.dir, runfolder.TraceFile)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("playground: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("playground: %w", err)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var found []int64
	var scratch []byte
	pos := off
	for line := k * indexStride; ; line++ {
		if line%indexStride == 0 && line/indexStride == known+len(found) {
			found = append(found, pos)
		}
		b, err := readLine(br, &scratch)
		if len(b) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("playground: %s: %w", path, err)
		}
		pos += int64(len(b))
		if line >= from && !fn(bytes.TrimRight(b, "\n")) {
			break
		}
	}
	rc.mu.Lock()
	if rc.idxGen == gen && len(rc.offsets) == known {
		rc.offsets = append(rc.offsets, found...)
	}
	rc.mu.Unlock()
	return nil
}

// readLine reads one line with its newline, however long, reusing scratch
// for lines longer than the reader's buffer.
func readLine(br *bufio.Reader, scratch *[]byte) ([]byte, error) {
	b, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return b, err
	}
	*scratch = append((*scratch)[:0], b...)
	for errors.Is(err, bufio.ErrBufferFull) {
		b, err = br.ReadSlice('\n')
		*scratch = append(*scratch, b...)
	}
	return *scratch, err
}

func (s *Server) runTrace(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	from, err := queryInt(c, "from", 0, 0, math.MaxInt32)
	if err != nil {
		return err
	}
	n, err := queryInt(c, "n", 500, 1, 5000)
	if err != nil {
		return err
	}
	release, err := s.heavyRead()
	if err != nil {
		return err
	}
	defer release()
	buf, count, total, err := r.eventsJSON(c.Request().Context(), from, n, s.cfg.pageBytes)
	if err != nil {
		return err
	}
	// The page, as TracePage marshals it, from the events' own JSON.
	head := fmt.Appendf(nil, `{"from":%d,"events":[`, from)
	tail := fmt.Appendf(nil, "],\"next\":%d,\"total\":%d}\n", from+count, total)
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	w.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(head)+len(buf)+len(tail)))
	w.WriteHeader(http.StatusOK)
	for _, b := range [][]byte{head, buf, tail} {
		if _, err := w.Write(b); err != nil {
			return nil // the client went away
		}
	}
	return nil
}

// nodeInfos returns the run's nodes: a finished run's from its status
// (they no longer change), a live run's from its simulation.
func (r *run) nodeInfos(ctx context.Context) ([]runner.NodeInfo, error) {
	if r.finished() {
		return r.snapshot().Nodes, nil
	}
	var ns []runner.NodeInfo
	err := r.withSim(ctx, func(rr *runner.Run) error { ns = rr.Nodes(); return nil })
	if errors.Is(err, errRunFinished) {
		return r.snapshot().Nodes, nil
	}
	return ns, err
}

func (s *Server) runNodes(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	ns, err := r.nodeInfos(c.Request().Context())
	if err != nil {
		return err
	}
	if ns == nil {
		ns = []runner.NodeInfo{}
	}
	return c.JSON(http.StatusOK, map[string]any{"nodes": ns})
}

// storePage collects one page of a node's store: the entries after the
// key after, at most limit of them and, past the first, maxBytes of text.
type storePage struct {
	after    string
	limit    int
	maxBytes int
	rows     []KVText
	bytes    int
	more     bool
}

// add offers the next entry in key order; it returns false once the page
// is full (more is then set if the entry did not fit).
func (p *storePage) add(k, v string) bool {
	if k <= p.after && p.after != "" {
		return true
	}
	if len(p.rows) >= p.limit || (len(p.rows) > 0 && p.bytes >= p.maxBytes) {
		p.more = true
		return false
	}
	kv := KVText{Key: k, Value: v}
	b, _ := json.Marshal(kv) // its size as the page will write it
	p.rows = append(p.rows, kv)
	p.bytes += len(b) + 1
	return true
}

// StateKey is the emit key of a node's state snapshot (the Go SDK's
// SetState); the node endpoint and the topology show the last one.
const StateKey = "state"

// tail keeps the last inspectTail events of two kinds and counts every kind.
type tail struct {
	node        int32
	logs, emits []trace.Event
	stats       map[string]uint
	// state is the data of the node's last "state" emit.
	state []byte
}

func (t *tail) add(e trace.Event) {
	if e.Node != t.node {
		return
	}
	t.stats[e.Kind.String()]++
	keep := func(l []trace.Event) []trace.Event {
		if len(l) == inspectTail {
			l = append(l[:0], l[1:]...)
		}
		return append(l, e)
	}
	switch e.Kind {
	case trace.KindLog:
		t.logs = keep(t.logs)
	case trace.KindEmit:
		t.emits = keep(t.emits)
		if e.Label == StateKey {
			t.state = e.Data
		}
	}
}

func (s *Server) runNode(c echo.Context) error {
	r, err := s.runs.get(c.Param("id"))
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 1000, 1, 10000)
	if err != nil {
		return err
	}
	page := &storePage{after: c.QueryParam("after"), limit: limit, maxBytes: s.cfg.pageBytes}
	release, err := s.heavyRead()
	if err != nil {
		return err
	}
	defer release()
	name := c.Param("node")
	ctx := c.Request().Context()
	nodes, err := r.nodeInfos(ctx)
	if err != nil {
		return err
	}
	d := &NodeDetail{Stats: map[string]uint{}}
	found := false
	names := []string{}
	for _, n := range nodes {
		names = append(names, n.Name)
		if n.Name == name {
			d.NodeInfo, found = n, true
		}
	}
	if !found {
		return apiErr(http.StatusNotFound, "not_found", "run %s has no node %q (nodes: %s)", r.id, name, joinNames(names))
	}
	t := &tail{node: d.Index, stats: d.Stats}
	if r.finished() {
		err = r.nodeFromFolder(d, page, t)
	} else {
		err = r.withSim(ctx, func(rr *runner.Run) error {
			if !slices.ContainsFunc(rr.Nodes(), func(n runner.NodeInfo) bool { return n.Name == name }) {
				return apiErr(http.StatusNotFound, "not_found", "run %s has no node %q", r.id, name)
			}
			full := false
			if err := rr.ScanStore(name, func(k, v []byte) {
				if !full && !page.add(string(k), string(v)) {
					full = true
				}
			}); err != nil {
				return err
			}
			for _, e := range rr.Events(0, math.MaxInt32) {
				t.add(e)
			}
			return nil
		})
		if errors.Is(err, errRunFinished) {
			err = r.nodeFromFolder(d, page, t)
		}
	}
	if err != nil {
		return err
	}
	d.Store, d.Log, d.Emits = page.rows, t.logs, t.emits
	d.GuestState = stateJSON(t.state)
	if d.Store == nil {
		d.Store = []KVText{}
	}
	if d.Log == nil {
		d.Log = []trace.Event{}
	}
	if d.Emits == nil {
		d.Emits = []trace.Event{}
	}
	if page.more && len(page.rows) > 0 {
		d.StoreNext = page.rows[len(page.rows)-1].Key
	}
	return c.JSON(http.StatusOK, d)
}

// stateJSON is a state emit's data as JSON: itself if it is JSON, else
// the text as a JSON string (a guest may emit anything); nil for none.
func stateJSON(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b))
	return s
}

func joinNames(names []string) string { return strings.Join(names, ", ") }

// nodeFromFolder reads a finished run's node from its folder: the store
// saved when it finished, the log and emitted events from trace.jsonl.
func (r *run) nodeFromFolder(d *NodeDetail, page *storePage, t *tail) error {
	f, err := os.Open(filepath.Join(r.dir, storesDir, strconv.Itoa(int(d.Index))+".jsonl"))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("playground: %w", err)
	default:
		defer f.Close()
		br := bufio.NewReaderSize(f, 64<<10)
		var scratch []byte
		for {
			b, err := readLine(br, &scratch)
			if len(b) == 0 && err != nil {
				if !errors.Is(err, io.EOF) {
					return fmt.Errorf("playground: node store: %w", err)
				}
				break
			}
			var kv KVText
			if err := json.Unmarshal(b, &kv); err != nil {
				return fmt.Errorf("playground: node store of %s: %w", d.Name, err)
			}
			if !page.add(kv.Key, kv.Value) {
				break
			}
		}
	}
	_, _, gen := r.fromFile()
	var perr error
	err = r.scanTrace(gen, 0, func(line []byte) bool {
		var e trace.Event
		if perr = e.UnmarshalJSON(line); perr != nil {
			return false
		}
		t.add(e)
		return true
	})
	return errors.Join(err, perr)
}

// saveStores writes every node's store into the run folder, one JSON line
// per entry in key order, when the run finishes (on the owner goroutine),
// so that the inspector reads them without rebuilding the simulation.
func (r *run) saveStores(rr *runner.Run) error {
	dir := filepath.Join(r.dir, storesDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("playground: save stores: %w", err)
	}
	for _, n := range rr.Nodes() {
		f, err := os.Create(filepath.Join(dir, strconv.Itoa(int(n.Index))+".jsonl"))
		if err != nil {
			return fmt.Errorf("playground: save stores: %w", err)
		}
		w := bufio.NewWriterSize(f, 64<<10)
		enc := json.NewEncoder(w)
		var werr error
		serr := rr.ScanStore(n.Name, func(k, v []byte) {
			if werr == nil {
				werr = enc.Encode(KVText{Key: string(k), Value: string(v)})
			}
		})
		if err := errors.Join(serr, werr, w.Flush(), f.Close()); err != nil {
			return fmt.Errorf("playground: save store of %s: %w", n.Name, err)
		}
	}
	return nil
}

// liveLamport draws the space-time diagram of a run that is still going
// with the run report's renderer, over at most cfg.liveEvents events: it
// writes them into a snapshot folder and lets report.Write make
// lamport.html there. The drawing is kept for the run's position, so
// readers at the same position share one render.
func (s *Server) liveLamport(c echo.Context, r *run) error {
	release, err := s.heavyRead()
	if err != nil {
		return err
	}
	defer release()
	f, err := r.liveDiagram(c.Request().Context(), s.cfg.liveEvents)
	if errors.Is(err, errRunFinished) {
		// It finished while this request waited: its final diagram.
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.File(filepath.Join(r.dir, runfolder.LamportFile))
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("playground: %w", err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	http.ServeContent(c.Response(), c.Request(), runfolder.LamportFile, info.ModTime(), f)
	return nil
}

// liveDiagram returns the live diagram at the run's position, drawing it
// unless it is already drawn there.
func (r *run) liveDiagram(ctx context.Context, limit int) (*os.File, error) {
	rc := &r.rc
	rc.live.Lock()
	defer rc.live.Unlock()
	cached := filepath.Join(r.dir, liveDiagramFile)
	st := r.snapshot()
	if rc.liveAt == position(st.Generation, st.Seq, st.Steps) {
		if f, err := os.Open(cached); err == nil {
			return f, nil
		}
	}
	snap, err := os.MkdirTemp(r.dir, ".live-")
	if err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	defer os.RemoveAll(snap)
	at := ""
	err = r.withSim(ctx, func(rr *runner.Run) error {
		r.mu.Lock()
		at = position(r.cur.Generation(), rr.Stats().Events, rr.Steps())
		r.mu.Unlock()
		return writeLiveFolder(snap, rr, limit)
	})
	if err != nil {
		return nil, err
	}
	if err := report.Write(snap); err != nil {
		return nil, fmt.Errorf("playground: live diagram: %w", err)
	}
	if err := os.Rename(filepath.Join(snap, runfolder.LamportFile), cached); err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	rc.liveAt = at
	f, err := os.Open(cached)
	if err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	return f, nil
}

func position(gen int, seq, steps uint64) string { return fmt.Sprintf("%d/%d/%d", gen, seq, steps) }

// writeLiveFolder writes a run folder of the run so far (its first limit
// events and a provisional results.json) for the report renderer.
func writeLiveFolder(dir string, rr *runner.Run, limit int) error {
	f, err := os.Create(filepath.Join(dir, runfolder.TraceFile))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	var line []byte
	evs, written := rr.Events(0, limit), 0
	for i, e := range evs {
		line = append(e.AppendJSON(line[:0]), '\n')
		if written+len(line) > liveDiagramBytes {
			evs = evs[:i]
			break
		}
		if _, err := w.Write(line); err != nil {
			break
		}
		written += len(line)
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		return err
	}
	scn := rr.Scenario()
	name := scn.Name + " (live)"
	if total := rr.Stats().Events; uint64(len(evs)) < total {
		name = fmt.Sprintf("%s (live: the first %d of %d events)", scn.Name, len(evs), total)
	}
	res := runfolder.Result{Scenario: scn.File, Name: name, Seed: rr.Seed(), Verdict: "unknown",
		TraceSHA256: rr.Digest(), Reproducible: true, Stats: rr.Stats(), Nodes: scn.NodeNames()}
	for i := range scn.Workload.Clients {
		res.Clients = append(res.Clients, fmt.Sprintf("c%d", i))
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644)
}
