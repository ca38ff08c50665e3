package runner_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// Reference: jepsen.nemesis.combined/partition-package under gen/stagger,
// as Maelstrom's --nemesis partition runs it: the first partition at the
// start, then heals and partitions alternating, each step less than
// 2×interval after the previous one and before the time limit, and one
// final heal at the limit.
func TestJepsenScheduleAlternatesAndHealsAtTheEnd(t *testing.T) {
	scn := load(t, broadcastScenario, nil)
	scn.Nemeses = []scenario.Nemesis{{Kinds: []string{fault.NemesisIsolate, fault.NemesisMinorityThird, fault.NemesisPartitionHalves, fault.NemesisMajoritiesRing},
		Schedule: fault.ScheduleJepsen, Every: 300 * time.Millisecond}}
	res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithSeed(5))
	require.NoError(t, err)
	require.NotEmpty(t, res.Injected)
	assert.Equal(t, time.Duration(0), res.Injected[0].At, "the first fault comes at once (gen/stagger)")
	// group the faults by instant: a majorities-ring is several one-way cuts
	type step struct {
		at    time.Duration
		kinds []fault.Kind
	}
	var steps []step
	for _, f := range res.Injected {
		if len(steps) == 0 || steps[len(steps)-1].at != f.At {
			steps = append(steps, step{at: f.At})
		}
		steps[len(steps)-1].kinds = append(steps[len(steps)-1].kinds, f.Kind)
	}
	last := steps[len(steps)-1]
	assert.Equal(t, scn.Duration, last.at, "the final heal comes at the time limit")
	assert.Equal(t, []fault.Kind{fault.Repair}, last.kinds)
	strikes := 0
	for i, s := range steps[:len(steps)-1] {
		assert.Less(t, s.at, scn.Duration)
		if i > 0 {
			assert.Less(t, s.at-steps[i-1].at, 600*time.Millisecond, "a gap of 2×every or more")
		}
		if i%2 == 1 {
			assert.Equal(t, []fault.Kind{fault.Repair}, s.kinds, "step %d heals", i)
			continue
		}
		strikes++
		for _, k := range s.kinds {
			assert.Contains(t, []fault.Kind{fault.Partition, fault.PartitionOneWay}, k, "step %d partitions", i)
		}
	}
	assert.Greater(t, strikes, 3)
}

// Reference: jepsen.nemesis.combined/db-package (Terrarium's kill and
// pause; Maelstrom's own nemesis takes only partition): kills and pauses
// hit random node specs, start and resume bring back every node, and the
// final generator heals everything at the limit.
func TestJepsenScheduleKillsAndPausesAndHealsAll(t *testing.T) {
	scn := load(t, broadcastScenario, nil)
	scn.Nemeses = []scenario.Nemesis{{Kinds: []string{fault.NemesisCrash, fault.NemesisPause}, Schedule: fault.ScheduleJepsen, Every: 200 * time.Millisecond}}
	res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithSeed(2))
	require.NoError(t, err)
	down := map[string]int{}
	paused := map[string]int{}
	kinds := map[fault.Kind]int{}
	for _, f := range res.Injected {
		kinds[f.Kind]++
		switch f.Kind {
		case fault.Crash:
			down[f.Node]++
		case fault.Restart:
			down[f.Node]--
		case fault.Pause:
			paused[f.Node]++
		case fault.Resume:
			paused[f.Node]--
		}
		assert.LessOrEqual(t, f.At, scn.Duration)
		assert.LessOrEqual(t, down[f.Node], 1, "%s killed twice", f.Node)
		assert.LessOrEqual(t, paused[f.Node], 1, "%s paused twice", f.Node)
	}
	for _, k := range []fault.Kind{fault.Crash, fault.Restart, fault.Pause, fault.Resume} {
		assert.Positive(t, kinds[k], "no %s", k)
	}
	for n := range down {
		assert.Zero(t, down[n], "%s still down at the end", n)
		assert.Zero(t, paused[n], "%s still paused at the end", n)
	}
}
