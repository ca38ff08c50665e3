package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/cputime"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// BenchmarkWorkers runs the Gossip Glomers 3d shape (testdata/
// broadcast3d.yaml, as BenchmarkBroadcast3d does) with one and two
// workers, and reports virtual seconds per wall second (x-realtime), the
// share of events that ran on workers, and the cores the process kept busy
// (CPU time over wall time: well under the workers when other work shares
// the machine). Both must give the same digest.
func BenchmarkWorkers(b *testing.B) {
	scn, err := runner.Load("testdata/broadcast3d.yaml", nil)
	require.NoError(b, err)
	mods := runner.NewModules()
	base := runner.NewOptions().WithModules(mods).WithAllEvents(false)
	warm := *scn // a short run builds the module and warms the caches
	warm.Duration = time.Second
	warm.Workload.Params = json.RawMessage(`{"settle": "100ms"}`)
	_, err = runner.Execute(context.Background(), &warm, base)
	require.NoError(b, err)
	digests := map[int]string{}
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			opts := base.WithWorkers(w)
			var virtual float64
			var par sim.Parallelism
			cpu0 := cputime.Self()
			for range b.N {
				r, err := runner.Prepare(context.Background(), scn, opts)
				require.NoError(b, err)
				res, err := r.Finish()
				require.NoError(b, err)
				require.True(b, res.Valid, "%+v", res.Checks)
				digests[w] = res.TraceSHA256
				if d, ok := digests[1]; ok {
					require.Equal(b, d, res.TraceSHA256, "%d workers changed the run", w)
				}
				virtual += res.Stats.Virtual.Seconds()
				p := r.Parallelism()
				par.ParallelEvents += p.ParallelEvents
				par.SerialEvents += p.SerialEvents
				par.Windows += p.Windows
				require.NoError(b, r.Close())
			}
			b.ReportMetric(virtual/b.Elapsed().Seconds(), "x-realtime")
			if cpu := cputime.Self() - cpu0; cpu > 0 {
				b.ReportMetric(cpu.Seconds()/b.Elapsed().Seconds(), "cores")
			}
			if all := par.ParallelEvents + par.SerialEvents; all > 0 {
				b.ReportMetric(100*float64(par.ParallelEvents)/float64(all), "%parallel")
				b.ReportMetric(float64(par.ParallelEvents)/float64(max(par.Windows, 1)), "events/window")
			}
		})
	}
}
