package explore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/explore"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// BenchmarkSearchSnapshots measures a depth-first search (bound 2, 120
// runs) of a WAT and a Go scenario with no workload (tickers whose timers
// fire at one instant), short and long, its runs made by replay from the start
// ("replay"), branched from snapshots where the measured costs say they
// pay ("auto", the default), and from a snapshot every 16 events
// whatever they cost ("every16"). states/s is the events of the runs
// (the same in every mode) per second of the search; branched/op how
// many runs started from a snapshot.
func BenchmarkSearchSnapshots(b *testing.B) {
	const runs = 120
	gots, err := runner.Load("testdata/gotickers.yaml", nil)
	require.NoError(b, err)
	long := *gots
	long.Duration = 20 * time.Second
	for _, g := range []struct {
		name string
		scn  *scenario.Scenario
	}{{"wat-60ms", tickersFor(b, 60*time.Millisecond)}, {"wat-1s", tickersFor(b, time.Second)}, {"go-2s", gots}, {"go-20s", &long}} {
		opts := runner.NewOptions().WithModules(runner.NewModules())
		for _, mode := range []string{"replay", "auto", "every16"} {
			b.Run(g.name+"/"+mode, func(b *testing.B) {
				var states uint64
				var branched int
				for range b.N {
					cfg := explore.Config{Scenario: g.scn, Runner: opts, Strategy: explore.NewDFS(2, 0), Runs: runs,
						Snapshots: mode != "replay"}
					if mode == "every16" {
						cfg.SnapshotEvery = 16
					}
					res, err := explore.Search(context.Background(), cfg)
					require.NoError(b, err)
					states += res.Stats.States
					branched += res.Stats.Branched
				}
				b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
				b.ReportMetric(float64(branched)/float64(b.N), "branched/op")
				b.ReportMetric(float64(states)/float64(b.N)/runs, "events/run")
			})
		}
	}
}
