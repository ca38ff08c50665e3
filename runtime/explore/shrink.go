package explore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// InvariantCheck is the name under which Failure.Checks lists a broken
// Config.Invariant.
const InvariantCheck = "invariant"

// finish shrinks a failing run, exports it and checks that the export
// replays to the shrunk run's digest.
func finish(ctx context.Context, cfg Config, seed uint64, o *outcome) (*Failure, error) {
	found := o.sched
	o, err := shrink(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	// The runs so far stopped at their violation; the export replays
	// the whole run, so its digest and verdicts are the whole run's.
	c := cfg
	c.Faults = cfg.Faults || slices.ContainsFunc(o.sched, isFault)
	o, err = run(ctx, c, Plan{Chooser: sim.Replay(o.sched), Seed: o.seed, hashFrom: -1}, false, true)
	if err != nil {
		return nil, err
	}
	f := &Failure{Seed: o.seed, Schedule: o.sched, Found: found, Digest: o.res.TraceSHA256,
		Scenario: Export(cfg.Scenario, o.seed, o.sched, o.ats), Checks: map[string]string{}}
	f.Kind = check.PropertyLiveness
	for name, c := range o.res.Checks {
		if c.Verdict == check.Invalid {
			f.Checks[name] = c.Summary
			if check.PropertyOf(c) == check.PropertySafety {
				f.Kind = check.PropertySafety
			}
		}
	}
	if o.broke != "" {
		f.Checks[InvariantCheck] = o.broke
		f.Kind = check.PropertySafety
	}
	if len(f.Checks) == 0 {
		f.Kind = check.PropertySafety // a strict run's finding
	}
	res, err := runner.Execute(ctx, f.Scenario, cfg.Runner.WithSeed(o.seed))
	if err != nil {
		return nil, fmt.Errorf("explore: replaying the failing schedule: %w", err)
	}
	f.Replayed = res.TraceSHA256 == f.Digest
	return f, nil
}

// shrink removes the failing run's decisions one at a time, keeping each
// removal after which the run still fails (taking the decisions that run
// actually made), until no single removal fails: a schedule with no
// decision to spare, as a delta-debugging pass would leave it. Then it
// lowers each order decision's pick (fewer events skipped) while the run
// still fails.
func shrink(ctx context.Context, cfg Config, o *outcome) (*outcome, error) {
	for i := 0; i < len(o.sched); {
		cand := slices.Delete(slices.Clone(o.sched), i, i+1)
		try, err := replay(ctx, cfg, o.seed, cand)
		if err != nil {
			return nil, err
		}
		if try.failed() && try.sched.Cost() < o.sched.Cost() {
			o = try
			continue
		}
		i++
	}
	return lowerPicks(ctx, cfg, o)
}

// lowerPicks tries each order decision with every smaller pick, first
// to last, keeping the first that still fails.
func lowerPicks(ctx context.Context, cfg Config, o *outcome) (*outcome, error) {
	for i := 0; i < len(o.sched); i++ {
		for pick := 1; o.sched[i].Kind == schedule.Order && pick < o.sched[i].Pick; pick++ {
			cand := slices.Clone(o.sched)
			cand[i].Pick = pick
			try, err := replay(ctx, cfg, o.seed, cand)
			if err != nil {
				return nil, err
			}
			if try.failed() && try.sched.Cost() < o.sched.Cost() {
				o = try
				break
			}
		}
	}
	return o, nil
}

// replay runs seed with the given decisions (and defaults elsewhere).
func replay(ctx context.Context, cfg Config, seed uint64, sched schedule.Schedule) (*outcome, error) {
	c := cfg
	c.Faults = cfg.Faults || slices.ContainsFunc(sched, isFault)
	return execute(ctx, c, Plan{Chooser: sim.Replay(sched), Seed: seed, hashFrom: -1}, false)
}

func isFault(d schedule.Decision) bool { return d.Kind == schedule.Crash || d.Kind == schedule.Restart }

// Export returns the scenario that replays a run of scn with seed and
// the decisions sched (taken at the virtual times ats): crashes and
// restarts become faults pinned to their events, the rest its schedule:.
func Export(scn *scenario.Scenario, seed uint64, sched schedule.Schedule, ats []time.Duration) *scenario.Scenario {
	c := *scn
	c.Seed = seed
	c.Faults = slices.Clone(scn.Faults)
	c.Schedule = nil
	for i, d := range sched {
		if !isFault(d) {
			c.Schedule = append(c.Schedule, d)
			continue
		}
		c.Faults = append(c.Faults, scenario.Fault{At: ats[i], BeforeEvent: d.Step, Fault: fault.Fault{Kind: fault.Kind(d.Kind), Node: d.Node}})
	}
	return &c
}
