package explore_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/explore"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// The graph of the lease's found schedule: the path's states joined by
// the choices taken, ending in a failing end state; the decision names
// the event it dispatched; the option not taken leads elsewhere.
func TestRecordGraphAroundTheLeaseBug(t *testing.T) {
	reg := patterns.Registry()
	scn, err := runner.Load(filepath.Join("..", "..", "plugins", "zoo", "lease", "scenario.yaml"), reg)
	require.NoError(t, err)
	opts := runner.NewOptions().WithRegistry(reg)
	res, err := explore.Search(t.Context(), explore.Config{Scenario: scn, Runner: opts, Strategy: explore.NewDFS(2, 0), Runs: 200})
	require.NoError(t, err)
	require.NotNil(t, res.Failure)

	g, err := explore.RecordGraph(t.Context(), res.Failure.Scenario, opts.WithSeed(res.Failure.Seed), 4)
	require.NoError(t, err)
	assert.Equal(t, "invalid", g.Verdict)
	require.Len(t, g.Decisions, len(res.Failure.Schedule))
	for i, d := range g.Decisions {
		assert.Equal(t, res.Failure.Schedule[i].String(), d.Decision)
		assert.Positive(t, d.Seq)
	}
	var ends, failing, alt int
	for _, n := range g.Nodes {
		if n.End {
			ends++
		}
		if n.Failing && n.Path {
			failing++
		}
	}
	for _, e := range g.Edges {
		if !e.Path {
			alt++
		}
	}
	assert.Equal(t, 1, failing, "the path ends in one failing state")
	assert.Greater(t, ends, 1, "an option not taken runs to an end of its own")
	assert.Positive(t, alt)

	// The default run's graph has no decisions and passes.
	def := *res.Failure.Scenario
	def.Schedule = nil
	g, err = explore.RecordGraph(t.Context(), &def, opts.WithSeed(res.Failure.Seed), 0)
	require.NoError(t, err)
	assert.Empty(t, g.Decisions)
	assert.Equal(t, "valid", g.Verdict)
}
