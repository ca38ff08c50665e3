package zoo_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/explore"
)

// A depth-first search that branches its runs from snapshots makes the
// search that replays each run from the start: the same runs, numbers
// and first failure, on Go guests whose checks keep per-step predicates.
func TestSnapshotsMakeTheSameSearch(t *testing.T) {
	for _, c := range []struct {
		path   string
		bound  int
		faults bool
	}{{"lease/scenario.yaml", 3, false}, {"elect/scenario.yaml", 3, true}, {"elect/scenario.yaml", 2, false}} {
		t.Run(c.path, func(t *testing.T) {
			replay := searchCfg(t, config(t, c.path, explore.NewDFS(c.bound, 1), 60, c.faults, nil))
			snap := searchCfg(t, config(t, c.path, explore.NewDFS(c.bound, 1), 60, c.faults, func(c *explore.Config) { c.Snapshots, c.SnapshotEvery = true, 3 }))
			t.Logf("%s: %+v", c.path, snap.Stats)
			assert.Positive(t, snap.Stats.Branched, "some runs branched from a snapshot")
			assert.Equal(t, snap.Stats.Runs, snap.Stats.Branched+snap.Stats.Replayed)
			s := snap.Stats
			s.Branched, s.Replayed, s.Refused, s.Refusal = 0, 0, 0, ""
			snap.Stats = s
			sameSearch(t, replay, snap)
			if replay.Failure != nil {
				assert.Equal(t, replay.Failure.Scenario, snap.Failure.Scenario)
				assert.True(t, snap.Failure.Replayed)
			}
		})
	}
}
