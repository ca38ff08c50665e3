package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/internal/report"
	"github.com/terrarium-sim/terrarium/internal/service"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Run is one prepared run of a scenario. It is not safe for concurrent use:
// one goroutine owns it (see Handle for driving a run from many).
//
// A run is a pure function of its modules, scenario, seed and the faults
// applied to it by hand; Export turns those into a scenario that replays
// to the same trace digest.
type Run struct {
	ctx     context.Context
	scn     *scenario.Scenario
	opts    Options
	reg     *Registry
	seed    uint64
	s       *sim.Sim
	clients []*sim.Client
	end     time.Duration

	traceFile *os.File
	traceBuf  *bufio.Writer

	injected []scenario.Fault
	manual   []scenario.Fault
	// chooser and choiceOpts are the run's own chooser (choose), which a
	// pick by hand (StepPick) stands in front of for one event.
	chooser    sim.Chooser
	choiceOpts sim.ChoiceOptions
	faultErr   error
	maxTrace   uint64 // the trace cap, which bounds the report files
	result     *Result
	closed     bool
	// broken are the checks whose per-step predicate broke, with their
	// results (check.Violation), and stopped the one that stopped the
	// run (Options.WithStopAtViolation).
	broken  map[string]check.Result
	stopped string
	// preds are the checks' per-step predicates; seen the events they
	// saw, kept when the run may be snapshotted; mute hides the events
	// of a run's first instant before a restore from them.
	preds []pred
	seen  []trace.Event
	mute  bool
}

// violationStop is the error with which a run stopped at a violation.
type violationStop struct{ check string }

func (v violationStop) Error() string { return "runner: stopped at a violation of " + v.check }

// Prepare sets a run up: it loads the modules, adds the nodes and clients,
// schedules the scenario's faults, nemeses and workload, and stops before
// the first event (virtual time 0). Close it when done.
func Prepare(ctx context.Context, scn *scenario.Scenario, opts Options) (*Run, error) {
	if scn == nil {
		return nil, errors.New("runner: no scenario")
	}
	r := &Run{ctx: ctx, scn: scn, opts: opts, reg: opts.reg(), seed: opts.Seed(scn.Seed)}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()
	eng := sim.Engine{Interpreter: opts.interpreter, CacheDir: opts.cacheDir, Watchdog: opts.watchdog, NoMemoryImage: opts.noImage}
	def := netsim.Link{Latency: scn.Network.Latency, Loss: scn.Network.Loss, Duplicate: scn.Network.Duplicate, Reorder: scn.Network.Reorder}
	cfg := sim.NewConfig().WithSeed(r.seed).WithEngine(eng).WithNetwork(def).WithLoseUnsynced(scn.LoseUnsynced).WithWorkers(opts.workers).WithCheckpoints(opts.checkpoints).WithEnginePool(opts.pool)
	if opts.allEvents != nil && !*opts.allEvents {
		cfg = cfg.WithTraceKinds(checkerKinds)
	}
	cfg = cfg.WithLimits(scn.Limits) // every limits: field: the engine's and the run-wide caps
	r.maxTrace = uint64(scn.Limits.WithDefaults().MaxTraceBytes)
	if opts.outDir != "" {
		if err := r.openOut(&cfg); err != nil {
			return nil, err
		}
	}
	s, err := sim.New(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	r.s = s
	r.choose()
	r.invariants()
	modules := opts.modules
	if modules == nil {
		modules = NewModules()
	}
	for _, m := range scn.Modules {
		code, err := modules.Bytes(ctx, m)
		if err != nil {
			return nil, inputErr(scn.ErrorAt(m.Pos.Line, "modules."+m.Name, "%v", err))
		}
		if err := s.LoadModule(m.Name, code); err != nil {
			return nil, inputErr(scn.ErrorAt(m.Pos.Line, "modules."+m.Name, "%v", err))
		}
	}
	for _, n := range scn.Nodes {
		if _, err := s.AddNodes(sim.NodeSpec{Name: n.Name, Module: n.Module, Role: n.Role, Params: n.Params}); err != nil {
			return nil, inputErr(scn.ErrorAt(n.Line, "nodes", "%v", err))
		}
	}
	for _, name := range scn.Services {
		fn, err := service.New(name)
		if err == nil {
			_, err = s.AddNodes(sim.NodeSpec{Name: name, Role: "service", Native: fn, Service: true})
		}
		if err != nil {
			return nil, inputErr(fmt.Errorf("runner: services: %w", err))
		}
	}
	if r.clients, err = s.AddClients(scn.Workload.Clients); err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	if err := s.Start(); err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	if err := r.links(def); err != nil {
		return nil, err
	}
	if err := r.schedule(); err != nil {
		return nil, err
	}
	if err := r.startWorkload(); err != nil {
		return nil, err
	}
	ok = true
	return r, nil
}

// invariants installs the per-step predicates of the scenario's checks
// (Registry.AddInvariant): each sees every event from the first on; its
// first error is the check's result. A run that may be snapshotted
// (Options.WithSnapshots) also keeps the events its predicates saw, to
// bring a restored run's fresh predicates to the same state (Restore).
func (r *Run) invariants() {
	for _, c := range r.scn.Checks {
		if _, ok := r.reg.Invariant(c.Name); ok {
			r.preds = append(r.preds, pred{check: c.Name})
		}
	}
	if len(r.preds) == 0 {
		return
	}
	r.freshPreds()
	r.s.Observe(func(e trace.Event) {
		if r.mute {
			return
		}
		if r.opts.snapshots {
			r.seen = append(r.seen, e)
		}
		r.see(e)
	})
}

// pred is a check's per-step predicate in this run.
type pred struct {
	check string
	fn    func(trace.Event) error
}

// freshPreds makes every predicate anew, as at the run's start.
func (r *Run) freshPreds() {
	names := r.scn.NodeNames()
	for i, p := range r.preds {
		inv, _ := r.reg.Invariant(p.check)
		for _, c := range r.scn.Checks {
			if c.Name == p.check {
				r.preds[i].fn = inv(names, c.Params)
				break
			}
		}
	}
}

// see shows e to the predicates not broken yet.
func (r *Run) see(e trace.Event) {
	for _, p := range r.preds {
		if _, done := r.broken[p.check]; done {
			continue
		}
		err := p.fn(e)
		if err == nil {
			continue
		}
		if r.broken == nil {
			r.broken = map[string]check.Result{}
		}
		r.broken[p.check] = check.Violation(e, r.scn.NodeNames(), err)
		if r.opts.stopAtFail && r.stopped == "" {
			r.stopped = p.check
			r.s.Halt(violationStop{check: p.check})
		}
	}
}

// Violation returns the result of the check named name if its per-step
// predicate has broken so far (check.Violation): final, whatever the rest
// of the run does.
func (r *Run) Violation(name string) (check.Result, bool) {
	res, ok := r.broken[name]
	return res, ok
}

// checkerKinds are the events a batch run keeps in memory for its checkers.
func checkerKinds(k trace.Kind) bool {
	switch k {
	case trace.KindEmit, trace.KindBoot, trace.KindCrash, trace.KindRestart, trace.KindFault, trace.KindAttack:
		return true
	}
	return false
}

// openOut creates the run folder and its trace file.
func (r *Run) openOut(cfg *sim.Config) error {
	dir := r.opts.outDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return inputErr(fmt.Errorf("runner: run folder: %w", err))
	}
	if r.opts.persist {
		stores := filepath.Join(dir, "stores")
		if entries, err := os.ReadDir(stores); err == nil && len(entries) > 0 {
			return inputErr(fmt.Errorf("runner: %s already holds node stores from an earlier run; a persisted run starts from empty stores, so remove it or choose another folder", stores))
		}
		*cfg = cfg.WithStoreDir(stores)
	}
	f, err := os.Create(filepath.Join(dir, "trace.jsonl"))
	if err != nil {
		return inputErr(fmt.Errorf("runner: run folder: %w", err))
	}
	r.traceFile, r.traceBuf = f, bufio.NewWriterSize(f, 1<<20)
	*cfg = cfg.WithTrace(true, r.traceBuf)
	return nil
}

// links applies the scenario's per-link overrides.
func (r *Run) links(def netsim.Link) error {
	scn := r.scn
	if len(scn.Network.Links) == 0 {
		return nil
	}
	for _, a := range scn.Nodes {
		for _, b := range scn.Nodes {
			l := scn.Network.Settings(a.Name, b.Name)
			if l == def {
				continue
			}
			if err := r.s.Network().SetLink(int32(a.Index), int32(b.Index), l); err != nil {
				return inputErr(scn.ErrorAt(scn.Workload.Line, "network.links", "%v", err))
			}
		}
	}
	return nil
}

// schedule arranges the scenario's timed and pinned faults and its nemeses.
func (r *Run) schedule() error {
	for _, f := range r.scn.Faults {
		if f.BeforeEvent > 0 {
			if err := r.s.ApplyBefore(f.BeforeEvent, f.At, f.Fault); err != nil {
				return inputErr(r.scn.ErrorAt(f.Line, "faults", "%v", err))
			}
			continue
		}
		r.s.At(f.At, func() {
			if err := r.s.Apply(f.Fault); err != nil && r.faultErr == nil {
				r.faultErr = inputErr(r.scn.ErrorAt(f.Line, "faults", "%v", err))
			}
		})
	}
	faults := sim.Stream(r.seed, "faults")
	for _, nm := range r.scn.Nemeses {
		scheduleNemesis(r.s, nm, r.scn, faults, func(f fault.Fault) {
			r.injected = append(r.injected, scenario.Fault{At: r.s.Now(), Fault: f})
		})
	}
	return nil
}

func (r *Run) startWorkload() error {
	scn := r.scn
	r.end = scn.Duration
	if scn.Workload.Type == scenario.WorkloadNone || scn.Workload.Type == "" {
		return nil
	}
	w, err := r.reg.Workload(scn.Workload.Type)
	if err != nil {
		return inputErr(scn.ErrorAt(scn.Workload.Line, "workload.type", "%v", err))
	}
	targets := scn.Workload.Targets
	if len(targets) == 0 {
		targets = scn.NodeNames()
	}
	clients := make([]workload.Client, len(r.clients))
	for i, c := range r.clients {
		clients[i] = c
	}
	wend, err := w.Start(r.s, workload.Spec{
		Clients: clients, Targets: targets, Duration: scn.Duration, Interval: scn.Workload.Interval, Start: scn.Workload.Start,
		Ops: scn.Workload.Ops, Timeout: scn.Workload.Timeout, Params: scn.Workload.Params,
		Rand: sim.Stream(r.seed, "workload"),
	})
	if err != nil {
		return inputErr(scn.ErrorAt(scn.Workload.Line, "workload.params", "%v", err))
	}
	r.end = max(r.end, wend)
	return nil
}

// Scenario returns the scenario the run was prepared from.
func (r *Run) Scenario() *scenario.Scenario { return r.scn }

// Next returns the virtual time of the next queued event; false if none.
func (r *Run) Next() (time.Duration, bool) { return r.s.Next() }

// Parallelism returns how the events so far were dispatched.
func (r *Run) Parallelism() sim.Parallelism { return r.s.Parallelism() }

// PeakLoad returns the run's peak load so far.
func (r *Run) PeakLoad() sim.Load { return r.s.PeakLoad() }

// FuelHighWater returns the most fuel one callback of the node burned, the
// longest stretch between yields, and where it was.
func (r *Run) FuelHighWater(node string) (callback, stretch int64, where string, err error) {
	n := r.s.Node(node)
	if n == nil {
		return 0, 0, "", fmt.Errorf("runner: unknown node %q", node)
	}
	callback, stretch, where = n.FuelHighWater()
	return callback, stretch, where, nil
}

// Checkpoints returns the trace checkpoints taken so far
// (Options.WithCheckpoints).
func (r *Run) Checkpoints() []trace.Checkpoint { return r.s.Checkpoints() }

// Seed returns the run's seed.
func (r *Run) Seed() uint64 { return r.seed }

// Now returns the current virtual time.
func (r *Run) Now() time.Duration { return r.s.Now() }

// End returns the virtual time at which the run ends.
func (r *Run) End() time.Duration { return r.end }

// Done reports whether the run has reached its end (or was finished).
func (r *Run) Done() bool { return r.result != nil || r.s.Now() >= r.end }

// Steps returns how many events the run has dispatched.
func (r *Run) Steps() uint64 { return r.s.Steps() }

// Digest returns the trace digest so far.
func (r *Run) Digest() string { return r.s.Digest() }

// Stats returns the counters so far.
func (r *Run) Stats() trace.Stats { return r.s.Stats() }

// History returns the client operations recorded so far.
func (r *Run) History() []history.Op { return r.s.History() }

// Observe calls fn with every trace event from now on, as it is recorded,
// on the goroutine that drives the run.
func (r *Run) Observe(fn func(trace.Event)) { r.s.Observe(fn) }

// Events returns up to n trace events starting at index from (the event
// with Seq from+1).
func (r *Run) Events(from, n int) []trace.Event {
	evs := r.s.Events()
	if from < 0 || from >= len(evs) || n <= 0 {
		return nil
	}
	return evs[from:min(len(evs), from+n)]
}

// Step runs the next event, if it is due before the end. It returns false
// when there is nothing left to run.
func (r *Run) Step() (bool, error) {
	if r.result != nil {
		return false, nil
	}
	if at, ok := r.s.Next(); !ok || at > r.end {
		return false, nil
	}
	if err := r.ctx.Err(); err != nil {
		return false, err
	}
	ok, err := r.s.Step()
	if err == nil {
		err = r.faultErr
	}
	return ok, err
}

// AdvanceTo runs every event due at or before t (at most the end) and moves
// the clock there.
func (r *Run) AdvanceTo(t time.Duration) error {
	if r.result != nil {
		return nil
	}
	if err := r.s.RunUntil(min(t, r.end)); err != nil {
		return err
	}
	return r.faultErr
}

// StepTo steps until the trace holds at least seq events or the run is
// done: seeking to an event for time travel.
func (r *Run) StepTo(seq uint64) error {
	for r.s.Stats().Events < seq {
		ok, err := r.Step()
		if err != nil || !ok {
			return err
		}
	}
	return nil
}

// Apply applies a fault now, between the event that ran last and the next
// one, and records it so that Export replays it at exactly this point.
func (r *Run) Apply(f fault.Fault) error {
	if r.result != nil {
		return errors.New("runner: the run is finished")
	}
	before := r.s.Steps() + 1
	if err := r.s.Apply(f); err != nil {
		return err
	}
	r.manual = append(r.manual, scenario.Fault{At: r.s.Now(), BeforeEvent: before, Fault: f})
	return nil
}

// Manual returns the faults applied by hand, in order.
func (r *Run) Manual() []scenario.Fault { return slices.Clone(r.manual) }

// Export returns the scenario with the run's seed and the faults applied by
// hand: run it (terrarium run) and it replays this run to the same digest.
func (r *Run) Export() *scenario.Scenario {
	c := *r.scn
	c.Seed = r.seed
	c.Faults = append(slices.Clone(r.scn.Faults), r.manual...)
	return &c
}

// NodeInfo is a node's state at the current moment.
type NodeInfo struct {
	Name  string `json:"name"`
	Index int32  `json:"index"`
	Role  string `json:"role"`
	// State is "running", "crashed", "paused" or "down" (not booted yet).
	State       string `json:"state"`
	CrashReason string `json:"crash_reason,omitempty"`
	// Incarnation counts boots: 1 after the first, 2 after a restart.
	Incarnation int `json:"incarnation"`
}

// Nodes describes every node now, by index.
func (r *Run) Nodes() []NodeInfo {
	out := make([]NodeInfo, 0, len(r.s.Nodes()))
	for _, n := range r.s.Nodes() {
		st := n.State().String()
		if n.State() == nodes.Running && n.Paused() {
			st = "paused"
		}
		out = append(out, NodeInfo{Name: n.Name(), Index: n.Index(), Role: n.Role(), State: st, CrashReason: n.CrashReason(), Incarnation: n.Incarnation()})
	}
	return out
}

// KV is one key and value of a node's store.
type KV struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
}

// Store returns the node's store now, in key order, with its unsynced
// writes.
func (r *Run) Store(node string) ([]KV, error) {
	var out []KV
	err := r.ScanStore(node, func(k, v []byte) {
		out = append(out, KV{Key: slices.Clone(k), Value: slices.Clone(v)})
	})
	return out, err
}

// ScanStore calls fn with each key and value of the node's store now, in
// key order, with its unsynced writes. fn must not keep k or v.
func (r *Run) ScanStore(node string, fn func(k, v []byte)) error {
	n := r.s.Node(node)
	if n == nil {
		return fmt.Errorf("runner: unknown node %q", node)
	}
	return n.Scan(nil, fn)
}

// Finish runs to the end, applies the checkers and, with an out folder,
// writes the run folder. A run stopped early (its context was cancelled, or
// it reached a run-wide cap) finishes with verdict unknown and the reason,
// unchecked. A check whose per-step predicate broke is invalid, named by
// its event, however the run ended; a run stopped at that event
// (Options.WithStopAtViolation) judges no other check. An error running
// it is returned with a result that says so, so that the caller still
// knows the seed and digest. Finish is idempotent.
func (r *Run) Finish() (*Result, error) {
	if r.result != nil {
		return r.result, nil
	}
	runErr := r.runToEnd()
	scn := r.scn
	res := &Result{Result: runfolder.Result{Scenario: scn.File, Name: scn.Name, Seed: r.seed, TraceSHA256: r.s.Digest(), Reproducible: r.s.Reproducible(),
		Stats: r.s.Stats(), Checks: map[string]check.Result{}, Verdict: check.Valid, Nodes: append(scn.NodeNames(), scn.Services...)},
		Injected: r.injected, Manual: r.Manual()}
	for _, c := range r.clients {
		res.Clients = append(res.Clients, c.Name())
	}
	for _, n := range r.s.Nodes() {
		if reason := n.CrashReason(); reason != "" {
			res.Crashes = append(res.Crashes, runfolder.Crash{Node: n.Name(), Reason: reason})
		}
	}
	fatal, err := r.endReason(res, runErr)
	if err != nil {
		return nil, err
	}
	if err := r.judge(res); err != nil {
		return nil, err
	}
	res.Strict = scn.Strict
	if res.Strict && len(res.Findings) > 0 {
		res.Verdict = check.Invalid // a strict run fails on a finding
	}
	if res.Reason != "" && len(r.broken) == 0 {
		res.Verdict = check.Unknown
	}
	res.Valid = res.Verdict == check.Valid
	r.result = res
	if err := r.writeFolder(res); err != nil {
		return res, errors.Join(fatal, err)
	}
	return res, fatal
}

// endReason sets res.Reason from how the run ended (runErr from running it
// to the end) and returns the error Finish reports; err is an input error
// that ends Finish at once.
func (r *Run) endReason(res *Result, runErr error) (fatal, err error) {
	var lim *sim.LimitError
	var stop violationStop
	switch {
	case runErr == nil:
	case errors.As(runErr, &stop):
	case errors.As(runErr, &lim):
		res.Reason = lim.Error()
	case r.ctx.Err() != nil && errors.Is(runErr, r.ctx.Err()):
		res.Reason = fmt.Sprintf("interrupted at %v of %v virtual: %v", r.s.Now(), r.end, r.ctx.Err())
	default:
		var ie *InputError
		if errors.As(runErr, &ie) {
			return nil, runErr
		}
		res.Reason = runErr.Error()
		return fmt.Errorf("runner: at %v: %w", r.s.Now(), runErr), nil
	}
	return nil, nil
}

// judge runs the scenario's checks into res: a check whose per-step
// predicate broke stands however the run ended; the others are unknown
// when the run did not finish or stopped at a violation.
func (r *Run) judge(res *Result) error {
	scn := r.scn
	in := check.Input{History: r.s.History(), Events: r.s.Events(), Nodes: scn.NodeNames()}
	for _, c := range scn.Checks {
		fn, err := r.reg.Check(c.Name)
		if err != nil {
			return inputErr(scn.ErrorAt(c.Line, "checks", "%v", err))
		}
		broke, isBroken := r.broken[c.Name]
		switch {
		case isBroken && (res.Reason != "" || r.stopped != ""):
			res.Checks[c.Name] = broke // a violation stands, however the run ended
			res.Verdict = check.Invalid
			continue
		case res.Reason != "":
			res.Checks[c.Name] = check.Result{Verdict: check.Unknown, Summary: "not checked: the run did not finish"}
			continue
		case r.stopped != "":
			res.Checks[c.Name] = check.Result{Verdict: check.Unknown, Summary: "not checked: the run stopped where " + r.stopped + " broke"}
			continue
		}
		in.Params = c.Params
		cr := fn(in)
		if isBroken {
			cr = withViolation(cr, broke)
		}
		for _, f := range cr.Findings {
			res.Findings = append(res.Findings, runfolder.Finding{Check: c.Name, Finding: f})
		}
		cr.Findings = nil // listed once, in res.Findings
		res.Checks[c.Name] = cr
		switch {
		case cr.Verdict == check.Invalid:
			res.Verdict = check.Invalid
		case cr.Verdict == check.Unknown && res.Verdict == check.Valid:
			res.Verdict = check.Unknown
		}
	}
	return nil
}

// withViolation is a check's end-of-run result cr overruled by the
// violation its per-step predicate found: invalid, with the violation's
// summary and details beside the checker's.
func withViolation(cr, broke check.Result) check.Result {
	d := map[string]any{}
	for k, v := range cr.Details {
		d[k] = v
	}
	for k, v := range broke.Details {
		d[k] = v
	}
	return check.Result{Verdict: check.Invalid, Summary: broke.Summary, Details: d, Findings: cr.Findings}
}

// runToEnd advances to the end in slices, reporting progress.
func (r *Run) runToEnd() error {
	const slices = 100
	for i := 1; i <= slices; i++ {
		if err := r.AdvanceTo(r.end * time.Duration(i) / slices); err != nil {
			return err
		}
		if r.opts.progress != nil {
			r.opts.progress(r.s.Now(), r.end)
		}
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// writeFolder writes the run folder: results.json, history.jsonl and the
// report files, each within report.FileBound of the trace cap. A run that
// was interrupted writes no report files (reading a long trace again would
// keep the user waiting), and one interrupted while they are written
// leaves them out; results.json says so in report_notes.
func (r *Run) writeFolder(res *Result) error {
	dir := r.opts.outDir
	if dir == "" {
		return nil
	}
	if err := r.traceBuf.Flush(); err != nil {
		return fmt.Errorf("runner: trace: %w", err)
	}
	bound := report.FileBound(r.maxTrace)
	note, err := writeHistory(dir, r.s.History(), bound)
	if err != nil {
		return err
	}
	if note != "" {
		res.ReportNotes = append(res.ReportNotes, note)
	}
	if r.ctx.Err() != nil {
		return r.skipReports(res, "the run was interrupted")
	}
	if err := runfolder.WriteResults(dir, &res.Result); err != nil {
		return err
	}
	notes, err := report.WriteWithin(r.ctx, dir, bound)
	if err != nil && r.ctx.Err() != nil && errors.Is(err, r.ctx.Err()) {
		return r.skipReports(res, "interrupted while they were written")
	}
	if err != nil {
		return fmt.Errorf("runner: report: %w", err)
	}
	res.ReportNotes = append(res.ReportNotes, notes...)
	return nil
}

// skipReports writes results.json with a note that the report files were
// not written, and removes any an earlier run left in the folder.
func (r *Run) skipReports(res *Result, why string) error {
	dir := r.opts.outDir
	for _, f := range []string{runfolder.LamportFile, runfolder.ShiVizFile, runfolder.StatsFile, runfolder.TimelineFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("runner: %w", err)
		}
	}
	res.ReportNotes = append(res.ReportNotes, report.NotWritten(why))
	return runfolder.WriteResults(dir, &res.Result)
}

// Close releases the simulation and the run folder's files.
func (r *Run) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	var errs []error
	if r.s != nil {
		errs = append(errs, r.s.Close())
	}
	if r.traceFile != nil {
		if r.result == nil && r.traceBuf != nil {
			errs = append(errs, r.traceBuf.Flush())
		}
		errs = append(errs, r.traceFile.Close())
	}
	return errors.Join(errs...)
}
