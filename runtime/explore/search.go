package explore

import (
	"context"
	"fmt"
	"time"
)

// learned is what a randomized strategy carries from one run to the
// next: the order points of a run (PCT's k) and its fault points (the
// crash rate's denominator).
type learned struct {
	K     int `json:"k,omitempty"`
	Steps int `json:"steps,omitempty"`
}

// indexed is a strategy whose n-th run is a function of n and of what it
// learned from the runs before (random, pct, sweep). Its runs can go in
// parallel: a run planned ahead with what the strategy knows now is kept
// when, its turn come, the strategy still knows the same, and made again
// otherwise, so that every run is the one a search of one run at a time
// would make (the runs of a search are committed in their order).
type indexed interface {
	Strategy
	planAt(n uint64, l learned) Plan
	learned() learned
	setLearned(l learned)
}

// learned and setLearned: Random's fault points, PCT's k and fault
// points, and nothing for a sweep.
func (w *Random) learned() learned               { return learned{Steps: w.steps} }
func (w *Random) setLearned(l learned)           { w.steps = l.Steps }
func (p *PCT) learned() learned                  { return learned{K: p.k, Steps: p.steps} }
func (p *PCT) setLearned(l learned)              { p.k, p.steps = l.K, l.Steps }
func (s *Sweep) learned() learned                { return learned{} }
func (s *Sweep) setLearned(learned)              {}
func (s *Sweep) planAt(n uint64, _ learned) Plan { return Plan{Seed: s.first + n - 1} }

// searcher is one Search's progress.
type searcher struct {
	cfg    Config
	res    *Result
	seen   map[string]struct{}
	start  time.Time
	ix     indexed   // nil: the strategy plans one run at a time
	next   uint64    // indexed: the next run's number in the whole search (from 1)
	window []*flight // indexed: runs on their way, in order
	// branches are a depth-first search's snapshots (Config.Snapshots);
	// nil: every run replays from the start.
	branches *branches
}

// flight is a run of an indexed strategy on its way.
type flight struct {
	n      uint64
	l      learned
	done   chan struct{}
	o      *outcome
	err    error
	cancel context.CancelFunc
}

func newSearcher(cfg Config) (*searcher, error) {
	s := &searcher{cfg: cfg, res: &Result{}, seen: map[string]struct{}{}, next: 1}
	s.ix, _ = cfg.Strategy.(indexed)
	if _, dfs := cfg.Strategy.(*DFS); dfs && cfg.Snapshots {
		s.branches = &branches{every: minEvery}
		if cfg.SnapshotEvery > 0 {
			s.branches.every, s.branches.fixed = uint64(cfg.SnapshotEvery), true
		}
		if cfg.Invariant != nil {
			s.branches.off = true
			s.res.Stats.Refusal = "an embedder's per-step invariant (explore.Config.Invariant) is Go state that saw every event"
		}
	}
	if err := s.shard(); err != nil {
		return nil, err
	}
	if cfg.Resume != nil {
		if err := s.resume(cfg.Resume); err != nil {
			return nil, err
		}
	}
	s.next = s.owned(s.next)
	s.start = time.Now().Add(-s.res.Stats.Elapsed)
	return s, nil
}

// loop makes the runs until the budget, the strategy or a failure ends
// the search, and keeps the state it could resume from.
func (s *searcher) loop(ctx context.Context) (*Result, error) {
	defer s.drop()
	for s.more(ctx) {
		o, index, ok, err := s.run(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break // interrupted: the run is not counted
			}
			return s.res, fmt.Errorf("explore: run %d: %w", s.res.Stats.Runs+1, err)
		}
		if !ok {
			s.res.Stats.Exhausted = true
			break
		}
		stop, err := s.commit(ctx, o, index)
		if err != nil || stop {
			s.res.State = s.state()
			return s.res, err
		}
	}
	s.res.State = s.state()
	return s.res, nil
}

// more reports whether the budget allows another run.
func (s *searcher) more(ctx context.Context) bool {
	if ctx.Err() != nil || s.cfg.Time > 0 && time.Since(s.start) >= s.cfg.Time {
		return false
	}
	if s.cfg.Runs == 0 {
		return true
	}
	if s.ix != nil {
		return s.next <= uint64(s.cfg.Runs) // the whole search's runs
	}
	return s.res.Stats.Runs < s.cfg.Runs
}

// run makes the next run: its outcome and its place in the search's
// order (Failure.Index); false when the strategy has none left.
func (s *searcher) run(ctx context.Context) (*outcome, []int, bool, error) {
	if s.ix != nil {
		f := s.take(ctx)
		return f.o, []int{int(f.n)}, true, f.err
	}
	plan, ok := s.cfg.Strategy.Next()
	if !ok {
		return nil, nil, false, nil
	}
	plan.hashFrom = -1
	if st, ok := s.cfg.Strategy.(stateful); ok {
		plan.hashFrom = st.hashFrom()
	}
	var o *outcome
	var err error
	if _, ok := plan.Chooser.(*fixed); ok && s.branches != nil && plan.Seed == 0 {
		o, err = s.branchRun(ctx, plan)
	} else {
		o, err = execute(ctx, s.cfg, plan, true)
	}
	if err != nil {
		return nil, nil, true, err
	}
	index := make([]int, len(o.trail))
	for i, c := range o.trail {
		index[i] = c.Taken
	}
	return o, index, true, nil
}

// take returns the next indexed run, made ahead if what the strategy
// learned since it was planned is unchanged, made again if not.
func (s *searcher) take(ctx context.Context) *flight {
	l := s.ix.learned()
	if len(s.window) > 0 && s.window[0].l != l {
		s.drop()
	}
	n := s.next
	for len(s.window) < max(s.cfg.Workers, 1) && (s.cfg.Runs == 0 || n <= uint64(s.cfg.Runs)) {
		if len(s.window) > 0 {
			n = s.owned(s.window[len(s.window)-1].n + 1)
		}
		if s.cfg.Runs > 0 && n > uint64(s.cfg.Runs) {
			break
		}
		s.window = append(s.window, s.launch(ctx, n, l))
	}
	f := s.window[0]
	s.window = s.window[1:]
	<-f.done
	s.next = s.owned(f.n + 1)
	return f
}

// launch starts run n, planned with l.
func (s *searcher) launch(ctx context.Context, n uint64, l learned) *flight {
	rctx, cancel := context.WithCancel(ctx)
	f := &flight{n: n, l: l, done: make(chan struct{}), cancel: cancel}
	plan := s.ix.planAt(n, l)
	plan.hashFrom = -1
	go func() {
		defer close(f.done)
		f.o, f.err = execute(rctx, s.cfg, plan, true)
	}()
	return f
}

// drop abandons the runs on their way.
func (s *searcher) drop() {
	for _, f := range s.window {
		f.cancel()
		<-f.done
	}
	s.window = nil
}

// commit hands a run to the strategy and the numbers, and finishes the
// search at a failure.
func (s *searcher) commit(ctx context.Context, o *outcome, index []int) (bool, error) {
	s.cfg.Strategy.Done(o.trail)
	for _, d := range o.digests {
		s.seen[d] = struct{}{}
	}
	st := &s.res.Stats
	st.add(o, len(s.seen), s.start)
	if p, ok := s.cfg.Strategy.(interface {
		Distinct() int
		Pruned() int
	}); ok {
		st.Hashed, st.Pruned = p.Distinct(), p.Pruned()
	}
	if s.cfg.Progress != nil {
		s.cfg.Progress(*st)
	}
	if !o.failed() {
		return false, nil
	}
	s.drop()
	f, err := finish(ctx, s.cfg, o.seed, o)
	if err != nil {
		return true, err
	}
	f.Run, f.Index = st.Runs, index
	s.res.Failure = f
	return true, nil
}
