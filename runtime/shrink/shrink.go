// Package shrink minimises a failing run: it removes faults, shortens the
// run, and drops clients and nodes where the scenario allows, keeping each
// change only if the same checker still fails with the same seed.
package shrink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// Options tune a shrink.
type Options struct {
	// Seed is the failing run's seed.
	Seed uint64
	// MaxRuns bounds the runs tried (default 300).
	MaxRuns int
	// Run holds the options of each run (its seed and output are set here).
	Run runner.Options
	// Progress, if set, hears about each accepted step.
	Progress func(step string, runs int)
}

// Result is a shrink's outcome.
type Result struct {
	// Minimal is the smallest failing scenario found.
	Minimal *scenario.Scenario
	// Failing names the checks that fail in the original run; Minimal
	// fails at least one of them.
	Failing []string
	// Steps describes each accepted reduction, in order.
	Steps []string
	// Runs counts the runs made.
	Runs int
	// Last is the result of Minimal's run.
	Last *runner.Result
	// Interrupted is true when the context ended the shrink early: Minimal
	// is the smallest failing scenario found until then.
	Interrupted bool
}

// ErrPasses is returned when the scenario does not fail with the seed.
var ErrPasses = errors.New("shrink: the run passes: nothing to shrink")

type shrinker struct {
	ctx     context.Context
	opts    Options
	failing map[string]bool
	res     *Result
}

// Shrink minimises scn, which must fail with opts.Seed.
func Shrink(ctx context.Context, scn *scenario.Scenario, opts Options) (*Result, error) {
	if opts.MaxRuns <= 0 {
		opts.MaxRuns = 300
	}
	opts.Run = opts.Run.WithSeed(opts.Seed).WithOutDir("").WithPersist(false)
	if opts.Run.Modules() == nil { // build each Go module once, not once a run
		opts.Run = opts.Run.WithModules(runner.NewModules())
	}
	sh := &shrinker{ctx: ctx, opts: opts, failing: map[string]bool{}, res: &Result{}}
	first, err := sh.run(scn)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("shrink: interrupted during the first run: %w", err)
	}
	for name, c := range first.Checks {
		if c.Verdict == check.Invalid {
			sh.failing[name] = true
			sh.res.Failing = append(sh.res.Failing, name)
		}
	}
	sort.Strings(sh.res.Failing)
	if len(sh.failing) == 0 {
		return nil, fmt.Errorf("%w (seed %d, verdict %s)", ErrPasses, opts.Seed, first.Verdict)
	}
	cur, last := scn, first

	// Nemeses become the timed faults they injected, so that single faults
	// can be removed. Other random streams are independent of the fault
	// stream, so the run stays the same.
	if len(cur.Nemeses) > 0 {
		c := clone(cur)
		c.Nemeses = nil
		c.Faults = append(append([]scenario.Fault(nil), cur.Faults...), last.Injected...)
		sort.SliceStable(c.Faults, func(i, j int) bool { return c.Faults[i].At < c.Faults[j].At })
		if r, ok := sh.fails(c); ok {
			sh.step(fmt.Sprintf("replaced %d nemeses by the %d faults they injected", len(cur.Nemeses), len(last.Injected)))
			cur, last = c, r
		}
	}

	// Faults: delta debugging (ddmin) over the list.
	for n := 2; len(cur.Faults) > 0 && sh.budget(); {
		if n > len(cur.Faults) {
			n = len(cur.Faults)
		}
		removed := false
		for i := 0; i < n && sh.budget(); i++ {
			lo, hi := i*len(cur.Faults)/n, (i+1)*len(cur.Faults)/n
			c := clone(cur)
			c.Faults = append(append([]scenario.Fault(nil), cur.Faults[:lo]...), cur.Faults[hi:]...)
			if r, ok := sh.fails(c); ok {
				sh.step(fmt.Sprintf("removed %d of %d faults", hi-lo, len(cur.Faults)))
				cur, last, removed = c, r, true
				n = max(n-1, 2)
				break
			}
		}
		if !removed {
			if n >= len(cur.Faults) {
				break
			}
			n = min(2*n, len(cur.Faults))
		}
	}

	// A shorter run.
	for step := cur.Duration / 2; step >= 50*time.Millisecond && sh.budget(); step /= 2 {
		d := cur.Duration - step
		if len(cur.Faults) > 0 && cur.Faults[len(cur.Faults)-1].At > d {
			continue
		}
		c := clone(cur)
		c.Duration = d
		if r, ok := sh.fails(c); ok {
			sh.step(fmt.Sprintf("shortened the run to %v", d))
			cur, last = c, r
		}
	}

	// Fewer clients.
	for k := 1; k < cur.Workload.Clients && sh.budget(); k++ {
		c := clone(cur)
		c.Workload.Clients = k
		if r, ok := sh.fails(c); ok {
			sh.step(fmt.Sprintf("reduced clients to %d", k))
			cur, last = c, r
			break
		}
	}

	// Fewer nodes: drop the last instance of a group while no fault and no
	// explicit workload target names it.
	for gi := 0; gi < len(cur.Groups) && sh.budget(); gi++ {
		for cur.Groups[gi].Count > 1 && sh.budget() {
			c, dropped := withoutLastNode(cur, gi)
			if c == nil {
				break
			}
			r, ok := sh.fails(c)
			if !ok {
				break
			}
			sh.step(fmt.Sprintf("removed node %s", dropped))
			cur, last = c, r
		}
	}
	sh.res.Minimal, sh.res.Last = cur, last
	sh.res.Interrupted = ctx.Err() != nil
	return sh.res, nil
}

func (sh *shrinker) budget() bool { return sh.res.Runs < sh.opts.MaxRuns && sh.ctx.Err() == nil }

func (sh *shrinker) step(s string) {
	sh.res.Steps = append(sh.res.Steps, s)
	if sh.opts.Progress != nil {
		sh.opts.Progress(s, sh.res.Runs)
	}
}

func (sh *shrinker) run(s *scenario.Scenario) (*runner.Result, error) {
	sh.res.Runs++
	r, err := runner.Execute(sh.ctx, s, sh.opts.Run)
	if err != nil {
		return nil, fmt.Errorf("shrink: run %d: %w", sh.res.Runs, err)
	}
	return r, nil
}

// fails runs a candidate and reports whether one of the original failing
// checks still fails. A candidate that cannot run counts as passing.
func (sh *shrinker) fails(s *scenario.Scenario) (*runner.Result, bool) {
	r, err := sh.run(s)
	if err != nil {
		return nil, false
	}
	for name := range sh.failing {
		if c, ok := r.Checks[name]; ok && c.Verdict == check.Invalid {
			return r, true
		}
	}
	return r, false
}

// clone copies the parts of a scenario that shrinking changes.
func clone(s *scenario.Scenario) *scenario.Scenario {
	c := *s
	c.Faults = append([]scenario.Fault(nil), s.Faults...)
	c.Nemeses = append([]scenario.Nemesis(nil), s.Nemeses...)
	c.Groups = make([]*scenario.NodeGroup, len(s.Groups))
	for i, g := range s.Groups {
		gg := *g
		c.Groups[i] = &gg
	}
	c.Nodes = append([]*scenario.Node(nil), s.Nodes...)
	c.Workload.Targets = append([]string(nil), s.Workload.Targets...)
	return &c
}

// withoutLastNode removes group gi's last instance, or returns nil if a
// fault, nemesis or explicit target names it.
func withoutLastNode(s *scenario.Scenario, gi int) (*scenario.Scenario, string) {
	var last *scenario.Node
	for _, n := range s.Nodes {
		if n.Group == gi {
			last = n
		}
	}
	if last == nil {
		return nil, ""
	}
	name := last.Name
	for _, f := range s.Faults {
		refs := append(append([]string{f.Node}, f.From...), f.To...)
		for _, g := range f.Groups {
			refs = append(refs, g...)
		}
		for _, r := range refs {
			if r == name {
				return nil, ""
			}
		}
	}
	for _, nm := range s.Nemeses {
		for _, t := range nm.Targets {
			if t == name {
				return nil, ""
			}
		}
	}
	allTargets := slices.Equal(s.Workload.Targets, s.NodeNames())
	if !allTargets {
		for _, t := range s.Workload.Targets {
			if t == name {
				return nil, ""
			}
		}
	}
	c := clone(s)
	c.Groups[gi].Count--
	var kept []*scenario.Node
	for _, n := range s.Nodes {
		if n != last {
			nn := *n
			nn.Index = len(kept)
			kept = append(kept, &nn)
		}
	}
	c.Nodes = kept
	if allTargets {
		c.Workload.Targets = c.NodeNames()
	}
	for _, l := range s.Network.Links {
		if l.From == name || l.To == name {
			return nil, ""
		}
	}
	return c, name
}
