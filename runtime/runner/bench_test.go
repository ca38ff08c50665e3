package runner_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// BenchmarkBroadcast3d runs the Gossip Glomers 3d shape (testdata/
// broadcast3d.yaml) and reports virtual seconds per wall second
// (x-realtime), events per second and messages per client operation.
func BenchmarkBroadcast3d(b *testing.B) {
	scn, err := runner.Load("testdata/broadcast3d.yaml", nil)
	require.NoError(b, err)
	mods := runner.NewModules()
	opts := runner.NewOptions().WithModules(mods)
	_, err = runner.Execute(context.Background(), scn, opts) // build and warm up
	require.NoError(b, err)
	b.ResetTimer()
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
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	if ops > 0 {
		b.ReportMetric(sent/ops, "msgs/op")
	}
}
