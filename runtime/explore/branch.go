package explore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// Bounds of the snapshots a search keeps along its current path.
const (
	maxBranches = 32   // snapshots kept at once; past it every other goes
	minEvery    = 16   // events between two snapshots, at least
	maxEvery    = 4096 // and at most
)

// branches are the snapshots (runner.Run.Snapshot) a depth-first search
// keeps along its current path, to start its next run from the deepest
// one its plan shares instead of replaying the run from the start.
// Whether a run branches or replays, and where snapshots are taken, is
// decided by measured costs (wall time), never what a run does: a run
// restored from a snapshot goes on event for event as its replay would.
type branches struct {
	stack []branch
	// every is how many events apart snapshots are taken; eventNs and
	// copyNs are the measured costs of an event and of taking a snapshot
	// (a restore copies as much back).
	every           uint64
	eventNs, copyNs float64
	off             bool // refused for the whole search
	fixed           bool // every is the configuration's; no costs weighed
}

// branch is a snapshot and what the run had done before it.
type branch struct {
	snap   *runner.Snapshot
	points int // choice points before it
	steps  uint64
	trail  []Choice
	sched  schedule.Schedule
	ats    []time.Duration
	digest []string
}

// fits reports whether plan prefix takes b's choices at b's points and
// leaves at least one point past them to its own choice.
func (b *branch) fits(prefix []int) bool {
	if b.points >= len(prefix) {
		return false
	}
	for i, c := range b.trail {
		if c.Taken != prefix[i] {
			return false
		}
	}
	return true
}

// pick keeps the snapshots prefix can branch from and returns the deepest
// worth restoring (saving more replay than the copy costs), or nil.
func (bs *branches) pick(prefix []int) *branch {
	keep := bs.stack[:0]
	for i := range bs.stack {
		if bs.stack[i].fits(prefix) {
			keep = append(keep, bs.stack[i])
		}
	}
	clear(bs.stack[len(keep):])
	bs.stack = keep
	if len(keep) == 0 {
		return nil
	}
	b := &keep[len(keep)-1]
	if !bs.fixed && float64(b.steps)*bs.eventNs <= bs.copyNs {
		return nil // replaying the prefix is cheaper
	}
	return b
}

// push keeps a snapshot, thinning the stack when full.
func (bs *branches) push(b branch) {
	if len(bs.stack) >= maxBranches {
		thin := bs.stack[:0]
		for i := 1; i < len(bs.stack); i += 2 {
			thin = append(thin, bs.stack[i])
		}
		clear(bs.stack[len(thin):])
		bs.stack = thin
		if !bs.fixed {
			bs.every = min(bs.every*2, maxEvery)
		}
	}
	bs.stack = append(bs.stack, b)
}

// tune sets the distance between snapshots from the measured costs: a
// snapshot's copy at most the replay of the events between two (a
// quarter of it made fewer snapshots and the WAT search of
// BenchmarkSearchSnapshots slower).
func (bs *branches) tune() {
	if bs.fixed || bs.eventNs <= 0 {
		return
	}
	bs.every = min(max(uint64(bs.copyNs/bs.eventNs), minEvery), maxEvery)
}

// average folds a measurement into a running mean (the first one sets it).
func average(mean, x float64) float64 {
	if mean == 0 {
		return x
	}
	return 0.8*mean + 0.2*x
}

// branchRun makes one run of a depth-first search's plan, from the
// deepest snapshot it can branch from, taking snapshots along the way.
func (s *searcher) branchRun(ctx context.Context, plan Plan) (*outcome, error) {
	cfg, bs, st := s.cfg, s.branches, &s.res.Stats
	if bs.off {
		st.Replayed++
		st.Refused++
		return execute(ctx, cfg, plan, true)
	}
	fx := plan.Chooser.(*fixed)
	seed := cfg.Runner.Seed(cfg.Scenario.Seed)
	o := &outcome{seed: seed}
	tr := &tracker{inner: fx, o: o, seen: true, hash: plan.hashFrom, mute: true}
	opts := cfg.Runner.WithSeed(seed).WithChooser(tr, sim.ChoiceOptions{Faults: cfg.Faults}).WithStopAtViolation(true).WithSnapshots(true)
	r, err := runner.Prepare(ctx, cfg.Scenario, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if b := bs.pick(fx.prefix); b != nil {
		start := time.Now()
		if err := r.Restore(b.snap); err != nil {
			return nil, fmt.Errorf("explore: branching from a snapshot: %w", err)
		}
		bs.copyNs = average(bs.copyNs, float64(time.Since(start).Nanoseconds()))
		o.trail, o.sched, o.ats, o.digests = slices.Clone(b.trail), slices.Clone(b.sched), slices.Clone(b.ats), slices.Clone(b.digest)
		tr.n, fx.n = b.points, b.points
		st.Branched++
	} else {
		st.Replayed++
	}
	tr.mute = false
	from, begin, refused, took := r.Steps(), time.Now(), "", false
	next := from + bs.every
	for {
		if r.Steps() >= next {
			t := time.Now()
			sn, err := r.Snapshot()
			if err != nil {
				refused = err.Error()
			} else {
				bs.copyNs, took = average(bs.copyNs, float64(time.Since(t).Nanoseconds())), true
				bs.push(branch{snap: sn, points: len(o.trail), steps: r.Steps(), trail: slices.Clone(o.trail),
					sched: slices.Clone(o.sched), ats: slices.Clone(o.ats), digest: slices.Clone(o.digests)})
			}
			next = r.Steps() + bs.every
		}
		ok, err := r.Step()
		if err != nil || !ok {
			break // Finish meets the error again, or ends the run
		}
	}
	if n := r.Steps() - from; n > 0 {
		bs.eventNs = average(bs.eventNs, float64(time.Since(begin).Nanoseconds())/float64(n))
	}
	bs.tune()
	if refused != "" && !took {
		st.Refused++
		if st.Refusal == "" {
			st.Refusal = refused
		}
		if len(bs.stack) == 0 {
			bs.off = true // nothing here snapshots: replay from now on
		}
	}
	return finishRun(r, o)
}

// finishRun ends a run and fills its outcome.
func finishRun(r *runner.Run, o *outcome) (*outcome, error) {
	res, err := r.Finish()
	if err != nil {
		return nil, err
	}
	if o.err != nil {
		return nil, o.err
	}
	o.res, o.steps = res, r.Steps()
	return o, nil
}
