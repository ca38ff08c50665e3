package playground

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// runSource is what a run's scenario was made from; a worker parses it
// again, exactly as the server did.
type runSource struct {
	Name string `json:"name"`
	Text string `json:"text"`
	Base string `json:"base,omitempty"` // the pattern folder module paths are relative to
}

// prebuilt is a Go module the server built, handed to a worker by digest.
type prebuilt struct {
	Module scenario.Module `json:"module"`
	SHA256 string          `json:"sha256"`
}

// workerConfig is the part of the server's Config a run worker needs.
type workerConfig struct {
	MaxNodes   int           `json:"max_nodes"`
	MaxVirtual time.Duration `json:"max_virtual"`
	WallBudget time.Duration `json:"wall_budget"`
	IdleClose  time.Duration `json:"idle_close"`
	MaxEvents  uint64        `json:"max_events"`
	SubBuffer  int           `json:"sub_buffer"`
	MaxStreams int           `json:"max_streams"`
	MaxBody    int64         `json:"max_body"`
	PluginsDir string        `json:"plugins_dir"`
	// The server's caps (limits.go): every limit's maximum, the memory
	// budget a run must fit and the hand-applied faults of one run.
	MaxLimits scenario.Limits `json:"max_limits"`
	MemBudget int64           `json:"mem_budget"`
	MaxFaults int             `json:"max_faults"`
	// CostCap caps a run's worst-case memory: the worker's memory limit.
	CostCap int64 `json:"cost_cap,omitempty"`
	// Reads (reads.go) and disk (disk.go): the worker serves its run's
	// heavy reads and stops its run when the run folders pass their
	// quota or the disk its reserve.
	HeavyReads int   `json:"heavy_reads"`
	PageBytes  int   `json:"page_bytes"`
	LiveEvents int   `json:"live_events"`
	RunQuota   int64 `json:"run_quota"`
	CacheQuota int64 `json:"cache_quota"`
	Reserve    int64 `json:"reserve"`
}

// workerSpec is a run worker's whole input (its stdin): which run to hold
// and how to start it. Either Restore is set (an existing timeline, rebuilt
// by replay when first needed) or the fields of a new run are.
type workerSpec struct {
	ID        string         `json:"id"`
	RunDir    string         `json:"run_dir"`    // the server's runs folder
	ModuleDir string         `json:"module_dir"` // modules by sha256 (NAME.wasm)
	CacheDir  string         `json:"cache_dir"`  // wazero's compilation cache, shared by workers
	Prebuilt  []prebuilt     `json:"prebuilt,omitempty"`
	Source    runSource      `json:"source"`
	Config    workerConfig   `json:"config"`
	Created   time.Time      `json:"created"`
	Seed      uint64         `json:"seed"`
	Forked    string         `json:"forked_from,omitempty"`
	Actions   []ActionStatus `json:"actions,omitempty"`
	Seq       uint64         `json:"seq,omitempty"`
	Fault     *fault.Fault   `json:"fault,omitempty"`
	Start     bool           `json:"start,omitempty"`
	Speed     *float64       `json:"speed,omitempty"`
	Restore   *savedRun      `json:"restore,omitempty"`
}

// savedRun is a run's whole state outside its simulation: what a worker
// hands back before it exits and gets again when it is started anew.
type savedRun struct {
	State   string         `json:"state"`
	Speed   float64        `json:"speed"`
	Actions []ActionStatus `json:"actions"`
	Status  Status         `json:"status"`
	MaxSeq  uint64         `json:"max_seq"`
	Result  *runner.Result `json:"result,omitempty"`
	Err     string         `json:"error,omitempty"`
	UsedNS  int64          `json:"used_ns"`
	// Snapshot is the run's status as the API reports it.
	Snapshot Status `json:"snapshot"`
}

// workerReady is a run worker's first line on stdout: the new run's
// status, or why it could not start.
type workerReady struct {
	Status     *Status   `json:"status,omitempty"`
	Error      *APIError `json:"error,omitempty"`
	StatusCode int       `json:"status_code,omitempty"`
}

// save is the run's state outside its simulation.
func (r *run) save() savedRun {
	st := r.snapshot()
	r.mu.Lock()
	defer r.mu.Unlock()
	return savedRun{State: r.state, Speed: r.speed, Actions: st.Actions, Status: r.status, MaxSeq: r.maxSeq,
		Result: r.result, Err: r.errMsg, UsedNS: int64(r.used), Snapshot: st}
}

// restoredRun makes a run from a saved state, without a simulation: the
// first request that needs one rebuilds it by replay.
func (s *Server) restoredRun(id string, scn *scenario.Scenario, seed uint64, forked string, created time.Time, sv savedRun) *run {
	state := sv.State
	if state == stateRunning && sv.Result == nil {
		state = statePaused
	}
	r := &run{rs: s.runs, id: id, dir: filepath.Join(s.runDir, id), created: created, forkedFrom: forked,
		state: state, speed: sv.Speed, status: sv.Status, maxSeq: sv.MaxSeq, result: sv.Result,
		errMsg: sv.Err, used: time.Duration(sv.UsedNS), changed: make(chan struct{}), wake: make(chan struct{}, 1),
		done: make(chan struct{}), touched: time.Now()}
	pos := runner.Position{Steps: sv.Status.Steps, Now: time.Duration(sv.Status.NowNS), Seq: sv.Status.Seq}
	s.attach(r, runner.NewTimeline(scn, seed, toActions(sv.Actions)...), pos)
	return r
}

// parseSource parses, resolves and clamps a run's scenario, as createRun does.
func (s *Server) parseSource(src runSource) (*scenario.Scenario, error) {
	scn, err := runner.Parse(src.Name, []byte(src.Text), s.reg)
	if err != nil {
		if se := scenarioError(err); se != nil {
			return nil, se
		}
		return nil, apiErr(http.StatusUnprocessableEntity, "scenario", "%v", err)
	}
	if err := s.resolveModules(scn, src.Base); err != nil {
		return nil, err
	}
	if err := s.checkLimits(scn); err != nil {
		return nil, err
	}
	return scn, nil
}

// RunWorker is `terrarium worker run`: it reads a run's spec from in,
// holds that one run, answers on out whether it started, and serves the
// run's routes on ln until ctx ends or the server asks it to park (then it
// writes the run's state on out and returns). It is internal to the
// server, which starts it in its own process under OS limits; its input
// is not a public format.
func RunWorker(ctx context.Context, in io.Reader, out io.Writer, ln net.Listener) error {
	var spec workerSpec
	if err := json.NewDecoder(io.LimitReader(in, 64<<20)).Decode(&spec); err != nil {
		return fmt.Errorf("playground: worker spec: %w", err)
	}
	s, err := workerServer(spec)
	if err != nil {
		return err
	}
	s.runs = newRuns(s)
	defer s.runs.closeAll()
	enc := json.NewEncoder(out)
	r, err := s.workerRun(ctx, spec)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			ae = &APIError{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
		}
		return enc.Encode(workerReady{Error: ae, StatusCode: ae.Status})
	}
	st := r.snapshot()
	err = enc.Encode(workerReady{Status: &st})
	r.op.Unlock()
	if err != nil {
		return err
	}

	park := make(chan struct{})
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover())
	s.runRoutes(e.Group(APIPrefix))
	// The server polls this: the run's state, kept to end the run with
	// a verdict if this process dies.
	e.GET(workerStatePath, func(c echo.Context) error { return c.JSON(http.StatusOK, r.save()) })
	e.POST(workerParkPath, func(c echo.Context) error {
		r.shutdown()
		sv := r.save()
		select {
		case <-park:
		default:
			close(park)
		}
		return c.JSON(http.StatusOK, sv)
	})
	hs := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	case <-park:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	return nil
}

// workerServer is the single-run server a run worker holds: the server's
// limits, its runs folder, and modules read by digest from the folder the
// server staged them in.
func workerServer(spec workerSpec) (*Server, error) {
	wc := spec.Config
	cfg := NewConfig().WithRunLimits(1, wc.MaxNodes, wc.MaxVirtual, wc.WallBudget).WithMaxEvents(wc.MaxEvents).
		WithIdleClose(wc.IdleClose).WithSubscriberBuffer(wc.SubBuffer).WithMaxStreams(wc.MaxStreams).
		WithMaxLimits(wc.MaxLimits).WithMemoryBudget(wc.MemBudget).WithMaxFaults(wc.MaxFaults).
		WithReadLimits(wc.HeavyReads, wc.PageBytes, wc.LiveEvents).WithDiskQuotas(DefaultModuleQuota, wc.RunQuota, wc.CacheQuota).
		WithFreeReserve(wc.Reserve).WithMaxBody(wc.MaxBody).WithKeptRuns(1).WithPreload(false)
	cfg.costCap = wc.CostCap
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, runDir: spec.RunDir, cacheDir: spec.CacheDir, gallery: &gallery{dir: wc.PluginsDir}, reg: patterns.Registry(),
		validators: make(chan struct{}, 1), uploads: make(chan struct{}, 1), streams: make(chan struct{}, cfg.maxStreams),
		heavy: make(chan struct{}, cfg.heavyReads), disk: &disk{free: statfsFree}, started: time.Now(), inWorker: true}
	s.stopCtx, s.stopWork = context.WithCancel(context.Background())
	modDir := spec.ModuleDir
	s.modules = runner.NewModules().WithSource(func(_ context.Context, sha string) ([]byte, error) {
		if !shaRE.MatchString(sha) {
			return nil, fmt.Errorf("playground: module id %q is not a sha256", sha)
		}
		return os.ReadFile(filepath.Join(modDir, sha+".wasm"))
	})
	for _, p := range spec.Prebuilt {
		b, err := os.ReadFile(filepath.Join(modDir, p.SHA256+".wasm"))
		if err != nil {
			return nil, fmt.Errorf("playground: worker: prebuilt module %s: %w", p.Module.Name, err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != p.SHA256 {
			return nil, fmt.Errorf("playground: worker: prebuilt module %s does not match its digest", p.Module.Name)
		}
		m := p.Module
		if err := s.modules.Prebuilt(&m, b); err != nil {
			return nil, fmt.Errorf("playground: worker: prebuilt module %s: %w", p.Module.Name, err)
		}
	}
	return s, nil
}

// Routes a run worker answers only to its server (on its own socket).
const (
	workerStatePath = "/internal/state"
	workerParkPath  = "/internal/park"
)

// workerRun makes the spec's run: restored, created or forked. It returns
// with r.op held, for the caller to release once it has answered.
func (s *Server) workerRun(ctx context.Context, spec workerSpec) (*run, error) {
	scn, err := s.parseSource(spec.Source)
	if err != nil {
		return nil, err
	}
	if spec.Restore != nil {
		r := s.restoredRun(spec.ID, scn, spec.Seed, spec.Forked, spec.Created, *spec.Restore)
		r.src = spec.Source
		s.runs.mu.Lock()
		s.runs.byID[r.id] = r
		s.runs.order = append(s.runs.order, r.id)
		s.runs.mu.Unlock()
		r.op.Lock()
		go r.drive()
		return r, nil
	}
	r, err := s.newRunWith(ctx, spec.ID, spec.Created, runner.NewTimeline(scn, spec.Seed, toActions(spec.Actions)...), spec.Forked, spec.Seq)
	if err != nil {
		return nil, err
	}
	r.src = spec.Source
	if spec.Forked != "" {
		r.mu.Lock()
		r.maxSeq = r.status.Seq
		r.mu.Unlock()
	}
	if spec.Fault != nil {
		if err := r.act(ctx, *spec.Fault); err != nil {
			return nil, err
		}
	}
	// The pacing loop waits for r.op: it runs nothing before the caller
	// has answered with the run's status and released it (a guest that
	// loops in its first call could otherwise stop the answer too).
	r.op.Lock()
	if spec.Start {
		r.setState(stateRunning, spec.Speed)
	} else if spec.Speed != nil {
		r.setState(statePaused, spec.Speed)
	}
	return r, nil
}
