package explore

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// walkStates drives a strategy over a fake run of n order points of
// width options whose state at each point is given by state(choices so
// far), and returns every run's choices.
func walkStates(s Strategy, n, width int, state func(taken []int) byte) [][]int {
	var runs [][]int
	for len(runs) < 10_000 {
		plan, ok := s.Next()
		if !ok {
			break
		}
		var trail []Choice
		var taken []int
		for range n {
			c := Choice{Kind: sim.PointOrder, Options: width}
			c.State[0] = state(taken)
			c.Taken = plan.Chooser.Choose(sim.Point{Kind: sim.PointOrder, Options: make([]sim.Option, width)})
			trail = append(trail, c)
			taken = append(taken, c.Taken)
		}
		s.Done(trail)
		runs = append(runs, taken)
	}
	return runs
}

// BFS without pruning tries every run within its bound once, fewest
// deviations first; DFS tries the same set.
func TestBFSEnumeratesByDeviations(t *testing.T) {
	distinct := func(taken []int) byte { return byte(len(taken)) }
	assert.Equal(t, [][]int{{0, 0}, {1, 0}, {0, 1}, {2, 0}, {0, 2}, {1, 1}}, walkStates(NewBFS(2, 0, false), 2, 3, distinct))
	assert.ElementsMatch(t, walk(NewDFS(2, 0), 3, 3), walkStates(NewBFS(2, 0, false), 3, 3, distinct))
}

// With pruning, a run stops branching at the first state an earlier run
// reached: here every order of two points reaches one state (a counter
// of how many ran), so only the default run's points branch.
func TestBFSPrunesStatesSeen(t *testing.T) {
	commute := func(taken []int) byte { return byte(len(taken)) } // the state is how far the run got
	pruned := NewBFS(2, 0, true)
	runs := walkStates(pruned, 3, 2, commute)
	assert.Equal(t, [][]int{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, runs, "no second deviation: its states were seen")
	assert.Equal(t, 3, pruned.Distinct())
	assert.Equal(t, 2, pruned.Pruned(), "the last point's deviation has no point after it to prune")
	assert.Len(t, walkStates(NewBFS(2, 0, false), 3, 2, commute), 7, "unpruned: every run within the bound")
	// States that tell runs apart prune nothing.
	path := func(taken []int) byte {
		b := byte(1)
		for _, x := range taken {
			b = b*3 + byte(x)
		}
		return b
	}
	assert.Len(t, walkStates(NewBFS(2, 0, true), 3, 2, path), 7)
}

// A crash is queued only while the budget allows.
func TestBFSKeepsTheCrashBudget(t *testing.T) {
	crash := []Choice{{Kind: sim.PointFault, Options: 2, Kinds: []schedule.Kind{"", schedule.Crash}}}
	b := NewBFS(5, 0, false)
	_, _ = b.Next()
	b.Done(crash)
	_, ok := b.Next()
	assert.False(t, ok, "no crash allowed: nothing left to try")
	b = NewBFS(5, 1, false)
	_, _ = b.Next()
	b.Done(crash)
	p, ok := b.Next()
	assert.True(t, ok)
	assert.Equal(t, []int{1}, p.Chooser.(*fixed).prefix)
}
