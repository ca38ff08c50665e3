package explore

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// tree is a fake run: n order points of width options each, whatever was
// chosen. walk drives a strategy over it and returns every run's choices.
func walk(s Strategy, n, width int) [][]int {
	var runs [][]int
	for len(runs) < 10_000 {
		plan, ok := s.Next()
		if !ok {
			break
		}
		var trail []Choice
		var taken []int
		for range n {
			i := plan.Chooser.Choose(sim.Point{Kind: sim.PointOrder, Options: make([]sim.Option, width)})
			trail = append(trail, Choice{Kind: sim.PointOrder, Options: width, Taken: i})
			taken = append(taken, i)
		}
		s.Done(trail)
		runs = append(runs, taken)
	}
	return runs
}

// DFS tries every run within its bound once, deepest deviations first,
// and stops: with bound 0 the default run alone.
func TestDFSEnumeratesWithinTheBound(t *testing.T) {
	assert.Equal(t, [][]int{{0, 0}}, walk(NewDFS(0, 0), 2, 3))
	assert.Equal(t, [][]int{{0, 0}, {0, 1}, {1, 0}}, walk(NewDFS(1, 0), 2, 3))
	assert.Equal(t, [][]int{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {2, 0}}, walk(NewDFS(2, 0), 2, 3))
	all := walk(NewDFS(10, 0), 3, 2)
	assert.Len(t, all, 8, "a bound past the tree's costs every run")
}

// A crash is tried only while the budget allows.
func TestDFSKeepsTheCrashBudget(t *testing.T) {
	d := NewDFS(5, 0)
	d.Done([]Choice{{Kind: sim.PointFault, Options: 2, Taken: 0, Kinds: []schedule.Kind{"", schedule.Crash}}})
	_, ok := d.Next()
	assert.False(t, ok, "no crash allowed: nothing left to try")
	d = NewDFS(5, 1)
	d.Done([]Choice{{Kind: sim.PointFault, Options: 2, Taken: 0, Kinds: []schedule.Kind{"", schedule.Crash}}})
	p, ok := d.Next()
	assert.True(t, ok)
	assert.Equal(t, []int{1}, p.Chooser.(*fixed).prefix)
}

// The randomized strategies are deterministic given their seed, and
// differ across seeds.
func TestRandomizedStrategiesAreDeterministic(t *testing.T) {
	for name, mk := range map[string]func(seed uint64) Strategy{
		"random": func(seed uint64) Strategy { return NewRandom(seed, 0) },
		"pct":    func(seed uint64) Strategy { return NewPCT(seed, 3, 0) },
	} {
		a, b, c := walkN(mk(7)), walkN(mk(7)), walkN(mk(8))
		assert.Equal(t, a, b, name)
		assert.NotEqual(t, a, c, name)
	}
}

func walkN(s Strategy) [][]int {
	var runs [][]int
	for range 20 {
		plan, _ := s.Next()
		var trail []Choice
		var taken []int
		for j := range 10 {
			opts := make([]sim.Option, 3)
			for k := range opts {
				opts[k].Node, opts[k].From = int32((j+k)%4), int32(k)
			}
			i := plan.Chooser.Choose(sim.Point{Kind: sim.PointOrder, Options: opts})
			trail = append(trail, Choice{Kind: sim.PointOrder, Options: 3, Taken: i})
			taken = append(taken, i)
		}
		s.Done(trail)
		runs = append(runs, taken)
	}
	return runs
}
