package runner_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/cputime"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// BenchmarkBroadcast3d runs the Gossip Glomers 3d shape (testdata/
// broadcast3d.yaml) and reports virtual seconds per wall second
// (x-realtime; x-realtime-cpu per CPU second), events per second and messages per client operation.
func BenchmarkBroadcast3d(b *testing.B) {
	scn, err := runner.Load("testdata/broadcast3d.yaml", nil)
	require.NoError(b, err)
	mods := runner.NewModules()
	opts := runner.NewOptions().WithModules(mods)
	_, err = runner.Execute(context.Background(), scn, opts) // build and warm up
	require.NoError(b, err)
	b.ResetTimer()
	cpu0 := cputime.Self()
	var virtual, events, sent, ops float64
	for range b.N {
		res, err := runner.Execute(context.Background(), scn, opts)
		require.NoError(b, err)
		require.True(b, res.Valid, "%+v", res.Checks)
		virtual += res.Stats.Virtual.Seconds()
		events += float64(res.Stats.Events)
		sent += float64(res.Stats.Sent)
		if d, ok := res.Checks["broadcast-set-full"].Details["acknowledged"].(int); ok {
			ops += float64(d)
		}
	}
	b.ReportMetric(virtual/b.Elapsed().Seconds(), "x-realtime")
	// Virtual seconds per second of the process's CPU: steadier than the
	// wall figure on a machine other work shares (0 where not measured).
	if cpu := (cputime.Self() - cpu0).Seconds(); cpu > 0 {
		b.ReportMetric(virtual/cpu, "x-realtime-cpu")
	}
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	if ops > 0 {
		b.ReportMetric(sent/ops, "msgs/op")
	}
}

// BenchmarkEchoMemory reports the heap a 3-node echo run holds after 120 s
// of virtual time, keeping only the checkers' events (a batch run) or every
// event (a driven run).
func BenchmarkEchoMemory(b *testing.B) {
	for _, all := range []bool{false, true} {
		b.Run(fmt.Sprintf("all-events=%v", all), func(b *testing.B) {
			scn, err := runner.Load("../../plugins/echo/scenario.yaml", nil)
			require.NoError(b, err)
			scn.Duration = 120 * time.Second
			opts := runner.NewOptions().WithModules(runner.NewModules()).WithAllEvents(all)
			var held float64
			for range b.N {
				r, err := runner.Prepare(context.Background(), scn, opts)
				require.NoError(b, err)
				require.NoError(b, r.AdvanceTo(r.End()))
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				held += float64(ms.HeapInuse) / (1 << 20)
				require.NoError(b, r.Close())
			}
			b.ReportMetric(held/float64(b.N), "MiB-held")
		})
	}
}
