package report_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/report"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// The live report and the run folder's report are one piece of code: fed
// the same events, they give the same statistics and node states.
func TestLiveReportAgreesWithTheRunFolder(t *testing.T) {
	scn, err := runner.Load(filepath.Join("..", "..", "plugins", "broadcast", "scenario.yaml"), nil)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "run")
	r, err := runner.Prepare(context.Background(), scn, runner.NewOptions().WithOutDir(dir))
	require.NoError(t, err)
	defer r.Close()
	var clients []string
	for i := range scn.Workload.Clients {
		clients = append(clients, "c"+string(rune('0'+i)))
	}
	live := report.NewLive(scn.NodeNames(), clients)
	var addErr error
	r.Observe(func(e trace.Event) {
		if err := live.Add(e); err != nil && addErr == nil {
			addErr = err
		}
	})
	require.NoError(t, r.AdvanceTo(time.Second))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Partition, Groups: [][]string{{"n0"}, {"n1", "n2", "n3", "n4"}}}))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Crash, Node: "n3"}))
	require.NoError(t, r.AdvanceTo(2*time.Second))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Repair}))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Restart, Node: "n3"}))
	_, err = r.Finish()
	require.NoError(t, err)
	require.NoError(t, addErr)

	var st report.Stats
	readJSON(t, filepath.Join(dir, "stats.json"), &st)
	assert.Equal(t, st, live.Stats())
	require.NotZero(t, st.Total.Sent)

	var tl report.Timeline
	readJSON(t, filepath.Join(dir, "timeline.json"), &tl)
	got := live.Timeline()
	require.Len(t, got.Nodes, len(tl.Nodes))
	n3 := got.Nodes[3]
	var states []string
	for _, iv := range n3.Intervals {
		states = append(states, iv.State)
	}
	assert.Contains(t, states, "crashed", "the live timeline shows the crash")
	for i := range tl.Nodes {
		assert.Equal(t, len(tl.Nodes[i].Intervals), len(got.Nodes[i].Intervals), tl.Nodes[i].Node)
	}
}
