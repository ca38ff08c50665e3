package explore

import (
	"fmt"

	"github.com/terrarium-sim/terrarium/runtime/sweep"
)

// A search splits over machines as a sweep does (sweep.Shard, i/n): each
// part makes a deterministic share of the runs and writes a Summary;
// MergeShards joins them. Random, pct and sweep deal out the runs by
// their number in the whole search: part i makes runs i+1, i+1+n, ...
// (each learns PCT's k and the crash rate from its own runs before, so
// a part's run is the unsplit search's run where those agree, as they do
// when the runs are of one length). Dfs deals out subtrees: every part
// makes the default run, and the subtree of the runs whose first
// deviation is option v at point p goes to part (p·7919+v) mod n. Either
// way the first failure of the whole search is the least by Index of the
// parts' first failures.

// shard checks the configured split and hands it to the strategy.
func (s *searcher) shard() error {
	sh := s.cfg.Shard
	if sh == (sweep.Shard{}) {
		return nil
	}
	if sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
		return fmt.Errorf("explore: shard %d/%d: want i/n with 0 <= i < n", sh.Index, sh.Count)
	}
	if s.ix != nil {
		return nil
	}
	if d, ok := s.cfg.Strategy.(*DFS); ok {
		d.shard = sh
		return nil
	}
	return fmt.Errorf("explore: shard %s: this strategy cannot be split (dfs, pct, random and sweep can)", sh)
}

// owned returns the first run from n on that this part makes.
func (s *searcher) owned(n uint64) uint64 {
	sh := s.cfg.Shard
	if s.ix == nil || sh.Count <= 1 {
		return n
	}
	for (n-1)%uint64(sh.Count) != uint64(sh.Index) {
		n++
	}
	return n
}

// owns reports whether this part of a split DFS takes the subtree of the
// runs whose first deviation is option v at point p.
func (d *DFS) owns(p, v int) bool {
	if d.shard.Count <= 1 {
		return true
	}
	return (p*7919+v)%d.shard.Count == d.shard.Index
}
