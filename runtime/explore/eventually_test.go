package explore_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/explore"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// afterHeal is testdata/afterheal.yaml (an echo server crashed and
// restarted) with its server doing after the restart what mode says.
func afterHeal(t *testing.T, mode string) *scenario.Scenario {
	t.Helper()
	scn, err := runner.Load("testdata/afterheal.yaml", nil)
	require.NoError(t, err)
	c := *scn
	c.Nodes = slices.Clone(scn.Nodes)
	if mode != "" {
		p, err := json.Marshal(map[string]string{"after_restart": mode})
		require.NoError(t, err)
		c.Nodes[0].Params = p
	}
	return &c
}

// The eventually check tells a server that stops answering after the
// heal (STUCK: liveness) from one that answers wrong (WRONG: safety, the
// echo check's), and passes one that does neither; explore's failure
// carries the kind.
func TestEventuallyTellsStuckFromWrong(t *testing.T) {
	ctx := context.Background()
	fine, err := runner.Execute(ctx, afterHeal(t, ""), runner.NewOptions())
	require.NoError(t, err)
	assert.Equal(t, check.Valid, fine.Verdict, "%v", fine.Checks)

	for _, c := range []struct{ mode, kind, failing string }{
		{"stuck", check.PropertyLiveness, "eventually"},
		{"wrong", check.PropertySafety, "echo"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			scn := afterHeal(t, c.mode)
			res, err := runner.Execute(ctx, scn, runner.NewOptions())
			require.NoError(t, err)
			assert.Equal(t, check.Invalid, res.Verdict)
			for name, r := range res.Checks {
				if name == c.failing {
					assert.Equal(t, check.Invalid, r.Verdict, r.Summary)
					assert.Equal(t, c.kind, check.PropertyOf(r))
				} else {
					assert.Equal(t, check.Valid, r.Verdict, "%s: %s", name, r.Summary)
				}
			}
			s, err := explore.Search(ctx, explore.Config{Scenario: scn, Strategy: explore.NewSweep(1), Runs: 1})
			require.NoError(t, err)
			require.NotNil(t, s.Failure)
			assert.Equal(t, c.kind, s.Failure.Kind)
			assert.Equal(t, []string{c.failing}, keys(s.Failure.Checks))
			assert.True(t, s.Failure.Replayed)
		})
	}
}

// A search that crashes the server and never restarts it leaves a run
// the eventually check does not judge (unknown, not stuck): liveness is
// only asked of a run that ends whole.
func TestEventuallyIgnoresASearchThatLeavesANodeDown(t *testing.T) {
	scn := afterHeal(t, "")
	scn.Faults = nil
	res, err := explore.Search(context.Background(), explore.Config{Scenario: scn, Strategy: explore.NewDFS(1, 1), Runs: 30, Faults: true})
	require.NoError(t, err)
	assert.Nil(t, res.Failure)
	assert.Equal(t, 30, res.Stats.Runs)
	assert.Positive(t, res.Stats.Points.Fault)
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
