package shrink_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/shrink"
)

func TestShrinkFindsTheFaultThatMatters(t *testing.T) {
	scn, err := runner.Load("testdata/broken_schedule.yaml", nil)
	require.NoError(t, err)
	require.Len(t, scn.Faults, 9)
	res, err := shrink.Shrink(context.Background(), scn, shrink.Options{Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{"broadcast-set-full"}, res.Failing)
	require.Len(t, res.Minimal.Faults, 1, "steps: %v", res.Steps)
	f := res.Minimal.Faults[0]
	assert.Equal(t, fault.Partition, f.Kind)
	assert.Equal(t, [][]string{{"n0"}, {"n1", "n2", "n3"}}, f.Groups)
	assert.Less(t, res.Minimal.Duration, scn.Duration)
	assert.Less(t, res.Minimal.Workload.Clients, scn.Workload.Clients)
	assert.Less(t, res.Runs, 60)

	// The minimal scenario, written and loaded back, still fails.
	dir := t.TempDir()
	b, err := scenario.Encode(res.Minimal, dir)
	require.NoError(t, err)
	path := filepath.Join(dir, "min.yaml")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	again, err := runner.Load(path, nil)
	require.NoError(t, err)
	r, err := runner.Execute(context.Background(), again, runner.NewOptions().WithSeed(1))
	require.NoError(t, err)
	assert.False(t, r.Valid)
	assert.Equal(t, res.Last.TraceSHA256, r.TraceSHA256, "the written scenario is the one that was run")
}

func TestShrinkReplacesNemesesAndDropsNeedlessFaults(t *testing.T) {
	scn, err := runner.Load("../../plugins/broadcast/broken.yaml", nil)
	require.NoError(t, err)
	res, err := shrink.Shrink(context.Background(), scn, shrink.Options{Seed: 1, MaxRuns: 40})
	require.NoError(t, err)
	assert.Empty(t, res.Minimal.Nemeses)
	assert.Less(t, len(res.Minimal.Faults), len(res.Last.Injected)+len(scn.Faults)+1)
	assert.False(t, res.Last.Valid)
}

func TestShrinkRefusesAPassingRun(t *testing.T) {
	scn, err := runner.Load("../../plugins/echo/scenario.yaml", nil)
	require.NoError(t, err)
	_, err = shrink.Shrink(context.Background(), scn, shrink.Options{Seed: 1})
	assert.ErrorIs(t, err, shrink.ErrPasses)
}

func TestEncodeRoundTrips(t *testing.T) {
	scn, err := runner.Load("../../plugins/broadcast/faults.yaml", nil)
	require.NoError(t, err)
	dir := t.TempDir()
	b, err := scenario.Encode(scn, dir)
	require.NoError(t, err)
	path := filepath.Join(dir, "faults.yaml")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	back, err := runner.Load(path, nil)
	require.NoError(t, err)
	assert.Equal(t, scn.Duration, back.Duration)
	assert.Equal(t, scn.NodeNames(), back.NodeNames())
	assert.Equal(t, scn.Network.Latency, back.Network.Latency)
	assert.Equal(t, scn.Network.Duplicate, back.Network.Duplicate)
	assert.Equal(t, scn.LoseUnsynced, back.LoseUnsynced)
	assert.Equal(t, scn.Workload.Params, back.Workload.Params)
	assert.Equal(t, string(scn.Nodes[0].Params), string(back.Nodes[0].Params))
	for i := range scn.Faults {
		scn.Faults[i].Line, back.Faults[i].Line = 0, 0
	}
	assert.Equal(t, scn.Faults, back.Faults)
	for i := range scn.Nemeses {
		scn.Nemeses[i].Line, back.Nemeses[i].Line = 0, 0
	}
	assert.Equal(t, scn.Nemeses, back.Nemeses)
	assert.Equal(t, scn.Modules[0].Go, back.Modules[0].Go)
}
