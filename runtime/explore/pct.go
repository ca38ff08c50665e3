package explore

import (
	"math/rand/v2"

	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// PCT is probabilistic concurrency testing (Burckhardt, Kothari,
// Musuvathi and Nagarakatte, "A Randomized Scheduler with Probabilistic
// Guarantees of Finding Bugs", ASPLOS 2010). Its threads are the pairs
// (source, node) of sim.Option: the messages from one sender to one node,
// or one node's own timers, so that a node's timer and a message to it
// can go in either order. Each run gives every thread a random priority
// of at least depth, picks depth-1 change points among the run's k order
// points, and at each order point runs the event of the highest-priority
// thread; at the i-th change point the thread that ran gets priority
// depth-i, below every initial one. For n threads and k steps a bug of
// depth d is found by one run with probability at least 1/(n·k^(d-1))
// (the paper's Theorem 1). Faults are chosen as the random walk chooses
// them.
type PCT struct {
	seed    uint64
	depth   int
	crashes int
	runs    uint64
	k       int // order points of the last run: the paper's k
	steps   int
}

// NewPCT returns PCT with bug depth depth (at least 1), seeded with seed,
// with at most crashes crashes a run.
func NewPCT(seed uint64, depth, crashes int) *PCT {
	return &PCT{seed: seed, depth: max(depth, 1), crashes: crashes, k: 50, steps: 100}
}

// Next implements Strategy.
func (p *PCT) Next() (Plan, bool) {
	p.runs++
	return p.planAt(p.runs, p.learned()), true
}

// planAt plans run n (from 1) with the run length learned so far.
func (p *PCT) planAt(n uint64, l learned) Plan {
	r := rand.New(rand.NewPCG(p.seed, n))
	run := &pctRun{r: r, depth: p.depth, prio: map[[2]int32]int{}, change: map[int]int{},
		f: &faults{r: r, crashes: p.crashes, steps: l.Steps}}
	for i := 1; i < p.depth; i++ {
		run.change[1+r.IntN(max(l.K, 1))] = i
	}
	return Plan{Chooser: run}
}

// Done implements Strategy: it keeps the run's length (k).
func (p *PCT) Done(trail []Choice) {
	k := 0
	for _, c := range trail {
		if c.Kind == sim.PointOrder {
			k++
		}
	}
	p.k = max(k, 1)
	p.steps = faultPoints(trail, p.steps)
}

type pctRun struct {
	r      *rand.Rand
	depth  int
	prio   map[[2]int32]int // thread → priority, drawn when first seen
	change map[int]int      // order point → which change point it is
	n      int              // order points so far
	f      *faults
}

func (run *pctRun) Choose(p sim.Point) int {
	if p.Kind != sim.PointOrder {
		return run.f.choose(p)
	}
	best, bestPrio := 0, -1
	for i, o := range p.Options {
		pr, ok := run.prio[thread(o)]
		if !ok {
			pr = run.depth + run.r.IntN(1<<30)
			run.prio[thread(o)] = pr
		}
		if pr > bestPrio {
			best, bestPrio = i, pr
		}
	}
	run.n++
	if i, ok := run.change[run.n]; ok {
		run.prio[thread(p.Options[best])] = run.depth - i
	}
	return best
}

// thread is PCT's thread of an option: its source and its node.
func thread(o sim.Option) [2]int32 { return [2]int32{o.From, o.Node} }
