package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// BenchmarkBranchSnapshots measures what a search pays to branch a run
// at its 200th event and explore the next 500 ms of virtual time:
// "replay" builds a fresh simulation and replays the 200 events first, as
// explore's strategies do; "snapshot" builds one and restores the
// snapshot taken at the branch point. The timer runs from the fresh
// simulation (built, started and booted, the same for both) to the end
// of the branch: states/s counts the events past the branch point per
// second of that; prefix/op is the events a snapshot saves replaying.
//
// The prefix is 50, 200 or 800 events: where a snapshot starts to pay
// for its copy (the crossover) is the prefix whose replay costs what a
// restore does.
func BenchmarkBranchSnapshots(b *testing.B) {
	for _, g := range []struct {
		name  string
		build snapRun
		at    int
	}{{"wat-50", watRun, 50}, {"wat-200", watRun, 200}, {"wat-800", watRun, 800}, {"go-50", goRun, 50}, {"go-200", goRun, 200}, {"go-800", goRun, 800}} {
		at := g.at
		pool := sim.NewEnginePool()
		b.Cleanup(func() { _ = pool.Close() })
		base := sim.NewConfig().WithEngine(sim.Engine{CacheDir: b.TempDir()}).WithEnginePool(pool)
		s := g.build(b, base)
		for range at {
			_, err := s.Step()
			require.NoError(b, err)
		}
		branch := s.Steps()
		sn, err := s.Snapshot()
		require.NoError(b, err)
		stop := s.Now() + 500*time.Millisecond
		require.NoError(b, s.RunUntil(stop))
		suffix := s.Steps() - branch
		for _, mode := range []string{"replay", "snapshot"} {
			b.Run(g.name+"/"+mode, func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					f := g.build(b, base)
					b.StartTimer()
					if mode == "replay" {
						for f.Steps() < branch {
							_, err := f.Step()
							require.NoError(b, err)
						}
					} else {
						require.NoError(b, f.Restore(sn))
					}
					require.NoError(b, f.RunUntil(stop))
					b.StopTimer()
					require.NoError(b, f.Close())
					b.StartTimer()
				}
				b.ReportMetric(float64(suffix)*float64(b.N)/b.Elapsed().Seconds(), "states/s")
				b.ReportMetric(float64(branch), "prefix/op")
			})
		}
	}
}
