package explore

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// BFS is a breadth-first search of the runs within Bound deviations:
// every run with no deviation, then every run with one, and so on (an
// order choice that skips k events costing k, as in DFS), at most
// crashes crashes. Like DFS it is stateless, a run named by its choice
// indices and a state rebuilt by replaying them. With pruning, each
// choice point's state is hashed (sim.Sim.StateHash: every node's linear
// memory and store, the queued messages and timers) and a run stops
// branching at the first point whose state an earlier run reached: the
// alternatives from there were queued then, with at least as much bound
// left, since runs are taken in order of their deviations. DSLabs' BFS
// (dslabs.search.BFS, with its discovered-states set) and Stateright's
// BfsChecker (src/checker/bfs.rs, check_block and its generated
// fingerprints) prune the same way over states they can compare.
type BFS struct {
	bound, crashes int
	prune          bool
	levels         [][][]int // queued prefixes by their cost
	seen           map[stateKey]struct{}
	cur            []int // the prefix of the run planned last
	level          int   // the level cur heads, until its run is done
	started        bool
	pruned         int
}

// stateKey is a point's state and kind: a fault point and the order
// point after it see one state but offer different choices.
type stateKey struct {
	kind sim.PointKind
	h    [32]byte
}

// NewBFS returns the breadth-first search within bound deviations and at
// most crashes crashes, pruning states already seen when prune is set.
func NewBFS(bound, crashes int, prune bool) *BFS {
	return &BFS{bound: bound, crashes: crashes, prune: prune, levels: make([][][]int, bound+1), seen: map[stateKey]struct{}{}}
}

// hashFrom tells Search to hash the states at the points past the run's
// prefix, the only ones Done looks at.
func (b *BFS) hashFrom() int {
	if !b.prune {
		return -1
	}
	return len(b.cur)
}

// Distinct is how many distinct states (by hash, at choice points) the
// search has seen; 0 without pruning.
func (b *BFS) Distinct() int { return len(b.seen) }

// Pruned is how many runs stopped branching at a state seen before.
func (b *BFS) Pruned() int { return b.pruned }

// Next implements Strategy.
func (b *BFS) Next() (Plan, bool) {
	if !b.started {
		return Plan{Chooser: &fixed{}}, true
	}
	for c, q := range b.levels {
		if len(q) > 0 {
			// The prefix leaves the queue when its run is done, so that a
			// search stopped during the run saves it (state.go).
			b.cur, b.level = q[0], c
			return Plan{Chooser: &fixed{prefix: b.cur}}, true
		}
	}
	return Plan{}, false
}

// Done implements Strategy: it queues the alternatives at the points the
// run reached past its prefix, up to the first state seen before.
func (b *BFS) Done(trail []Choice) {
	if !b.started {
		b.started = true
	} else {
		b.levels[b.level] = b.levels[b.level][1:]
	}
	spent, crashed := budgets(trail)
	for i := len(b.cur); i < len(trail); i++ {
		c := trail[i]
		if b.prune {
			k := stateKey{c.Kind, c.State}
			if _, ok := b.seen[k]; ok {
				b.pruned++
				return
			}
			b.seen[k] = struct{}{}
		}
		for next := 1; next < c.Options; next++ {
			total := spent[i] + cost(c.Kind, next)
			if total > b.bound {
				break // later options cost more still
			}
			if c.Kinds != nil && c.Kinds[next] == schedule.Crash && crashed[i] >= b.crashes {
				continue
			}
			prefix := make([]int, i+1)
			for j := range i {
				prefix[j] = trail[j].Taken
			}
			prefix[i] = next
			b.levels[total] = append(b.levels[total], prefix)
		}
	}
}

// budgets returns, for each point of a trail, the deviations spent and
// the crashes taken before it.
func budgets(trail []Choice) (spent, crashed []int) {
	spent = make([]int, len(trail)+1)
	crashed = make([]int, len(trail)+1)
	for i, c := range trail {
		spent[i+1] = spent[i] + cost(c.Kind, c.Taken)
		crashed[i+1] = crashed[i]
		if c.Kinds != nil && c.Kinds[c.Taken] == schedule.Crash {
			crashed[i+1]++
		}
	}
	return spent, crashed
}

// bfsState is what a breadth-first search saves to resume (State.BFS):
// its queue, and the states it has seen as "kind:hash".
type bfsState struct {
	Started bool      `json:"started"`
	Levels  [][][]int `json:"levels"`
	Seen    []string  `json:"seen,omitempty"`
	Pruned  int       `json:"pruned,omitempty"`
}

// saved returns the search's state.
func (b *BFS) saved() *bfsState {
	st := &bfsState{Started: b.started, Levels: b.levels, Pruned: b.pruned}
	for k := range b.seen {
		st.Seen = append(st.Seen, fmt.Sprintf("%d:%x", k.kind, k.h))
	}
	slices.Sort(st.Seen)
	return st
}

// restore takes up a saved state; it must be of a search with the same
// bound.
func (b *BFS) restore(st *bfsState) error {
	if st == nil || len(st.Levels) != b.bound+1 {
		return errors.New("explore: resume: the state is not of a breadth-first search with this bound")
	}
	seen := make(map[stateKey]struct{}, len(st.Seen))
	for _, s := range st.Seen {
		kind, hash, ok := strings.Cut(s, ":")
		k, err := strconv.Atoi(kind)
		h, herr := hex.DecodeString(hash)
		if !ok || err != nil || herr != nil || len(h) != 32 {
			return fmt.Errorf("explore: resume: bad state %q", s)
		}
		key := stateKey{kind: sim.PointKind(k)}
		copy(key.h[:], h)
		seen[key] = struct{}{}
	}
	b.started, b.levels, b.seen, b.pruned = st.Started, st.Levels, seen, st.Pruned
	return nil
}
