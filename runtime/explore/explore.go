// Package explore searches the schedules of a scenario: it drives the
// simulator's choice points (sim.Chooser) run after run with a strategy
// (depth-first with a deviation bound, PCT, a random walk, breadth-first
// with distinct-state pruning, or a sweep of seeds as the baseline),
// judges each run with the scenario's checkers, and hands back the first failing run's schedule, shrunk to its fewest
// deviations, as a scenario that `terrarium run` replays to the same
// digest (DESIGN.md, "Choice points and search").
package explore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/sweep"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Config is one search.
type Config struct {
	Scenario *scenario.Scenario
	// Runner holds the per-run options (registry, modules, interpreter);
	// the chooser and the seed are the search's.
	Runner   runner.Options
	Strategy Strategy
	// Runs and Time bound the search (0: no bound on that); Time is wall
	// time and only decides when to stop, never what a run does.
	Runs int
	Time time.Duration
	// Faults offers crash and restart points to the strategy (its crash
	// budget is its own).
	Faults bool
	// Progress, if set, is called after each run with the numbers so far.
	Progress func(Stats)
	// Invariant, if set, makes a predicate for each run that sees every
	// trace event as it is recorded; the first error it returns fails the
	// run, named by its event, beside the scenario's checks: a violation
	// is caught at the event that causes it (TigerBeetle's state checkers,
	// src/testing/cluster/*_checker.zig, assert on every step likewise).
	// A check's own predicate (check.Invariant, named by the scenario's
	// checks:) does the same from the CLI and also ends the run there;
	// this one, the embedder's, lets the run go on to its end.
	Invariant func() func(trace.Event) error
	// Workers is how many runs the search makes at once (0 or 1: one);
	// the result is the same for any number (search.go).
	Workers int
	// Shard, if its Count is above 1, makes this search one part of a
	// search split over machines (shard.go).
	Shard sweep.Shard
	// Resume, if set, continues the search it describes (state.go).
	Resume *State
	// Snapshots makes a depth-first search branch its runs from
	// snapshots of earlier runs (runner.Run.Snapshot) where they share a
	// prefix long enough to pay for the copy, instead of replaying each
	// from the start; a run that cannot be snapshotted replays, counted
	// in Stats.Refused. Other strategies, and searches with an
	// Invariant, always replay.
	Snapshots bool
	// SnapshotEvery, if above 0, takes a snapshot every that many events
	// and branches from the deepest that fits, whatever they cost (to
	// test and measure them); 0 lets the search choose from measured
	// costs (branch.go).
	SnapshotEvery int
	// Spec names the strategy and its settings (e.g. "pct seed=1
	// depth=3 crashes=0"), to tell a resumed or merged search's parts apart.
	Spec string
}

// Stats are a search's numbers.
type Stats struct {
	// Runs is how many runs the search made (the shrinking's not counted).
	Runs int `json:"runs"`
	// States is the events the runs dispatched, all told.
	States uint64 `json:"states"`
	// Distinct is how many distinct trace prefixes the choice points saw
	// (one per distinct digest so far at a point): a lower bound on the
	// distinct states reached.
	Distinct int `json:"distinct"`
	// Depth is the most events one run dispatched.
	Depth uint64 `json:"depth"`
	// Deviations is the most one run deviated (schedule.Schedule.Cost).
	Deviations int `json:"deviations"`
	// Points counts the choice points the runs went through, by kind
	// (order, fate, fault): which kinds of choice the search exercised.
	Points Points `json:"points"`
	// Elapsed is the wall time so far.
	Elapsed time.Duration `json:"elapsed"`
	// Hashed is how many distinct states (by sim.Sim.StateHash) a pruning
	// strategy saw, and Pruned how many runs stopped branching at a state
	// seen before; both 0 for strategies that do not hash states.
	Hashed int `json:"hashed,omitempty"`
	Pruned int `json:"pruned,omitempty"`
	// Branched is how many runs a depth-first search started from a
	// snapshot of an earlier run (Config.Snapshots), and Replayed how
	// many it replayed from the start with snapshots on; Refused how many
	// of those replayed because the run could not be snapshotted, the
	// first reason in Refusal. They depend on measured costs (branch.go),
	// never on what the runs do: a search finds the same runs and
	// failure with snapshots as without.
	Branched int    `json:"branched,omitempty"`
	Replayed int    `json:"replayed,omitempty"`
	Refused  int    `json:"refused,omitempty"`
	Refusal  string `json:"refusal,omitempty"`
	// Exhausted is true when the strategy had nothing left to try.
	Exhausted bool `json:"exhausted"`
}

// RunsPerSecond is Runs over Elapsed.
func (s Stats) RunsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Runs) / s.Elapsed.Seconds()
}

// StatesPerSecond is States (events dispatched) over Elapsed.
func (s Stats) StatesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.States) / s.Elapsed.Seconds()
}

// Result is a search's outcome.
type Result struct {
	Stats Stats
	// Failure is the first failing run, shrunk; nil if none was found.
	Failure *Failure
	// State is where the search stopped, to resume it (Config.Resume).
	State *State
}

// Failure is a failing run.
type Failure struct {
	// Run is the search's run (from 1) that failed first.
	Run int
	// Index is its place in the strategy's order, the same in every
	// shard of a search: the run's number in the whole search for random,
	// pct and sweep, its choices for dfs and bfs. Of the failures of a
	// search's shards the least (compared element by element) is the one
	// the search unsplit finds first (MergeShards).
	Index []int
	// Seed is its seed.
	Seed uint64
	// Schedule is its decisions after shrinking; Found before.
	Schedule, Found schedule.Schedule
	// Digest is the shrunk run's trace digest, and Replayed whether the
	// exported scenario replayed to it (checked by running it).
	Digest   string
	Replayed bool
	// Scenario replays the shrunk run: the scenario with the seed, the
	// crashes and restarts as pinned faults and the rest as schedule:.
	Scenario *scenario.Scenario
	// Checks are the failing checks' summaries, by name.
	Checks map[string]string
	// Kind is what the run did: check.PropertyLiveness (STUCK) if every
	// failing check is a liveness one (check eventually: something never
	// happened), else check.PropertySafety (WRONG: something bad did).
	Kind string
}

// Search runs the search.
func Search(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Scenario == nil || cfg.Strategy == nil {
		return nil, errors.New("explore: a search needs a scenario and a strategy")
	}
	if cfg.Runner.Modules() == nil {
		cfg.Runner = cfg.Runner.WithModules(runner.NewModules()) // build Go guests once
	}
	pool := sim.NewEnginePool() // compile them once
	defer pool.Close()
	cfg.Runner = cfg.Runner.WithEnginePool(pool)
	s, err := newSearcher(cfg)
	if err != nil {
		return nil, &runner.InputError{Err: err} // a bad split or state
	}
	return s.loop(ctx)
}

// Points counts choice points by kind.
type Points struct {
	Order int `json:"order"`
	Fate  int `json:"fate"`
	Fault int `json:"fault"`
	// Types are the message types the order and fate points offered,
	// by type: which messages the search could move, drop or duplicate,
	// and which it did.
	Types map[string]TypeCover `json:"types,omitempty"`
}

// TypeCover is one message type's share of the choice points: Offered
// counts the points with an option that delivers, drops or duplicates a
// message of the type (one a point), Taken the runs' deviations that
// chose such an option.
type TypeCover struct {
	Offered int `json:"offered"`
	Taken   int `json:"taken"`
}

// cover adds one point's message types: offered are the types its
// options carry (each counted once), taken the type of the option taken
// if it was not the default.
func (p *Points) cover(offered []string, taken string) {
	if len(offered) == 0 && taken == "" {
		return
	}
	if p.Types == nil {
		p.Types = map[string]TypeCover{}
	}
	for _, t := range offered {
		c := p.Types[t]
		c.Offered++
		p.Types[t] = c
	}
	if taken != "" {
		c := p.Types[taken]
		c.Taken++
		p.Types[taken] = c
	}
}

func (s *Stats) add(o *outcome, distinct int, start time.Time) {
	for _, c := range o.trail {
		switch c.Kind {
		case sim.PointOrder:
			s.Points.Order++
		case sim.PointFate:
			s.Points.Fate++
		case sim.PointFault:
			s.Points.Fault++
		}
		s.Points.cover(c.Types, c.TakenType)
	}
	s.Runs++
	s.States += o.steps
	s.Depth = max(s.Depth, o.steps)
	s.Deviations = max(s.Deviations, o.sched.Cost())
	s.Distinct = distinct
	s.Elapsed = time.Since(start)
}

// outcome is one run's: its verdict, choice points and decisions.
type outcome struct {
	res   *runner.Result
	seed  uint64
	steps uint64
	trail []Choice
	sched schedule.Schedule
	ats   []time.Duration // when each decision of sched was taken
	broke string          // the invariant's first error, with its event
	err   error           // a state hash that failed
	// digests are the trace digests at its order points, when collected
	// (Stats.Distinct).
	digests []string
}

func (o *outcome) failed() bool { return o.res.Verdict == check.Invalid || o.broke != "" }

// tracker wraps a plan's chooser: it records the trail, the decisions
// and the distinct points.
type tracker struct {
	inner sim.Chooser
	o     *outcome
	seen  bool // collect the digests at order points
	mute  bool // take the default and record nothing (a run's first instant before a restore)
	hash  int  // record the state hash of the points from this index on (-1: none)
	n     int  // points so far
}

func (t *tracker) Choose(p sim.Point) int {
	if t.mute {
		return 0
	}
	i := 0
	if t.inner != nil {
		i = t.inner.Choose(p)
	}
	if i < 0 || i >= len(p.Options) {
		i = 0
	}
	c := Choice{Kind: p.Kind, Options: len(p.Options), Taken: i}
	for _, o := range p.Options {
		if o.Type != "" && !slices.Contains(c.Types, o.Type) {
			c.Types = append(c.Types, o.Type)
		}
	}
	if i > 0 {
		c.TakenType = p.Options[i].Type
	}
	if p.Kind == sim.PointFault {
		c.Kinds = make([]schedule.Kind, len(p.Options))
		for j, o := range p.Options {
			c.Kinds[j] = o.Decision.Kind
		}
	}
	if t.hash >= 0 && t.n >= t.hash && t.o.err == nil {
		c.State, t.o.err = p.State()
	}
	t.n++
	t.o.trail = append(t.o.trail, c)
	if i > 0 {
		t.o.sched = append(t.o.sched, p.Options[i].Decision)
		t.o.ats = append(t.o.ats, p.At)
	}
	if t.seen && p.Kind == sim.PointOrder {
		t.o.digests = append(t.o.digests, p.Digest())
	}
	return i
}

// execute makes one run of the plan. It stops at the first event that
// breaks a check's per-step predicate (runner.Options.WithStopAtViolation):
// a failing run's rest is not needed to judge it; whole makes the run to
// the end, for its digest.
func execute(ctx context.Context, cfg Config, plan Plan, seen bool) (*outcome, error) {
	return run(ctx, cfg, plan, seen, false)
}

func run(ctx context.Context, cfg Config, plan Plan, seen, whole bool) (*outcome, error) {
	seed := plan.Seed
	if seed == 0 {
		seed = cfg.Runner.Seed(cfg.Scenario.Seed)
	}
	o := &outcome{seed: seed}
	tr := &tracker{inner: plan.Chooser, o: o, seen: seen, hash: plan.hashFrom}
	opts := cfg.Runner.WithSeed(seed).WithChooser(tr, sim.ChoiceOptions{Faults: cfg.Faults}).WithStopAtViolation(!whole)
	r, err := runner.Prepare(ctx, cfg.Scenario, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if cfg.Invariant != nil {
		inv := cfg.Invariant()
		r.Observe(func(e trace.Event) {
			if err := inv(e); err != nil && o.broke == "" {
				o.broke = fmt.Sprintf("event %d (%s at %v): %v", e.Seq, e.Kind, time.Duration(e.Time), err)
			}
		})
	}
	return finishRun(r, o)
}
