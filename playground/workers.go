package playground

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/terrarium-sim/terrarium/internal/worker"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// Defaults for the worker processes' limits (WithWorkerLimits).
const (
	// DefaultWorkerWatchdog is how long a run worker may leave its
	// server's status polls unanswered before it is killed: a guest call
	// that does not return can stop its whole process (Go's collector
	// waits for it). It is long enough that a loaded machine does not
	// set it off.
	DefaultWorkerWatchdog = 30 * time.Second
	// DefaultWorkerMemory caps a run worker's data (RLIMIT_DATA).
	DefaultWorkerMemory = 2 << 30
	// DefaultWorkerCPU caps a run worker's CPU time, in seconds.
	DefaultWorkerCPU = 600
	// DefaultWorkerFiles caps a run worker's open files.
	DefaultWorkerFiles = 1024
	// DefaultWorkerFileBytes caps any one file a run worker writes (its
	// trace and reports among them).
	DefaultWorkerFileBytes = 1 << 30
	// DefaultValidatorMemory and DefaultValidatorCPU cap a module
	// validation's worker.
	DefaultValidatorMemory = 1 << 30
	DefaultValidatorCPU    = 30
)

// Timings of the supervision of run workers.
const (
	// workerGrace is how long a worker asked to stop (SIGTERM) has before
	// SIGKILL, and how long a pause may take before the worker is killed.
	workerGrace = 3 * time.Second
	// workerPoll is the period of the server's status polls.
	workerPoll = time.Second
)

// WithWorkers runs every run, and every module validation, in a child
// process: bin started as `bin worker run` (or `bin worker validate`), one
// per run, supervised by the server ("" keeps them in the server's own
// process, as tests of the API do). The server then never executes guest
// code or compiles a module itself.
func (c Config) WithWorkers(bin string) Config { c.workerBin = bin; return c }

// WithWorkerLimits sets each run worker's OS limits: data bytes
// (RLIMIT_DATA), CPU seconds (RLIMIT_CPU), open files (RLIMIT_NOFILE) and
// the largest file it may write (RLIMIT_FSIZE); zero leaves one unset.
// isolate starts workers in new network, IPC and PID namespaces (root only).
func (c Config) WithWorkerLimits(memory, cpuSeconds, files, fileBytes int64, isolate bool) Config {
	c.workerLimits = worker.Limits{MemoryBytes: memory, CPUSeconds: cpuSeconds, OpenFiles: files, FileBytes: fileBytes, Isolate: isolate}
	return c
}

// WithWorkerReserve makes each run worker's data limit the one
// WithWorkerLimits sets plus its run's nodes × memory_pages × 64 KiB: the
// linear memory wazero maps up front for every node (the OS counts the
// mapping, used or not). Without it, a run of many nodes under the CLI's
// memory_pages cannot start in a worker of a fixed limit.
func (c Config) WithWorkerReserve(on bool) Config { c.workerReserve = on; return c }

// WithWorkerWatchdog sets how long a run worker may leave the server's
// status polls unanswered before the server kills it (its run then ends,
// verdict unknown, saying so); DefaultWorkerWatchdog by default.
func (c Config) WithWorkerWatchdog(d time.Duration) Config { c.workerHang = d; return c }

func defaultWorkerLimits() worker.Limits {
	return worker.Limits{MemoryBytes: DefaultWorkerMemory, CPUSeconds: DefaultWorkerCPU, OpenFiles: DefaultWorkerFiles, FileBytes: DefaultWorkerFileBytes}
}

// pool is the server's table of runs when runs execute in workers: the
// run's id → its worker, or its saved state when it has none.
type pool struct {
	s      *Server
	bin    string
	limits worker.Limits
	modDir string
	cache  string // wazero's compilation cache, shared by the workers

	mu          sync.Mutex
	byID        map[string]*wrun
	order       []string
	pending     int   // workers starting
	pendingCost int64 // their runs' worst-case memory (runCost)
	wg          sync.WaitGroup
}

// wrun is one run of a pool.
type wrun struct {
	id      string
	dir     string
	src     runSource
	scn     *scenario.Scenario
	seed    uint64
	forked  string
	created time.Time

	mu       sync.Mutex
	proc     *worker.Proc
	rp       *httputil.ReverseProxy
	hc       *http.Client
	saved    savedRun
	local    *run // the run as served from its folder, with no worker
	inflight int
	lastUsed time.Time
	lastSeen time.Time
	parking  bool
	removed  bool
	busy     chan struct{} // non-nil while a worker starts or parks
	ended    chan struct{} // closed once the worker's end is recorded
}

func newPool(s *Server, dataDir string) (*pool, error) {
	p := &pool{s: s, bin: s.cfg.workerBin, limits: s.cfg.workerLimits, modDir: filepath.Join(dataDir, "worker-modules"),
		cache: s.cacheDir, byID: map[string]*wrun{}}
	for _, d := range []string{p.modDir, p.cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("playground: %w", err)
		}
	}
	return p, nil
}

func (p *pool) config() workerConfig {
	c := p.s.cfg
	return workerConfig{MaxNodes: c.maxNodes, MaxVirtual: c.maxVirtual, WallBudget: c.wallBudget, IdleClose: c.idleClose,
		MaxEvents: c.maxEvents, SubBuffer: c.subBuffer, MaxStreams: c.maxStreams, MaxBody: c.maxBody, PluginsDir: p.s.gallery.dir,
		MaxLimits: c.maxLimits, MemBudget: c.memBudget, MaxFaults: c.maxFaults,
		HeavyReads: c.heavyReads, PageBytes: c.pageBytes, LiveEvents: c.liveEvents, RunQuota: c.runQuota, CacheQuota: c.cacheQuota, Reserve: c.reserve}
}

// stage writes the scenario's modules where workers read them, by digest,
// and lists the Go modules the server built (so no worker builds).
func (p *pool) stage(ctx context.Context, scn *scenario.Scenario) ([]prebuilt, error) {
	var pre []prebuilt
	for _, m := range scn.Modules {
		b, err := p.s.modules.Bytes(ctx, m)
		if err != nil {
			return nil, &APIError{Status: http.StatusUnprocessableEntity, Code: "scenario", Message: fmt.Sprintf("module %s: %v", m.Name, err),
				Problems: []Problem{{Line: m.Pos.Line, Field: "modules." + m.Name, Message: err.Error()}}}
		}
		sum := sha256.Sum256(b)
		sha := hex.EncodeToString(sum[:])
		path := filepath.Join(p.modDir, sha+".wasm")
		if _, err := os.Stat(path); err != nil {
			tmp, err := os.CreateTemp(p.modDir, sha+".*.tmp")
			if err != nil {
				return nil, fmt.Errorf("playground: stage module: %w", err)
			}
			_, werr := tmp.Write(b)
			if err := errors.Join(werr, tmp.Close()); err != nil {
				_ = os.Remove(tmp.Name())
				return nil, fmt.Errorf("playground: stage module: %w", err)
			}
			if err := os.Rename(tmp.Name(), path); err != nil {
				return nil, fmt.Errorf("playground: stage module: %w", err)
			}
		}
		if m.SHA256 == "" && m.Wasm == "" {
			pre = append(pre, prebuilt{Module: *m, SHA256: sha})
		}
	}
	return pre, nil
}

// holding counts the workers whose runs are running, and the workers
// starting: the runs counted against maxRuns; and the worst-case memory
// (runCost) of those and of the runs holding a simulation, counted against
// the memory budget. A paused or finished run holds no slot, and one whose
// simulation is closed no memory, even while a client keeps its event
// stream open. Called with p.mu held.
func (p *pool) holding() (n int, cost int64) {
	n, cost = p.pending, p.pendingCost
	for _, w := range p.byID {
		w.mu.Lock()
		if w.proc != nil && !w.parking {
			running := w.saved.Snapshot.State == stateRunning
			if running {
				n++
			}
			if running || w.saved.Snapshot.InMemory {
				cost += p.s.cfg.cost(w.scn)
			}
		}
		w.mu.Unlock()
	}
	return n, cost
}

// evictPaused parks the workers of paused runs other than self that nobody
// is using (no request or event stream open), least recently used first,
// until cost fits the memory budget. A parked run is rebuilt by replay
// when it is needed again.
func (p *pool) evictPaused(self *wrun, cost int64) {
	p.mu.Lock()
	var idle []*wrun
	for _, w := range p.byID {
		if w == self {
			continue
		}
		w.mu.Lock()
		if w.proc != nil && !w.parking && w.busy == nil && w.inflight == 0 && w.saved.Snapshot.State != stateRunning && w.saved.Snapshot.InMemory {
			idle = append(idle, w)
		}
		w.mu.Unlock()
	}
	p.mu.Unlock()
	lastUsed := func(w *wrun) time.Time {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.lastUsed
	}
	slices.SortFunc(idle, func(a, b *wrun) int { return lastUsed(a).Compare(lastUsed(b)) })
	for _, w := range idle {
		p.mu.Lock()
		_, held := p.holding()
		p.mu.Unlock()
		if held+cost <= p.s.cfg.memBudget {
			return
		}
		p.parkNow(w)
	}
}

// parkNow parks w's worker if it is idle, and waits until it has exited.
func (p *pool) parkNow(w *wrun) {
	w.mu.Lock()
	if w.proc == nil || w.parking || w.busy != nil || w.inflight > 0 {
		w.mu.Unlock()
		return
	}
	done := make(chan struct{})
	w.parking, w.busy = true, done
	proc, hc, ended := w.proc, w.hc, w.ended
	w.mu.Unlock()
	p.park(w, proc, hc)
	<-ended
	w.mu.Lock()
	w.busy = nil
	w.mu.Unlock()
	close(done)
}

// refresh asks the workers whose runs were last seen running or loaded
// for their state now (a run that just finished or paused gives its slot
// back before the next poll would say so).
func (p *pool) refresh(ctx context.Context) {
	p.mu.Lock()
	var ws []*wrun
	for _, w := range p.byID {
		w.mu.Lock()
		if w.proc != nil && (w.saved.Snapshot.State == stateRunning || w.saved.Snapshot.InMemory) {
			ws = append(ws, w)
		}
		w.mu.Unlock()
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.fresh(ctx, 300*time.Millisecond)
		}()
	}
	wg.Wait()
}

// admit counts a worker starting for w against maxRuns (if it starts its
// run running) and the memory budget, or says why it cannot start now; the
// function it returns takes it off again.
func (p *pool) admit(ctx context.Context, w *wrun, start bool) (func(), error) {
	cost := p.s.cfg.cost(w.scn)
	p.mu.Lock()
	n, held := p.holding()
	if (start && n >= p.s.cfg.maxRuns) || held+cost > p.s.cfg.memBudget {
		// The last polls may be a second old: ask again before refusing.
		p.mu.Unlock()
		p.refresh(ctx)
		p.mu.Lock()
		n, held = p.holding()
	}
	if start && n >= p.s.cfg.maxRuns {
		p.mu.Unlock()
		return nil, busyErr(p.s.cfg.maxRuns)
	}
	if held+cost > p.s.cfg.memBudget {
		// Paused runs' simulations are a cache: their workers park.
		p.mu.Unlock()
		p.evictPaused(w, cost)
		p.mu.Lock()
		_, held = p.holding()
	}
	if budget := p.s.cfg.memBudget; held+cost > budget {
		p.mu.Unlock()
		e := apiErr(http.StatusServiceUnavailable, "memory", "this run may need up to %s and the runs open now may need %s of this server's memory budget of %s; try again shortly, delete a run you no longer need, or lower the run's limits", mib(cost), mib(held), mib(budget))
		e.RetryAfter = 5
		return nil, e
	}
	p.pending++
	p.pendingCost += cost
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.pending--
		p.pendingCost -= cost
		p.mu.Unlock()
	}, nil
}

// spawn starts w's worker with spec and waits for its first answer.
func (p *pool) spawn(ctx context.Context, w *wrun, spec workerSpec) (*Status, error) {
	done, err := p.admit(ctx, w, spec.Start)
	if err != nil {
		return nil, err
	}
	defer done()
	pre, err := p.stage(ctx, w.scn)
	if err != nil {
		return nil, err
	}
	spec.ID, spec.RunDir, spec.ModuleDir, spec.CacheDir, spec.Prebuilt, spec.Config = w.id, p.s.runDir, p.modDir, p.cache, pre, p.config()
	lim := p.limits
	lim.MemoryBytes = p.s.cfg.workerMemory(w.scn)
	spec.Config.CostCap = lim.MemoryBytes
	spec.Source, spec.Seed, spec.Forked, spec.Created = w.src, w.seed, w.forked, w.created
	in, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("playground: worker spec: %w", err)
	}
	proc, err := worker.Start(worker.Command{Path: p.bin, Args: []string{"worker", "run"}, Input: in, Limits: lim, Listen: true})
	if err != nil {
		return nil, fmt.Errorf("playground: %w", err)
	}
	line, err := proc.ReadLine(p.s.cfg.wallBudget + 30*time.Second)
	if err != nil {
		proc.Close()
		return nil, apiErr(http.StatusUnprocessableEntity, "worker", "the run could not start: %v", err)
	}
	var ready workerReady
	if err := json.Unmarshal(line, &ready); err != nil || (ready.Status == nil && ready.Error == nil) {
		proc.Kill("it answered with something else than its status")
		<-proc.Done()
		proc.Close()
		return nil, fmt.Errorf("playground: worker answered %q", truncate(string(line), 200))
	}
	if ready.Error != nil {
		<-proc.Done()
		proc.Close()
		ready.Error.Status = ready.StatusCode
		return nil, ready.Error
	}
	proc.DiscardOutput()
	tr := proc.Transport()
	rp := newProxy(w.id, proc)
	w.mu.Lock()
	ended := make(chan struct{})
	w.proc, w.rp, w.hc, w.ended = proc, rp, &http.Client{Transport: tr}, ended
	w.lastSeen, w.lastUsed, w.parking = time.Now(), time.Now(), false
	w.saved = savedRun{State: ready.Status.State, Speed: ready.Status.Speed, Actions: ready.Status.Actions, Status: *ready.Status,
		MaxSeq: ready.Status.MaxSeq, Snapshot: *ready.Status}
	if w.local != nil {
		p.s.runs.mu.Lock()
		delete(p.s.runs.byID, w.id)
		p.s.runs.mu.Unlock()
		w.local = nil
	}
	w.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer close(ended)
		p.supervise(w, proc)
	}()
	return ready.Status, nil
}

// newProxy forwards requests to proc's run, answering 503 (code worker)
// with the reason when the worker has ended or does not answer.
func newProxy(id string, proc *worker.Proc) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = "http", "worker", "worker"
		},
		Transport:     proc.Transport(),
		FlushInterval: -1, // event streams go through as they are written
		ErrorHandler: func(rw http.ResponseWriter, r *http.Request, err error) {
			why := "it did not answer"
			select {
			case <-proc.Done():
				why = proc.Exit().String()
			case <-time.After(workerGrace):
			case <-r.Context().Done():
				return
			}
			b, _ := json.Marshal(errorBody{Error: apiErr(http.StatusServiceUnavailable, "worker", "run %s: %s", id, why)})
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(http.StatusServiceUnavailable)
			_, _ = rw.Write(b)
		},
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// state asks w's worker for its run's state.
func (w *wrun) state(ctx context.Context, hc *http.Client, d time.Duration) (savedRun, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var sv savedRun
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://worker"+workerStatePath, nil)
	if err != nil {
		return sv, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return sv, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return sv, fmt.Errorf("worker state: %s", resp.Status)
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&sv)
	return sv, err
}

// supervise polls w's worker: it keeps the run's state, kills a worker that
// stops answering, parks one whose run is idle, and ends the run with a
// verdict naming the cause when the worker dies.
func (p *pool) supervise(w *wrun, proc *worker.Proc) {
	defer p.wg.Done()
	t := time.NewTicker(workerPoll)
	defer t.Stop()
	w.mu.Lock()
	hc := w.hc
	w.mu.Unlock()
	// The run's position, and when it last moved while the run ran: the
	// wall-clock budget, which the worker cannot enforce on a guest call
	// that does not return, is enforced here.
	type position struct {
		steps uint64
		now   int64
		gen   int
	}
	var at position
	moved := time.Now()
	// What the run's record on disk last said (persisted on change).
	type mark struct {
		state  string
		maxSeq uint64
		acts   int
		seq    uint64
		checks string // the verdicts so far: a seek computes them after it lands
	}
	var written mark
	for {
		select {
		case <-proc.Done():
			p.exited(w, proc)
			p.persist(w)
			return
		case <-t.C:
		}
		sv, err := w.state(context.Background(), hc, 2*workerPoll)
		w.mu.Lock()
		if err == nil {
			w.saved, w.lastSeen = sv, time.Now()
			if pos := (position{sv.Status.Steps, sv.Status.NowNS, sv.Snapshot.Generation}); pos != at || sv.State != stateRunning {
				at, moved = pos, time.Now()
			}
		}
		stuck := time.Since(moved) > p.s.cfg.wallBudget
		hung := time.Since(w.lastSeen) > p.s.cfg.workerHang
		idle := err == nil && w.inflight == 0 && w.busy == nil && !sv.Status.InMemory && sv.State != stateRunning &&
			time.Since(w.lastUsed) > p.s.cfg.idleClose
		var done chan struct{}
		if idle {
			w.parking = true
			done = make(chan struct{})
			w.busy = done
		}
		w.mu.Unlock()
		if err == nil {
			if m := (mark{sv.State, sv.MaxSeq, len(sv.Actions), sv.Status.Seq, verdicts(sv.Status.Checks)}); m != written {
				written = m
				p.persist(w)
			}
		}
		if hung {
			proc.Kill(fmt.Sprintf("it stopped answering for %v (a guest call that does not return stops its whole process)", p.s.cfg.workerHang))
			continue
		}
		if stuck {
			proc.Kill(fmt.Sprintf("its run made no progress for %v, its wall-clock budget (a guest call that does not return)", p.s.cfg.wallBudget))
			continue
		}
		if idle {
			p.park(w, proc, hc)
			<-proc.Done()
			p.exited(w, proc)
			p.persist(w)
			w.mu.Lock()
			w.busy = nil
			w.mu.Unlock()
			close(done)
			return
		}
	}
}

// verdicts is a run's check verdicts in one string (name=verdict, sorted).
func verdicts(cs map[string]CheckStatus) string {
	names := slices.Sorted(maps.Keys(cs))
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s=%s;", n, cs[n].Verdict)
	}
	return b.String()
}

// park asks an idle worker for its run's state and lets it exit; the run
// is then served from its folder, or by a new worker when it needs one.
func (p *pool) park(w *wrun, proc *worker.Proc, hc *http.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), workerGrace)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://worker"+workerParkPath, nil)
	resp, err := hc.Do(req)
	if err == nil {
		var sv savedRun
		if json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&sv) == nil {
			w.mu.Lock()
			w.saved = sv
			w.mu.Unlock()
		}
		resp.Body.Close()
	}
	proc.Stop(workerGrace, "it did not exit when parked")
}

// exited records the end of w's worker.
func (p *pool) exited(w *wrun, proc *worker.Proc) {
	ex := proc.Exit()
	proc.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.proc != proc {
		return
	}
	w.proc, w.rp, w.hc = nil, nil, nil
	if w.removed {
		return
	}
	if !w.parking {
		// It died: the run ends here, verdict unknown, saying why.
		why := ex.String()
		p.s.logf("playground: run %s: %s", w.id, why)
		sv := w.saved
		sv.State = stateFinished
		sv.Err = "unknown: " + why
		sv.Status.Verdict = string(check.Unknown)
		res := &runner.Result{Result: runfolder.Result{Scenario: w.scn.File, Name: w.scn.Name, Seed: w.seed, Verdict: check.Unknown, Reason: sv.Err,
			TraceSHA256: sv.Status.Digest, Nodes: w.scn.NodeNames(), Checks: map[string]check.Result{}}}
		if sv.Result == nil {
			sv.Result = res
		}
		w.saved = sv
	}
	w.parking = false
	w.local = p.s.restoredRun(w.id, w.scn, w.seed, w.forked, w.created, w.saved)
	w.local.src = w.src
	if w.saved.State == stateFinished {
		// Finished: its reads are served from its folder, without a worker.
		p.s.runs.mu.Lock()
		p.s.runs.byID[w.id] = w.local
		p.s.runs.mu.Unlock()
	}
}

// use returns w's proxy, starting a worker (from the run's saved state)
// if it has none; call release when the request is done.
func (p *pool) use(ctx context.Context, w *wrun) (*httputil.ReverseProxy, func(), error) {
	for {
		w.mu.Lock()
		if w.removed {
			w.mu.Unlock()
			return nil, nil, apiErr(http.StatusGone, "gone", "run %s was deleted", w.id)
		}
		if w.proc != nil && !w.parking {
			w.inflight++
			rp := w.rp
			w.mu.Unlock()
			return rp, func() {
				w.mu.Lock()
				w.inflight--
				w.lastUsed = time.Now()
				w.mu.Unlock()
			}, nil
		}
		if b := w.busy; b != nil {
			w.mu.Unlock()
			select {
			case <-b:
				continue
			case <-ctx.Done():
				return nil, nil, apiErr(http.StatusServiceUnavailable, "busy", "request cancelled while run %s's worker started", w.id)
			}
		}
		b := make(chan struct{})
		w.busy = b
		sv := w.saved
		w.mu.Unlock()
		_, err := p.spawn(context.WithoutCancel(ctx), w, workerSpec{Restore: &sv})
		w.mu.Lock()
		w.busy = nil
		w.mu.Unlock()
		close(b)
		if err != nil {
			return nil, nil, err
		}
	}
}

// settle waits while w's worker starts or parks.
func (w *wrun) settle(ctx context.Context) error {
	for {
		w.mu.Lock()
		b := w.busy
		w.mu.Unlock()
		if b == nil {
			return nil
		}
		select {
		case <-b:
		case <-ctx.Done():
			return apiErr(http.StatusServiceUnavailable, "busy", "request cancelled while run %s's worker started or stopped", w.id)
		}
	}
}

func (p *pool) get(id string) (*wrun, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.byID[id]
	if !ok {
		return nil, apiErr(http.StatusNotFound, "not_found", "no run %q", id)
	}
	return w, nil
}

// add registers w, forgetting the oldest finished run (else the oldest)
// over the kept-runs limit.
func (p *pool) add(w *wrun) {
	p.mu.Lock()
	p.byID[w.id] = w
	p.order = append(p.order, w.id)
	over := len(p.order) - p.s.cfg.maxKeptRuns
	older := make([]*wrun, 0, len(p.order)-1)
	for _, id := range p.order[:len(p.order)-1] {
		older = append(older, p.byID[id])
	}
	p.mu.Unlock()
	if over <= 0 {
		return
	}
	// Which runs have finished, as their workers say now.
	fin := make([]bool, len(older))
	var wg sync.WaitGroup
	for i, o := range older {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fin[i] = o.fresh(context.Background(), 300*time.Millisecond).State == stateFinished
		}()
	}
	wg.Wait()
	var evict []string
	for i, o := range older {
		if len(evict) < over && fin[i] {
			evict = append(evict, o.id)
		}
	}
	for _, o := range older {
		if len(evict) < over && !slices.Contains(evict, o.id) {
			evict = append(evict, o.id)
		}
	}
	for _, id := range evict {
		_ = p.remove(id)
	}
}

// remove forgets a run: its worker is killed and its folder removed.
func (p *pool) remove(id string) error {
	p.mu.Lock()
	w, ok := p.byID[id]
	if ok {
		delete(p.byID, id)
		p.order = slices.DeleteFunc(p.order, func(x string) bool { return x == id })
	}
	p.mu.Unlock()
	if !ok {
		return apiErr(http.StatusNotFound, "not_found", "no run %q", id)
	}
	w.mu.Lock()
	w.removed = true
	proc, ended := w.proc, w.ended
	w.mu.Unlock()
	p.s.runs.mu.Lock()
	delete(p.s.runs.byID, id)
	p.s.runs.mu.Unlock()
	if proc != nil {
		// Nothing of a deleted run is kept: no need to wait for it.
		proc.Kill("its run was deleted")
		<-ended // its slot is free again
	}
	return os.RemoveAll(w.dir)
}

func (p *pool) closeAll() {
	// Each live run's record gets its state now, for the next server.
	p.mu.Lock()
	live := make([]*wrun, 0, len(p.byID))
	for _, w := range p.byID {
		live = append(live, w)
	}
	p.mu.Unlock()
	for _, w := range live {
		w.fresh(context.Background(), 300*time.Millisecond)
		p.persist(w)
	}
	p.mu.Lock()
	var procs []*worker.Proc
	for _, w := range p.byID {
		w.mu.Lock()
		w.removed = true
		if w.proc != nil {
			procs = append(procs, w.proc)
		}
		w.mu.Unlock()
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, proc := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			proc.Stop(workerGrace, "the server stopped")
		}()
	}
	wg.Wait()
	p.wg.Wait()
}

// status is w's status: as its worker last reported it, else its saved
// state's.
func (w *wrun) status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.local != nil {
		return w.local.snapshot()
	}
	return w.saved.Snapshot
}

// fresh asks w's worker for its status for at most d; a worker that does
// not answer (one frozen by a guest) is reported as last seen.
func (w *wrun) fresh(ctx context.Context, d time.Duration) Status {
	w.mu.Lock()
	hc := w.hc
	w.mu.Unlock()
	if hc != nil {
		if sv, err := w.state(ctx, hc, d); err == nil {
			w.mu.Lock()
			if w.hc == hc {
				w.saved, w.lastSeen = sv, time.Now()
			}
			w.mu.Unlock()
		}
	}
	return w.status()
}

// createInWorker starts a new run in a worker (createRun's second half).
func (p *pool) create(c echo.Context, src runSource, scn *scenario.Scenario, seed uint64, spec workerSpec) error {
	id := newID()
	w := &wrun{id: id, dir: filepath.Join(p.s.runDir, id), src: src, scn: scn, seed: seed,
		created: time.Now().UTC().Truncate(time.Millisecond)}
	st, err := p.spawn(c.Request().Context(), w, spec)
	if err != nil {
		_ = os.RemoveAll(w.dir)
		return err
	}
	p.add(w)
	p.persist(w)
	c.Response().Header().Set("Location", APIPrefix+"/runs/"+id)
	return c.JSON(http.StatusCreated, st)
}

// fork starts a run in a new worker from a parent's timeline.
func (p *pool) fork(c echo.Context, parent *wrun) error {
	req, err := p.s.forkRequest(c)
	if err != nil {
		return err
	}
	parent.mu.Lock()
	hc, sv := parent.hc, parent.saved
	parent.mu.Unlock()
	if hc != nil {
		if fresh, err := parent.state(c.Request().Context(), hc, workerGrace); err == nil {
			sv = fresh
		}
	}
	acts := actionStatuses(runner.NewTimeline(parent.scn, parent.seed, toActions(sv.Actions)...).Cut(*req.Seq).Actions())
	id := newID()
	w := &wrun{id: id, dir: filepath.Join(p.s.runDir, id), src: parent.src, scn: parent.scn, seed: parent.seed, forked: parent.id,
		created: time.Now().UTC().Truncate(time.Millisecond)}
	st, err := p.spawn(c.Request().Context(), w, workerSpec{Actions: acts, Seq: *req.Seq, Fault: req.Fault})
	if err != nil {
		_ = os.RemoveAll(w.dir)
		return err
	}
	p.add(w)
	p.persist(w)
	c.Response().Header().Set("Location", APIPrefix+"/runs/"+id)
	return c.JSON(http.StatusCreated, st)
}

// share answers a run's export with its modules by digest from the
// server, which holds the module store: the timeline is the worker's
// latest saved state.
func (p *pool) share(c echo.Context, w *wrun) error {
	w.mu.Lock()
	hc, sv := w.hc, w.saved
	w.mu.Unlock()
	if hc != nil {
		if fresh, err := w.state(c.Request().Context(), hc, workerGrace); err == nil {
			sv = fresh
		}
	}
	return p.s.exportShare(c, runner.NewTimeline(w.scn, w.seed, toActions(sv.Actions)...).Export())
}

func (p *pool) list(c echo.Context) error {
	p.mu.Lock()
	ws := make([]*wrun, 0, len(p.order))
	for i := len(p.order) - 1; i >= 0; i-- {
		ws = append(ws, p.byID[p.order[i]])
	}
	p.mu.Unlock()
	// Live workers are asked at once, each for a short while; one that
	// does not answer is listed as last seen.
	out := make([]Status, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := w.fresh(c.Request().Context(), 300*time.Millisecond)
			st.Nodes, st.Actions = nil, nil
			out[i] = st
		}()
	}
	wg.Wait()
	return c.JSON(http.StatusOK, map[string]any{"runs": out})
}

// canResume refuses with 429 when maxRuns runs other than w are running.
func (p *pool) canResume(ctx context.Context, w *wrun) error {
	count := func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		n, _ := p.holding()
		w.mu.Lock()
		if w.proc != nil && !w.parking && w.saved.Snapshot.State == stateRunning {
			n--
		}
		w.mu.Unlock()
		return n
	}
	if count() < p.s.cfg.maxRuns {
		return nil
	}
	p.refresh(ctx)
	if count() < p.s.cfg.maxRuns {
		return nil
	}
	return busyErr(p.s.cfg.maxRuns)
}

// fromFolder are the routes a finished run with no worker answers from its
// folder and saved state, in the server.
var fromFolder = map[string]bool{
	"GET /runs/:id": true, "GET /runs/:id/results": true, "GET /runs/:id/trace": true, "GET /runs/:id/files": true,
	"GET /runs/:id/files/:file": true, "GET /runs/:id/events": true, "GET /runs/:id/export": true,
	"GET /runs/:id/nodes": true, "GET /runs/:id/nodes/:node": true, // from the stores saved at its end
	"HEAD /runs/:id": true, "HEAD /runs/:id/files/:file": true,
}

// viaWorkers routes the run API to the runs' workers when the server has
// them: it is the only part of the server that knows runs execute
// elsewhere.
func (s *Server) viaWorkers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := s.pool
		route, ok := strings.CutPrefix(c.Path(), APIPrefix)
		if p == nil || !ok || !strings.HasPrefix(route, "/runs") {
			return next(c)
		}
		key := c.Request().Method + " " + route
		switch key {
		case "GET /runs":
			return p.list(c)
		case "POST /runs":
			return next(c) // createRun hands the parsed scenario to p.create
		}
		if !strings.HasPrefix(route, "/runs/:id") {
			return next(c)
		}
		w, err := p.get(c.Param("id"))
		if err != nil {
			return err
		}
		switch key {
		case "DELETE /runs/:id":
			if err := p.remove(w.id); err != nil {
				return err
			}
			return c.NoContent(http.StatusNoContent)
		case "POST /runs/:id/fork":
			return p.fork(c, w)
		}
		if key == "GET /runs/:id/export" && c.QueryParam("format") == "share" {
			return p.share(c, w)
		}
		if key == "GET /runs/:id" {
			return c.JSON(http.StatusOK, w.fresh(c.Request().Context(), time.Second))
		}
		if key == "GET /runs/:id/source" {
			return c.JSON(http.StatusOK, w.src.api())
		}
		if err := w.settle(c.Request().Context()); err != nil {
			return err
		}
		w.mu.Lock()
		live, local := w.proc != nil && !w.parking, w.local
		w.mu.Unlock()
		if !live && local != nil && fromFolder[key] && local.snapshot().State == stateFinished {
			return next(c)
		}
		if key == "POST /runs/:id/control" && live {
			return p.control(c, w)
		}
		if key == "GET /runs/:id/events" {
			// The server's cap on open streams holds across its workers.
			select {
			case s.streams <- struct{}{}:
				defer func() { <-s.streams }()
			default:
				e := apiErr(http.StatusTooManyRequests, "busy", "the server has %d live event streams open, its maximum; close one or poll the paged trace", s.cfg.maxStreams)
				e.RetryAfter = 5
				return e
			}
		}
		rp, release, err := p.use(c.Request().Context(), w)
		if err != nil {
			return err
		}
		defer release()
		if key == "GET /runs/:id/events" {
			return proxyStream(rp, c)
		}
		rp.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

// proxyStream forwards an event stream from a run's worker and ends it
// cleanly, with the final chunk, when the worker's side breaks off (the
// worker killed or exited, the client gone). httputil.ReverseProxy aborts
// the response on a copy error instead (panic(http.ErrAbortHandler), Go's
// net/http/httputil/reverseproxy.go, ServeHTTP), which cuts the client's
// chunked stream mid-chunk: Chromium reports
// net::ERR_INCOMPLETE_CHUNKED_ENCODING. An event cut in half at the end is
// not dispatched by EventSource (the HTML standard's event stream
// interpretation drops an event without its blank line at end of file),
// and the page resubscribes from the last event it got.
func proxyStream(rp *httputil.ReverseProxy, c echo.Context) (err error) {
	keepReading(c)
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			err = nil
		}
	}()
	rp.ServeHTTP(c.Response(), c.Request())
	return nil
}

// keepReading lifts the server's whole-request read deadline
// (cmd/terrarium's ReadTimeout) off a long-lived response such as an event
// stream: once it passes, net/http cancels the request's context and the
// stream would end after that many minutes, however live the run.
func keepReading(c echo.Context) {
	_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Time{})
}

// control forwards a control request; a pause that the worker does not
// answer within workerGrace (a guest call that does not return) kills the
// worker, which ends the run with a verdict saying so.
func (p *pool) control(c echo.Context, w *wrun) error {
	body, err := readBody(c, p.s.cfg.maxBody, "request body")
	if err != nil {
		return err
	}
	var req controlReq
	_ = json.Unmarshal(body, &req)
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	if req.Action == "resume" {
		if err := p.canResume(c.Request().Context(), w); err != nil {
			return err
		}
	}
	rp, release, err := p.use(c.Request().Context(), w)
	if err != nil {
		return err
	}
	defer release()
	if req.Action != "pause" {
		rp.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	w.mu.Lock()
	hc, proc, ended := w.hc, w.proc, w.ended
	w.mu.Unlock()
	if hc == nil {
		return apiErr(http.StatusServiceUnavailable, "worker", "run %s has no worker", w.id)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), workerGrace)
	defer cancel()
	out, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://worker"+c.Request().URL.Path, bytes.NewReader(body))
	out.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(out)
	if err == nil {
		defer resp.Body.Close()
		c.Response().Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		c.Response().WriteHeader(resp.StatusCode)
		_, _ = io.Copy(c.Response(), io.LimitReader(resp.Body, 64<<20))
		return nil
	}
	if c.Request().Context().Err() != nil {
		return apiErr(http.StatusServiceUnavailable, "busy", "request cancelled")
	}
	proc.Kill(fmt.Sprintf("it did not pause within %v (a guest call does not return)", workerGrace))
	<-ended
	return c.JSON(http.StatusOK, w.status())
}
