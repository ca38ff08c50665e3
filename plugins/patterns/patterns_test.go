package patterns

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

func TestAllListsThePatternsByName(t *testing.T) {
	var names []string
	for _, p := range All() {
		assert.True(t, p.Pattern())
		assert.NotEmpty(t, p.Category, p.Name)
		assert.NotEmpty(t, p.Summary, p.Name)
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"cqrs", "fedid", "gatekeeper", "rlbs", "saga", "sharding", "twopc", "valet"}, names, "Maelstrom's workloads are not a pattern")
}

func TestRegistryHoldsEveryPluginsWorkloadsAndChecks(t *testing.T) {
	r := Registry()
	for _, p := range plugins() {
		for name := range p.Workloads {
			_, err := r.Workload(name)
			assert.NoError(t, err, "%s: workload %s", p.Name, name)
		}
		for name := range p.Checks {
			_, err := r.Check(name)
			assert.NoError(t, err, "%s: check %s", p.Name, name)
		}
	}
}

func TestRegisterRefusesANameTakenTwice(t *testing.T) {
	r := runner.NewRegistry()
	p := contract.Plugin{Name: "mine", Checks: map[string]check.Checker{"x-check": check.LinearizableKV}}
	require.NoError(t, register(r, p))
	err := register(r, p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "patterns: mine: ")
}
