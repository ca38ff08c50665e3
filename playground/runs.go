package playground

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
)

// Run states, as the API reports them.
const (
	statePaused   = "paused"
	stateRunning  = "running"
	stateFinished = "finished"
)

const (
	// tick is the wall-clock period of the pacing loop.
	tick = 50 * time.Millisecond
	// sliceEvents bounds the events one slice of work runs, so that a
	// guest that floods or livelocks at one instant still yields to
	// commands and to the budget checks between slices.
	sliceEvents = 20_000
	// sliceWall bounds a slice in wall time too: a slice holds the run's
	// lock, and the live stream's reads (status, catch-up pages) wait for
	// it. Where a slice stops never changes the run: the next goes on
	// from the same event.
	sliceWall = 50 * time.Millisecond
)

// runs is the server's table of runs.
type runs struct {
	s *Server

	mu    sync.Mutex
	byID  map[string]*run
	order []string // creation order
	open  int      // runs holding a simulation
	// reserved is the worst-case memory of the runs holding a simulation
	// (runCost), counted against the memory budget.
	reserved int64

	stop chan struct{}
	wg   sync.WaitGroup
}

func newRuns(s *Server) *runs {
	rs := &runs{s: s, byID: map[string]*run{}, stop: make(chan struct{})}
	rs.wg.Add(1)
	go rs.reap()
	return rs
}

// reap closes the simulations of runs nobody has touched for a while.
func (rs *runs) reap() {
	defer rs.wg.Done()
	idle := rs.s.cfg.idleClose
	t := time.NewTicker(max(10*time.Millisecond, min(10*time.Second, idle/2)))
	defer t.Stop()
	for {
		select {
		case <-rs.stop:
			return
		case <-t.C:
		}
		rs.mu.Lock()
		list := make([]*run, 0, len(rs.byID))
		for _, r := range rs.byID {
			list = append(list, r)
		}
		rs.mu.Unlock()
		for _, r := range list {
			r.closeIfIdle(idle)
		}
		rs.s.retain()
	}
}

func (rs *runs) closeAll() {
	close(rs.stop)
	rs.wg.Wait()
	rs.mu.Lock()
	list := make([]*run, 0, len(rs.byID))
	for _, r := range rs.byID {
		list = append(list, r)
	}
	rs.mu.Unlock()
	for _, r := range list {
		// The next server lists the run again from its record.
		r.persist()
		r.shutdown()
	}
}

// busyErr is the answer to a run that would pass the cap on runs running
// at once.
func busyErr(maxRuns int) *APIError {
	e := apiErr(http.StatusTooManyRequests, "busy", "the server is running its maximum of %d runs at once; try again shortly, or delete a run you no longer need", maxRuns)
	e.RetryAfter = 5
	return e
}

// runningLocked counts the runs whose pacing loop runs, other than self:
// the runs counted against maxRuns. A paused or finished run holds no
// slot (a loaded one still counts against the memory budget). Called with
// rs.mu held.
func (rs *runs) runningLocked(self *run) int {
	n := 0
	for _, r := range rs.byID {
		if r == self {
			continue
		}
		r.mu.Lock()
		if r.state == stateRunning {
			n++
		}
		r.mu.Unlock()
	}
	return n
}

// canRun refuses with 429 when maxRuns other runs are running.
func (rs *runs) canRun(self *run) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.runningLocked(self) >= rs.s.cfg.maxRuns {
		return busyErr(rs.s.cfg.maxRuns)
	}
	return nil
}

// acquire takes cost bytes of the memory budget for a simulation, or says
// when to retry. (The cap on runs running at once is canRun's: a run that
// is loaded but paused holds no slot.)
func (rs *runs) acquire(cost int64) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if budget := rs.s.cfg.memBudget; rs.reserved+cost > budget {
		e := apiErr(http.StatusServiceUnavailable, "memory", "this run may need up to %s and the runs open now may need %s of this server's memory budget of %s; try again shortly, delete a run you no longer need, or lower the run's limits", mib(cost), mib(rs.reserved), mib(budget))
		e.RetryAfter = 5
		return e
	}
	rs.open++
	rs.reserved += cost
	return nil
}

// evictPaused gives back the memory of the simulations of paused runs
// other than self, least recently touched first, until cost fits the
// budget: a paused run's simulation is a cache, rebuilt by replay when it
// is needed again. It says whether cost fits now.
func (rs *runs) evictPaused(self *run, cost int64) bool {
	rs.mu.Lock()
	var idle []*run
	for _, r := range rs.byID {
		if r == self {
			continue
		}
		r.mu.Lock()
		if r.state != stateRunning && r.watchers.Load() == 0 {
			idle = append(idle, r)
		}
		r.mu.Unlock()
	}
	rs.mu.Unlock()
	touched := func(r *run) time.Time {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.touched
	}
	slices.SortFunc(idle, func(a, b *run) int { return touched(a).Compare(touched(b)) })
	fits := func() bool {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		return rs.reserved+cost <= rs.s.cfg.memBudget
	}
	for _, r := range idle {
		if fits() {
			return true
		}
		r.closeIfIdle(0)
	}
	return fits()
}

func (rs *runs) release(cost int64) {
	rs.mu.Lock()
	rs.open--
	rs.reserved -= cost
	rs.mu.Unlock()
}

func (rs *runs) add(r *run) {
	rs.mu.Lock()
	rs.byID[r.id] = r
	rs.order = append(rs.order, r.id)
	// Over the limit, forget the oldest finished run first, else the oldest.
	var evict []*run
	for len(rs.order) > rs.s.cfg.maxKeptRuns {
		at := 0
		for i, id := range rs.order[:len(rs.order)-1] {
			if rs.byID[id].snapshot().State == stateFinished {
				at = i
				break
			}
		}
		old := rs.byID[rs.order[at]]
		rs.order = slices.Delete(rs.order, at, at+1)
		delete(rs.byID, old.id)
		evict = append(evict, old)
	}
	rs.mu.Unlock()
	for _, o := range evict {
		o.shutdown()
		_ = os.RemoveAll(o.dir)
	}
}

func (rs *runs) get(id string) (*run, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r, ok := rs.byID[id]
	if !ok {
		return nil, apiErr(http.StatusNotFound, "not_found", "no run %q", id)
	}
	return r, nil
}

func (rs *runs) remove(id string) error {
	rs.mu.Lock()
	r, ok := rs.byID[id]
	if ok {
		delete(rs.byID, id)
		rs.order = slices.DeleteFunc(rs.order, func(x string) bool { return x == id })
	}
	rs.mu.Unlock()
	if !ok {
		return apiErr(http.StatusNotFound, "not_found", "no run %q", id)
	}
	r.shutdown()
	return os.RemoveAll(r.dir)
}

func (rs *runs) list() []*run {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]*run, 0, len(rs.order))
	for i := len(rs.order) - 1; i >= 0; i-- {
		out = append(out, rs.byID[rs.order[i]])
	}
	return out
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// run is one timeline (a scenario, a seed and the faults applied by hand)
// and its cursor, with the HTTP side's pacing, limits and status. The
// cursor's simulation is a cache: it is rebuilt by replay when needed.
type run struct {
	rs         *runs
	id         string
	dir        string
	created    time.Time
	cost       int64 // worst-case memory while open (Config.cost)
	forkedFrom string
	src        runSource // what its scenario was made from (for the editor, and a restart)

	// op serialises everything that drives the simulation: the pacing
	// loop's slices and every command.
	op    sync.Mutex
	cur   *runner.Cursor
	hasOp bool // holds a share of rs.open and rs.reserved

	mu        sync.Mutex
	state     string
	speed     float64
	status    Status
	maxSeq    uint64
	result    *runner.Result
	errMsg    string
	used      time.Duration
	touched   time.Time
	changed   chan struct{} // closed and replaced at every status change
	wake      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	// rc is what the run keeps for its readers (reads.go).
	rc readCache
	// watchers counts the live event streams open on the run: a run
	// someone watches keeps its simulation (evictPaused).
	watchers atomic.Int32
}

// Status is a run as the API reports it.
type Status struct {
	ID         string                 `json:"id"`
	Name       string                 `json:"name"`
	File       string                 `json:"file"`
	State      string                 `json:"state"`
	Seed       uint64                 `json:"seed"`
	NowNS      int64                  `json:"now_ns"`
	EndNS      int64                  `json:"end_ns"`
	Seq        uint64                 `json:"seq"`
	MaxSeq     uint64                 `json:"max_seq"`
	Rewound    bool                   `json:"rewound"`
	Speed      float64                `json:"speed"`
	Digest     string                 `json:"digest"`
	Verdict    string                 `json:"verdict,omitempty"`
	Checks     map[string]CheckStatus `json:"checks"`
	Error      string                 `json:"error,omitempty"`
	ForkedFrom string                 `json:"forked_from,omitempty"`
	Actions    []ActionStatus         `json:"actions"`
	Nodes      []runner.NodeInfo      `json:"nodes"`
	Clients    []string               `json:"clients"`
	Created    time.Time              `json:"created"`
	WallUsedMS int64                  `json:"wall_used_ms"`
	Generation int                    `json:"generation"`
	// Steps counts the loop events run (a finer position than Seq).
	Steps uint64 `json:"steps"`
	// InMemory says whether the run's simulation is loaded (else it is
	// rebuilt by replay when needed).
	InMemory bool `json:"in_memory"`
	// Limits are the limits the run runs under: the scenario's, clamped to
	// the server's maximums (absent ones set to them).
	Limits scenario.Limits `json:"limits"`
	// MemoryCost is the run's worst-case memory, counted against the
	// server's memory budget while its simulation is loaded.
	MemoryCost int64 `json:"memory_cost_bytes"`
	// CapCrashes are the nodes that crashed on a server cap below the
	// CLI's default (the verdict may differ from `terrarium run`'s).
	CapCrashes []CapCrash `json:"cap_crashes,omitempty"`
}

// CheckStatus is a checker's verdict; Settled is false while the run goes
// on (the verdict is over the run so far).
type CheckStatus struct {
	Verdict check.Verdict  `json:"verdict"`
	Summary string         `json:"summary"`
	Details map[string]any `json:"details,omitempty"`
	Settled bool           `json:"settled"`
}

// ActionStatus is a fault applied by hand, or a choice of the event
// delivered next (POST /runs/{id}/next): then Decision is set, written as
// a scenario's schedule: holds it ("order STEP PICK"), and Fault is empty.
type ActionStatus struct {
	AtNS        int64         `json:"at_ns"`
	BeforeEvent uint64        `json:"before_event"`
	Seq         uint64        `json:"seq"`
	Fault       fault.Fault   `json:"fault"`
	Decision    *DecisionText `json:"decision,omitempty"`
}

// DecisionText is a schedule decision in JSON: a string, as a scenario's
// schedule: writes it ("order 12 1").
type DecisionText struct{ schedule.Decision }

// MarshalText writes the decision (schedule.Decision.String).
func (d DecisionText) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a decision written by MarshalText.
func (d *DecisionText) UnmarshalText(b []byte) error {
	v, err := schedule.Parse(string(b))
	if err != nil {
		return fmt.Errorf("playground: action: %w", err)
	}
	d.Decision = v
	return nil
}

func (r *run) notify() {
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func (r *run) touch() {
	r.mu.Lock()
	r.touched = time.Now()
	r.mu.Unlock()
}

func (r *run) snapshot() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.status
	st.State, st.Speed, st.MaxSeq, st.Error, st.Generation = r.state, r.speed, r.maxSeq, r.errMsg, r.cur.Generation()
	st.Rewound = st.Seq < r.maxSeq && r.state != stateFinished
	st.WallUsedMS = r.used.Milliseconds()
	st.InMemory = r.cur.Loaded()
	st.Actions = actionStatuses(r.cur.Timeline().Actions())
	st.CapCrashes = capCrashes(st.Nodes, st.Limits, r.rs.s.cfg.maxLimits)
	return st
}

// load builds the simulation with move (a cursor's Replay or Resume),
// taking a run slot for it first unless the run holds one. Called with
// r.op held.
func (r *run) load(ctx context.Context, move func(context.Context) error) error {
	select {
	case <-r.done:
		return apiErr(http.StatusGone, "gone", "run %s was deleted", r.id)
	default:
	}
	if !r.hasOp {
		err := r.rs.acquire(r.cost)
		if err != nil && r.rs.evictPaused(r, r.cost) {
			err = r.rs.acquire(r.cost)
		}
		if err != nil {
			return err
		}
		r.hasOp = true
	}
	err := move(ctx)
	if err != nil && !r.cur.Loaded() {
		// The simulation did not start: its slot goes back.
		r.closeHandle(true)
	}
	return err
}

// closeHandle releases the simulation. Called with r.op held.
func (r *run) closeHandle(releaseSlot bool) {
	r.cur.Suspend()
	if releaseSlot && r.hasOp {
		r.rs.release(r.cost)
		r.hasOp = false
	}
}

// ensure makes sure the simulation is there, rebuilding it by replay at the
// run's position if it was closed. Called with r.op held.
func (r *run) ensure(ctx context.Context) error {
	if r.cur.Loaded() {
		return nil
	}
	if err := r.load(ctx, r.cur.Resume); err != nil {
		return err
	}
	if !r.cur.Loaded() {
		// The rebuild reached the end (or a cap): the run finished and
		// gave its simulation back.
		return apiErr(http.StatusConflict, "conflict", "run %s finished while it was rebuilt; read it again", r.id)
	}
	return nil
}

// do runs fn on the simulation under the wall-clock budget, then refreshes
// the status. Called with r.op held and the handle open.
func (r *run) do(ctx context.Context, fn func(*runner.Run) error) error {
	cfg := r.rs.s.cfg
	r.mu.Lock()
	left := cfg.wallBudget - r.used
	r.mu.Unlock()
	if left <= 0 {
		return apiErr(http.StatusConflict, "limit", "the run used its wall-clock budget of %v", cfg.wallBudget)
	}
	cancel := r.cur.Cancel
	timer := time.AfterFunc(left, cancel)
	start := time.Now()
	var st Status
	var res *runner.Result
	var finErr error
	err := r.cur.Do(ctx, func(rr *runner.Run) error {
		ferr := fn(rr)
		if ferr == nil && rr.Steps() > 0 && rr.Stats().Events > cfg.maxEvents {
			ferr = fmt.Errorf("the run recorded more than %d events, the server's cap", cfg.maxEvents)
			cancel()
		}
		if ferr != nil {
			var ae *APIError
			var refused *runner.ActionError
			if errors.As(ferr, &ae) || errors.As(ferr, &refused) {
				st = r.fill(rr)
				return ferr
			}
			// A run that cannot go on finishes now, verdict unknown.
			cancel()
			res, finErr = rr.Finish()
			if finErr == nil && res != nil && res.Reason == "" {
				res.Reason = ferr.Error()
			}
			if finErr == nil {
				finErr = ferr
			}
		} else if rr.Done() && res == nil {
			res, finErr = rr.Finish()
		}
		if res != nil {
			// The inspector reads a finished run's stores from its folder.
			finErr = errors.Join(finErr, r.saveStores(rr))
		}
		st = r.fill(rr)
		return nil
	})
	timer.Stop()
	used := time.Since(start)
	r.mu.Lock()
	r.used += used
	if err == nil || st.ID != "" {
		if r.status.Checks != nil && st.Seq == r.status.Seq && st.Steps == r.status.Steps && st.NowNS == r.status.NowNS {
			// Still where the verdicts so far were taken (a rebuild by
			// replay at the run's position, a read): they hold.
			st.Checks = r.status.Checks
		}
		r.status = st
		r.maxSeq = max(r.maxSeq, st.Seq)
	}
	if res != nil {
		r.finishedLocked(res, finErr)
	}
	r.mu.Unlock()
	if res != nil {
		// Everything of a finished run is read from its folder: its
		// simulation and its run slot go back now.
		r.closeHandle(true)
		r.persist()
	}
	r.notify()
	return err
}

// finishedLocked records a finished run's result, verdict and why it
// ended (r.mu held).
func (r *run) finishedLocked(res *runner.Result, finErr error) {
	budget := r.rs.s.cfg.wallBudget
	r.result = res
	r.state = stateFinished
	if r.used >= budget {
		r.errMsg = fmt.Sprintf("stopped: the run used its wall-clock budget of %v", budget)
	} else if finErr != nil {
		r.errMsg = finErr.Error()
	}
	if res.Reason != "" && r.errMsg == "" {
		r.errMsg = res.Reason
	}
	r.status.Verdict = string(res.Verdict)
	r.status.Digest = res.TraceSHA256
	r.status.Checks = map[string]CheckStatus{}
	for n, c := range res.Checks {
		r.status.Checks[n] = CheckStatus{Verdict: c.Verdict, Summary: c.Summary, Details: c.Details, Settled: true}
	}
}

// fill reads the status from the simulation (on the owner goroutine).
func (r *run) fill(rr *runner.Run) Status {
	scn := rr.Scenario()
	st := Status{ID: r.id, Name: scn.Name, File: scn.File, Seed: rr.Seed(), NowNS: int64(rr.Now()), EndNS: int64(rr.End()),
		Seq: rr.Stats().Events, Steps: rr.Steps(), Digest: rr.Digest(), Nodes: rr.Nodes(), ForkedFrom: r.forkedFrom, Created: r.created,
		Checks: map[string]CheckStatus{}, Clients: []string{}, Limits: scn.Limits, MemoryCost: r.cost}
	for i := range scn.Workload.Clients {
		st.Clients = append(st.Clients, fmt.Sprintf("c%d", i))
	}
	return st
}

// provisional runs the scenario's checkers over the run so far (on the
// owner goroutine): the verdicts as they settle.
func (r *run) provisional(rr *runner.Run) map[string]CheckStatus {
	scn := rr.Scenario()
	in := check.Input{History: rr.History(), Events: rr.Events(0, math.MaxInt32), Nodes: scn.NodeNames()}
	out := map[string]CheckStatus{}
	for _, c := range scn.Checks {
		fn, err := r.rs.s.reg.Check(c.Name)
		if err != nil {
			continue
		}
		if v, broke := rr.Violation(c.Name); broke { // a per-step predicate's verdict is final
			out[c.Name] = CheckStatus{Verdict: v.Verdict, Summary: v.Summary, Details: v.Details, Settled: true}
			continue
		}
		in.Params = c.Params
		res := fn(in)
		out[c.Name] = CheckStatus{Verdict: res.Verdict, Summary: res.Summary, Details: res.Details}
	}
	return out
}

// checkNow refreshes the provisional verdicts of a run that is not done.
// Called with r.op held and the handle open.
func (r *run) checkNow(ctx context.Context) {
	if !r.cur.Loaded() {
		return
	}
	var cs map[string]CheckStatus
	err := r.cur.Do(ctx, func(rr *runner.Run) error {
		if !rr.Done() {
			cs = r.provisional(rr)
		}
		return nil
	})
	if err != nil || cs == nil {
		return
	}
	r.mu.Lock()
	if r.result == nil {
		r.status.Checks = cs
	}
	r.mu.Unlock()
	r.notify()
}

// drive is the pacing loop: while the run is running it advances virtual
// time by speed × tick every tick of wall time (as fast as it can at speed
// 0), in slices of at most sliceEvents events.
func (r *run) drive() {
	t := time.NewTicker(tick)
	defer t.Stop()
	nextCheck := time.Now().Add(2 * time.Second)
	for {
		r.mu.Lock()
		running, speed := r.state == stateRunning, r.speed
		r.mu.Unlock()
		if !running {
			select {
			case <-r.wake:
				continue
			case <-r.done:
				return
			}
		}
		if speed > 0 {
			select {
			case <-t.C:
			case <-r.done:
				return
			}
		} else {
			select {
			case <-r.done:
				return
			default:
			}
		}
		r.op.Lock()
		r.mu.Lock()
		still := r.state == stateRunning
		r.mu.Unlock()
		if !still {
			r.op.Unlock()
			continue
		}
		err := r.ensure(context.Background())
		if err == nil {
			err = r.do(context.Background(), func(rr *runner.Run) error {
				if err := r.rs.s.runDiskError(r); err != nil {
					return err
				}
				target := rr.Now() + time.Duration(speed*float64(tick))
				if speed <= 0 {
					target = rr.End()
				}
				return advance(rr, target)
			})
		}
		if err != nil {
			r.mu.Lock()
			if r.state == stateRunning {
				r.state = statePaused
				r.errMsg = err.Error()
			}
			r.mu.Unlock()
			r.notify()
		}
		r.mu.Lock()
		fin := r.state == stateFinished
		r.mu.Unlock()
		if fin {
			r.touch() // the reaper closes it once nobody looks
		} else if err == nil && r.cur.Loaded() && time.Now().After(nextCheck) {
			// Verdicts so far, while it runs: at most every 2 s, and never
			// more than a twentieth of the wall time the checkers take.
			start := time.Now()
			r.checkNow(context.Background())
			nextCheck = time.Now().Add(max(2*time.Second, 20*time.Since(start)))
		}
		r.op.Unlock()
	}
}

// advance runs the events due at or before target, at most sliceEvents of
// them and for about sliceWall; when none are left before target it moves
// the clock there.
func advance(rr *runner.Run, target time.Duration) error {
	target = min(target, rr.End())
	start := time.Now()
	for i := range sliceEvents {
		if i%256 == 255 && time.Since(start) > sliceWall {
			return nil
		}
		at, ok := rr.Next()
		if !ok || at > target {
			return rr.AdvanceTo(target)
		}
		if ok, err := rr.Step(); err != nil || !ok {
			return err
		}
	}
	return nil
}

func (r *run) closeIfIdle(idle time.Duration) {
	if !r.op.TryLock() {
		return
	}
	defer r.op.Unlock()
	r.mu.Lock()
	quiet := r.state != stateRunning && time.Since(r.touched) >= idle
	r.mu.Unlock()
	if quiet && r.cur.Loaded() {
		r.closeHandle(true)
	}
}

func (r *run) shutdown() {
	r.closeOnce.Do(func() { close(r.done) })
	r.op.Lock()
	r.closeHandle(true)
	r.op.Unlock()
	r.notify()
}

func (r *run) setState(state string, speed *float64) {
	r.mu.Lock()
	if r.state != stateFinished {
		r.state = state
	}
	if speed != nil {
		r.speed = *speed
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	r.notify()
}

// resolveModules makes the scenario's module paths absolute against base
// and refuses paths outside the plugins folder: a scenario sent to the
// server names uploaded modules by sha256, or a pattern's own sources.
// It also refuses build tags and any ldflags but -X (buildFlagProblems).
func (s *Server) resolveModules(scn *scenario.Scenario, base string) error {
	var probs []Problem
	root := s.gallery.dir
	for _, m := range scn.Modules {
		probs = append(probs, buildFlagProblems(m)...)
		for _, p := range []*string{&m.Go, &m.Wasm} {
			if *p == "" {
				continue
			}
			field := "modules." + m.Name + ".go"
			if p == &m.Wasm {
				field = "modules." + m.Name + ".wasm"
			}
			if root == "" {
				probs = append(probs, Problem{Line: m.Pos.Line, Field: field, Message: "this server has no plugins folder: name an uploaded module by sha256 instead"})
				continue
			}
			abs := *p
			if !filepath.IsAbs(abs) {
				dir := base
				if dir == "" {
					dir = root
				}
				abs = filepath.Join(dir, abs)
			}
			abs = filepath.Clean(abs)
			if real, err := filepath.EvalSymlinks(abs); err == nil {
				abs = real
			}
			rootReal, _ := filepath.EvalSymlinks(root)
			if rel, err := filepath.Rel(rootReal, abs); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
				probs = append(probs, Problem{Line: m.Pos.Line, Field: field, Message: fmt.Sprintf("%q is outside the server's plugins folder: upload the module and name it by sha256", *p)})
				continue
			}
			*p = abs
		}
	}
	if len(probs) > 0 {
		return &APIError{Status: http.StatusUnprocessableEntity, Code: "scenario", Message: probs[0].Message, Problems: probs}
	}
	return nil
}

// serverXDefRE is the one linker flag a scenario sent to the server may
// carry: -X importpath.name=value, the value plain (no quotes, no spaces).
var serverXDefRE = regexp.MustCompile(`^[A-Za-z0-9_.~/-]+\.[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9_.,:+@/-]*$`)

// buildFlagProblems refuses a module's tags, and its ldflags unless they
// are only -X importpath.name=value: the server's go build must never take
// a flag that names a file (-o, -importcfg, ...). gobuild checks again.
func buildFlagProblems(m *scenario.Module) []Problem {
	var probs []Problem
	if len(m.Tags) > 0 {
		probs = append(probs, Problem{Line: m.Pos.Line, Field: "modules." + m.Name + ".tags", Message: "this server builds modules without tags: build it yourself and upload the .wasm"})
	}
	if m.LDFlags == "" {
		return probs
	}
	f := strings.Fields(m.LDFlags)
	for i := 0; i < len(f); i += 2 {
		if f[i] != "-X" || i+1 >= len(f) || !serverXDefRE.MatchString(f[i+1]) {
			return append(probs, Problem{Line: m.Pos.Line, Field: "modules." + m.Name + ".ldflags",
				Message: "this server takes only -X importpath.name=value ldflags (value of letters, digits and _.,:+@/-): build it yourself and upload the .wasm"})
		}
	}
	return probs
}

// scenarioError turns a scenario or run-setup error into a 422 listing
// every located problem.
func scenarioError(err error) error {
	var es scenario.Errors
	var one *scenario.Error
	var probs []Problem
	switch {
	case errors.As(err, &es):
		for _, e := range es {
			probs = append(probs, Problem{Line: e.Line, Col: e.Column, Field: e.Field, Message: e.Msg})
		}
	case errors.As(err, &one):
		probs = append(probs, Problem{Line: one.Line, Col: one.Column, Field: one.Field, Message: one.Msg})
	default:
		return nil
	}
	return &APIError{Status: http.StatusUnprocessableEntity, Code: "scenario", Message: err.Error(), Problems: probs}
}

func (s *Server) checkLimits(scn *scenario.Scenario) error {
	var probs []Problem
	if len(scn.Nodes) > s.cfg.maxNodes {
		probs = append(probs, Problem{Field: "nodes", Message: fmt.Sprintf("%d nodes is more than this server's limit of %d", len(scn.Nodes), s.cfg.maxNodes)})
	}
	if scn.Workload.Clients > s.cfg.maxNodes {
		probs = append(probs, Problem{Line: scn.Workload.Line, Field: "workload.clients", Message: fmt.Sprintf("%d clients is more than this server's limit of %d", scn.Workload.Clients, s.cfg.maxNodes)})
	}
	if scn.Duration > s.cfg.maxVirtual {
		probs = append(probs, Problem{Field: "duration", Message: fmt.Sprintf("duration %v is longer than this server's limit of %v", scn.Duration, s.cfg.maxVirtual)})
	}
	if len(probs) > 0 {
		return &APIError{Status: http.StatusUnprocessableEntity, Code: "limit", Message: probs[0].Message, Problems: probs}
	}
	clampLimits(&scn.Limits, s.cfg.maxLimits)
	return s.fitsBudget(scn)
}

// newRun registers a run of tl and builds its simulation at event seq.
func (s *Server) newRun(ctx context.Context, tl runner.Timeline, forkedFrom string, seq uint64) (*run, error) {
	return s.newRunWith(ctx, newID(), time.Now().UTC().Truncate(time.Millisecond), tl, forkedFrom, seq)
}

// newRunWith is newRun with the run's id and creation time given (a run
// worker makes the run its server named).
func (s *Server) newRunWith(ctx context.Context, id string, created time.Time, tl runner.Timeline, forkedFrom string, seq uint64) (*run, error) {
	cost := s.cfg.cost(tl.Scenario())
	r := &run{rs: s.runs, id: id, dir: filepath.Join(s.runDir, id), created: created,
		cost: cost, forkedFrom: forkedFrom, state: statePaused, speed: 1,
		changed: make(chan struct{}), wake: make(chan struct{}, 1), done: make(chan struct{}), touched: time.Now()}
	s.attach(r, tl, runner.Position{})
	r.op.Lock()
	err := r.replay(ctx, seq)
	if err == nil && seq > 0 {
		// Opened at a position (a link, a bundle): its verdicts so far, as
		// a seek there gives them.
		r.checkNow(ctx)
	}
	r.op.Unlock()
	if err != nil {
		r.shutdown()
		_ = os.RemoveAll(r.dir)
		var ae *APIError
		if errors.As(err, &ae) {
			return nil, ae
		}
		if se := scenarioError(err); se != nil {
			return nil, se
		}
		return nil, apiErr(http.StatusUnprocessableEntity, "scenario", "%v", err)
	}
	s.runs.add(r)
	go r.drive()
	return r, nil
}

// attach gives r its cursor over tl, at pos: every move it makes runs
// through r.do, under the run's budget.
func (s *Server) attach(r *run, tl runner.Timeline, pos runner.Position) {
	opts := runner.NewOptions().WithRegistry(s.reg).WithModules(s.modules).WithOutDir(r.dir).WithCacheDir(s.cacheDir)
	r.cur = runner.NewCursorAt(tl, opts, pos).WithCall(r.do)
}

// replay rebuilds the run from the start of its timeline and steps it to
// event seq, or to its end if that comes first. Called with r.op held.
func (r *run) replay(ctx context.Context, seq uint64) error {
	return r.load(ctx, func(ctx context.Context) error {
		err := r.cur.Replay(ctx, seq)
		if errors.Is(err, runner.ErrPastEnd) {
			return nil // the run ended first, and stays at its end
		}
		return err
	})
}

// actionStatuses are a timeline's actions as the API reports them.
func actionStatuses(acts []runner.Action) []ActionStatus {
	out := make([]ActionStatus, len(acts))
	for i, a := range acts {
		out[i] = ActionStatus{AtNS: int64(a.Fault.At), BeforeEvent: a.Fault.BeforeEvent, Seq: a.Seq, Fault: a.Fault.Fault}
		if a.IsChoice() {
			out[i] = ActionStatus{Seq: a.Seq, Decision: &DecisionText{a.Decision}}
		}
	}
	return out
}

// toActions turns actions as the API reports them back into a timeline's.
func toActions(as []ActionStatus) []runner.Action {
	out := make([]runner.Action, len(as))
	for i, a := range as {
		out[i] = runner.Action{Fault: scenario.Fault{At: time.Duration(a.AtNS), BeforeEvent: a.BeforeEvent, Fault: a.Fault}, Seq: a.Seq}
		if a.Decision != nil {
			out[i] = runner.Action{Decision: a.Decision.Decision, Seq: a.Seq}
		}
	}
	return out
}
