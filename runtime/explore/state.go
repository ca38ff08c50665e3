package explore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/terrarium-sim/terrarium/runtime/sweep"
)

// StateFormat is the version of the State file format.
const StateFormat = 1

// State is where a search stopped (at its budget, at an interrupt or at
// a failure), to continue it: Config.Resume makes the search it saves go
// on as though it had never stopped, to the same runs, failure and
// numbers (but wall time). Random, pct and sweep keep the next run's
// number and what they learned; dfs the choices of its next run; bfs its
// queue of prefixes and the states it has seen.
type State struct {
	Format int         `json:"format"`
	Spec   string      `json:"spec"`
	Shard  sweep.Shard `json:"shard"`
	Stats  Stats       `json:"stats"`
	// Digests are the distinct prefixes seen (Stats.Distinct).
	Digests []string `json:"digests"`
	// Next and Learned are an indexed strategy's (random, pct, sweep).
	Next    uint64  `json:"next,omitempty"`
	Learned learned `json:"learned"`
	// Prefix and Done are dfs's: its next run's choices, and whether it
	// has none left.
	Prefix []int `json:"prefix,omitempty"`
	Done   bool  `json:"done,omitempty"`
	// BFS is a breadth-first search's queue and seen states.
	BFS *bfsState `json:"bfs,omitempty"`
	// Resumable is false for a strategy that cannot resume (an
	// embedder's own).
	Resumable bool `json:"resumable"`
}

// state is the searcher's State now.
func (s *searcher) state() *State {
	st := &State{Format: StateFormat, Spec: s.cfg.Spec, Shard: s.cfg.Shard, Stats: s.res.Stats, Resumable: true}
	for d := range s.seen {
		st.Digests = append(st.Digests, d)
	}
	slices.Sort(st.Digests)
	switch strat := s.cfg.Strategy.(type) {
	case indexed:
		st.Next, st.Learned = s.next, strat.learned()
	case *DFS:
		st.Prefix, st.Done = slices.Clone(strat.prefix), strat.done
	case *BFS:
		st.BFS = strat.saved()
	default:
		st.Resumable = false
	}
	return st
}

// resume takes up a saved State.
func (s *searcher) resume(st *State) error {
	switch {
	case st.Format != StateFormat:
		return fmt.Errorf("explore: resume: state format %d, want %d", st.Format, StateFormat)
	case !st.Resumable:
		return errors.New("explore: resume: the saved search's strategy cannot resume")
	case st.Spec != s.cfg.Spec:
		return fmt.Errorf("explore: resume: the state is of the search %q, not %q", st.Spec, s.cfg.Spec)
	case st.Shard != s.cfg.Shard:
		return fmt.Errorf("explore: resume: the state is of shard %q, not %q", st.Shard, s.cfg.Shard)
	}
	switch strat := s.cfg.Strategy.(type) {
	case indexed:
		s.next = max(st.Next, 1)
		strat.setLearned(st.Learned)
	case *DFS:
		strat.prefix, strat.done = slices.Clone(st.Prefix), st.Done
	case *BFS:
		if err := strat.restore(st.BFS); err != nil {
			return err
		}
	default:
		return errors.New("explore: resume: this strategy cannot resume (dfs, bfs, pct, random and sweep can)")
	}
	s.res.Stats = st.Stats
	s.res.Stats.Exhausted = false
	for _, d := range st.Digests {
		s.seen[d] = struct{}{}
	}
	return nil
}

// ReadState reads a State file.
func ReadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("explore: state: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("explore: state %s: %w", path, err)
	}
	return &st, nil
}

// WriteState writes st to path (through a temporary file, so that an
// interrupt never leaves half a state).
func WriteState(path string, st *State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("explore: state: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("explore: state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("explore: state: %w", err)
	}
	return nil
}
