package explore

import (
	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// Strategy plans a search's runs, one after the other. Every strategy is
// deterministic: given its seed and the runs' outcomes (which depend only
// on the plans), it plans the same runs.
type Strategy interface {
	// Next plans the next run; false when the strategy has nothing left
	// to try (a systematic search that covered its space).
	Next() (Plan, bool)
	// Done tells the strategy the choice points the run it planned last
	// went through, in order.
	Done(trail []Choice)
}

// Plan is one run: the chooser its choice points ask (nil: every point
// takes its default) and the seed (0: the scenario's).
type Plan struct {
	Chooser sim.Chooser
	Seed    uint64
	// hashFrom is the first point whose state hash the run records (-1:
	// none); the search sets it from a stateful strategy.
	hashFrom int
}

// Choice is one choice point a run went through and what it took.
type Choice struct {
	Kind sim.PointKind
	// Options is how many options the point had; Taken the one taken.
	Options, Taken int
	// Kinds are the options' decision kinds at a fault point (the first,
	// no fault, is ""), to keep crashes within a budget; nil elsewhere.
	Kinds []schedule.Kind
	// State is the run's state hash at the point (sim.Point.State), for
	// a strategy that prunes states it has seen; zero otherwise.
	State [32]byte
	// Types are the message types the point's options carry, once each,
	// and TakenType the taken option's when it is not the default
	// (Points.Types).
	Types     []string
	TakenType string
}

// stateful is a strategy that wants the state hash of the points of its
// next run from the index hashFrom returns on (-1: none); the points
// before it replay a prefix whose states it has seen.
type stateful interface{ hashFrom() int }

// cost is what taking option i at a point of kind k counts against a
// deviation bound: skipping i events due at one instant costs i (delay
// bounding), any other deviation one.
func cost(k sim.PointKind, i int) int {
	switch {
	case i == 0:
		return 0
	case k == sim.PointOrder:
		return i
	}
	return 1
}

// fixed is a chooser that takes the given choices at the first points
// and the default after them.
type fixed struct {
	prefix []int
	n      int
}

func (f *fixed) Choose(sim.Point) int {
	i := f.n
	f.n++
	if i < len(f.prefix) {
		return f.prefix[i]
	}
	return 0
}
