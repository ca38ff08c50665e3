package runner

import (
	"context"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// Options tune a run. Build them with NewOptions and the With methods; each
// returns a changed copy, so one value can seed many runs.
type Options struct {
	seed        uint64
	hasSeed     bool
	outDir      string
	persist     bool
	interpreter bool
	cacheDir    string
	watchdog    time.Duration
	progress    func(now, total time.Duration)
	registry    *Registry
	modules     *Modules
	allEvents   *bool
	workers     int
	noImage     bool
	checkpoints uint64
	pool        *sim.EnginePool
	chooser     sim.Chooser
	choiceOpts  sim.ChoiceOptions
	stopAtFail  bool
	snapshots   bool
}

// WithSnapshots makes the run ready to be snapshotted (Run.Snapshot): it
// keeps the events its checks' per-step predicates see, to bring a
// restored run's predicates to the same state.
func (o Options) WithSnapshots(on bool) Options { o.snapshots = on; return o }

// WithStopAtViolation ends the run after the step that recorded the first
// event to break a check's per-step predicate (check.Invariant, run
// before the next event is dispatched): the broken check is
// invalid, named by its event, the others are not judged. A search
// (runtime/explore) runs this way, to spend nothing on a run that has
// failed; the trace digest is then the prefix's, so a run to export or
// replay is made without it.
func (o Options) WithStopAtViolation(on bool) Options { o.stopAtFail = on; return o }

// WithChooser makes the run's choice points ask c (sim.Chooser) instead
// of taking the scenario's schedule: (nil: the schedule's own). A search
// (runtime/explore) drives runs this way.
func (o Options) WithChooser(c sim.Chooser, opts sim.ChoiceOptions) Options {
	o.chooser, o.choiceOpts = c, opts
	return o
}

// WithEnginePool makes the run take its guest engine and compiled
// modules from p (sim.EnginePool), for many runs of one scenario in turn.
func (o Options) WithEnginePool(p *sim.EnginePool) Options { o.pool = p; return o }

// NewOptions returns the defaults: the scenario's seed (else 1), nothing
// written to disk, stores in memory, wazero's compiler, the core workloads
// and checkers only, and a module loader of the run's own.
func NewOptions() Options { return Options{} }

// WithSeed runs with seed instead of the scenario's.
func (o Options) WithSeed(seed uint64) Options { o.seed, o.hasSeed = seed, true; return o }

// WithOutDir writes the run folder (results.json, trace.jsonl, history.jsonl
// and the reports) into dir.
func (o Options) WithOutDir(dir string) Options { o.outDir = dir; return o }

// WithPersist keeps node stores on disk under OutDir/stores. The folder
// must be empty or absent, so that a run never starts from leftovers.
func (o Options) WithPersist(on bool) Options { o.persist = on; return o }

// WithInterpreter uses wazero's interpreter instead of its compiler.
func (o Options) WithInterpreter(on bool) Options { o.interpreter = on; return o }

// WithMemoryImage chooses whether a module's initial memory is mapped
// copy-on-write from an image (the default) or copied into each instance
// (sim.Engine.NoMemoryImage). The run and its digest are the same
// either way.
func (o Options) WithMemoryImage(on bool) Options { o.noImage = !on; return o }

// WithCheckpoints takes a trace checkpoint after every n events (0: none;
// sim.Config.WithCheckpoints); Run.Checkpoints returns them.
func (o Options) WithCheckpoints(n uint64) Options { o.checkpoints = n; return o }

// WithCacheDir sets wazero's compilation cache ("" = the default location).
func (o Options) WithCacheDir(dir string) Options { o.cacheDir = dir; return o }

// WithWatchdog aborts a guest call after d of wall time (0: off). A run
// where it fires is marked not reproducible.
func (o Options) WithWatchdog(d time.Duration) Options { o.watchdog = d; return o }

// WithWorkers runs the events of different nodes on up to n goroutines
// (0 or 1: one at a time; sim.Config.WithWorkers). The run, its digest and
// its files are the same for every n; n is part of neither the scenario nor
// the trace.
func (o Options) WithWorkers(n int) Options { o.workers = n; return o }

// WithProgress calls fn as virtual time advances towards the end.
func (o Options) WithProgress(fn func(now, total time.Duration)) Options { o.progress = fn; return o }

// WithAllEvents chooses whether a run keeps every trace event in memory
// (Run.Events, check.Input.Events) or only those checkers read: emits,
// boots, crashes, restarts and faults. Prepare and Start keep every event
// by default (a driven run pages through them); Execute keeps only the
// checkers' events by default, so that a long batch run's memory does not
// grow with every message. The trace file and the digest always hold
// every event.
func (o Options) WithAllEvents(on bool) Options { o.allEvents = &on; return o }

// WithRegistry sets the workloads and checkers a scenario may name.
func (o Options) WithRegistry(r *Registry) Options { o.registry = r; return o }

// WithModules shares a module loader (and its cache of built modules)
// between runs.
func (o Options) WithModules(m *Modules) Options { o.modules = m; return o }

// WithModuleSource provides the modules a scenario names by sha256, such as
// a server's uploads. It replaces the module loader with a new one.
func (o Options) WithModuleSource(fn func(ctx context.Context, sha256 string) ([]byte, error)) Options {
	o.modules = NewModules().WithSource(fn)
	return o
}

// Seed returns the seed a run of scn with these options uses.
func (o Options) Seed(scnSeed uint64) uint64 {
	switch {
	case o.hasSeed:
		return o.seed
	case scnSeed != 0:
		return scnSeed
	}
	return 1
}

// Modules returns the module loader set with WithModules (nil: none).
func (o Options) Modules() *Modules { return o.modules }

// Registry returns the registry set with WithRegistry (nil: none, so a run
// uses the core workloads and checkers).
func (o Options) Registry() *Registry { return o.registry }

func (o Options) reg() *Registry {
	if o.registry == nil {
		return NewRegistry()
	}
	return o.registry
}
