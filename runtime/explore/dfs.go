package explore

import (
	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sweep"
)

// DFS is a systematic depth-first search of the runs that deviate from
// the default by at most Bound (delay bounding: Emmi, Qadeer and
// Rakamarić, "Delay-bounded scheduling", POPL 2011; an order choice that
// skips k events costs k, a drop, duplicate, crash or restart one). A run
// is named by the choices it makes at its choice points, in order; after
// each run the search backtracks to the deepest point that still has an
// untried option within the bound, as a stateless model checker does
// (Stateright's DFS checker, src/checker/dfs.rs, keeps the same kind of
// stack of pending choices, of states rather than of choice indices).
type DFS struct {
	bound   int
	crashes int
	prefix  []int
	done    bool
	shard   sweep.Shard // the subtrees this part of a split search takes (shard.go)
}

// NewDFS returns the depth-first search within bound deviations and at
// most crashes crashes.
func NewDFS(bound, crashes int) *DFS { return &DFS{bound: bound, crashes: crashes} }

// Next implements Strategy.
func (d *DFS) Next() (Plan, bool) {
	if d.done {
		return Plan{}, false
	}
	return Plan{Chooser: &fixed{prefix: d.prefix}}, true
}

// Done implements Strategy: it finds the next prefix.
func (d *DFS) Done(trail []Choice) {
	spent, crashed := budgets(trail)
	for i := len(trail) - 1; i >= 0; i-- {
		c := trail[i]
		for next := c.Taken + 1; next < c.Options; next++ {
			if spent[i]+cost(c.Kind, next) > d.bound {
				break // later options cost more still
			}
			if c.Kinds != nil && c.Kinds[next] == schedule.Crash && crashed[i] >= d.crashes {
				continue
			}
			if spent[i] == 0 && !d.owns(i, next) {
				continue // another shard's subtree
			}
			prefix := make([]int, i+1)
			for j := range i {
				prefix[j] = trail[j].Taken
			}
			prefix[i] = next
			d.prefix = prefix
			return
		}
	}
	d.done = true
}
