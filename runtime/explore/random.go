package explore

import (
	"math/rand/v2"

	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// faults is how the randomized strategies choose drops, duplicates,
// crashes and restarts: a crash at a fault point with probability
// crashes/steps (so that a run of about steps points has about crashes of
// them, the budget), a restart of a crashed node with probability 1/10,
// a drop or duplicate with probability 1/20 where the link allows it.
type faults struct {
	r       *rand.Rand
	crashes int // the budget
	used    int
	steps   int // the expected fault points of a run
}

func (f *faults) choose(p sim.Point) int {
	switch p.Kind {
	case sim.PointFate:
		if f.r.IntN(20) == 0 {
			return 1 + f.r.IntN(len(p.Options)-1)
		}
	case sim.PointFault:
		var crash, restart []int
		for i, o := range p.Options {
			switch o.Decision.Kind {
			case schedule.Crash:
				crash = append(crash, i)
			case schedule.Restart:
				restart = append(restart, i)
			}
		}
		if len(restart) > 0 && f.r.IntN(10) == 0 {
			return restart[f.r.IntN(len(restart))]
		}
		if len(crash) > 0 && f.used < f.crashes && f.r.IntN(max(f.steps, 1)) < f.crashes {
			f.used++
			return crash[f.r.IntN(len(crash))]
		}
	}
	return 0
}

// Random is a random walk: every choice point takes a uniformly random
// order, and faults as described at faults, from the walk's own stream,
// one per run.
type Random struct {
	seed    uint64
	crashes int
	runs    uint64
	steps   int
}

// NewRandom returns the random walk seeded with seed, with at most
// crashes crashes a run.
func NewRandom(seed uint64, crashes int) *Random {
	return &Random{seed: seed, crashes: crashes, steps: 100}
}

// Next implements Strategy.
func (w *Random) Next() (Plan, bool) {
	w.runs++
	return w.planAt(w.runs, w.learned()), true
}

// planAt plans run n (from 1) with the fault points learned so far.
func (w *Random) planAt(n uint64, l learned) Plan {
	r := rand.New(rand.NewPCG(w.seed, n))
	f := &faults{r: r, crashes: w.crashes, steps: l.Steps}
	return Plan{Chooser: chooserFunc(func(p sim.Point) int {
		if p.Kind == sim.PointOrder {
			return r.IntN(len(p.Options))
		}
		return f.choose(p)
	})}
}

// Done implements Strategy: it keeps the run's length for the crash rate.
func (w *Random) Done(trail []Choice) { w.steps = faultPoints(trail, w.steps) }

// faultPoints counts a trail's fault points (old when it has none).
func faultPoints(trail []Choice, old int) int {
	n := 0
	for _, c := range trail {
		if c.Kind == sim.PointFault {
			n++
		}
	}
	if n == 0 {
		return old
	}
	return n
}

// Sweep is the baseline the strategies are measured against: the
// scenario run with seed after seed (seed, seed+1, ...) and every choice
// point at its default, as `terrarium sweep` does.
type Sweep struct{ first, next uint64 }

// NewSweep returns the sweep starting at seed (at least 1).
func NewSweep(seed uint64) *Sweep { return &Sweep{first: max(seed, 1), next: max(seed, 1)} }

// Next implements Strategy.
func (s *Sweep) Next() (Plan, bool) {
	s.next++
	return Plan{Seed: s.next - 1}, true
}

// Done implements Strategy.
func (s *Sweep) Done([]Choice) {}

type chooserFunc func(p sim.Point) int

func (f chooserFunc) Choose(p sim.Point) int { return f(p) }
