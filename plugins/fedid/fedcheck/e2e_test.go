package fedcheck_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/scenariotest"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

func run(t *testing.T, file string, seed uint64) *runner.Result {
	t.Helper()
	if _, err := patterns.Registry().Workload("fedid"); err != nil {
		t.Fatalf("not in the plugins/patterns catalogue: %v", err)
	}
	return scenariotest.Run(t, "../"+file, seed)
}

// Reference: federated identity with authenticated messaging holds under
// attack: forged tokens, replayed transfers and replayed debits are not
// acted on, and no password crosses the network.
func TestScenarioHoldsUnderAttack(t *testing.T) {
	digests := map[uint64]string{}
	for seed := uint64(1); seed <= 3; seed++ {
		res := run(t, "scenario.yaml", seed)
		for name, c := range res.Checks {
			require.Equal(t, check.Valid, c.Verdict, "seed %d %s: %s", seed, name, c.Summary)
		}
		adv := res.Checks["security-injected"].Details["adversary"].(map[string]int)
		assert.Greater(t, adv["forge"], 0, "seed %d", seed)
		assert.Greater(t, adv["replay"], 0, "seed %d", seed)
		digests[seed] = res.TraceSHA256
	}
	assert.Equal(t, digests[3], run(t, "scenario.yaml", 3).TraceSHA256, "one seed, one trace")
	assert.NotEqual(t, digests[1], digests[3])
}

// Reference: broken.yaml has no replay window: a replayed transfer is
// applied twice, and security-injected names it and the replay.
func TestBrokenCaught(t *testing.T) {
	res := run(t, "broken.yaml", 1)
	require.False(t, res.Valid)
	i := res.Checks["security-injected"]
	require.Equal(t, check.Invalid, i.Verdict, i.Summary)
	assert.Regexp(t, `ledger acted on c\d-\d+ twice \(the adversary's replay\)`, i.Summary)
	for _, b := range i.Details["acted_on_injected"].([]string) {
		assert.True(t, strings.Contains(b, "twice"), b)
	}
}

// Reference: the limitation is the provider's availability: with it down,
// tokens expire and users are locked out of a bank that is up.
func TestLimitShowsTheLockout(t *testing.T) {
	res := run(t, "limit.yaml", 1)
	for _, name := range []string{"security-unauthorised", "security-injected", "security-plaintext"} {
		require.Equal(t, check.Valid, res.Checks[name].Verdict, "%s: %s", name, res.Checks[name].Summary)
	}
	a := res.Checks["security-availability"]
	require.Equal(t, check.Valid, a.Verdict, a.Summary)
	assert.Greater(t, a.Details["longest_outage_ms"], 500.0, a.Summary)
}

// Reference: DESIGN.md, "The one rule": the compiler and the interpreter
// give one trace.
func TestBothEnginesOneTrace(t *testing.T) {
	reg := patterns.Registry()
	var digests []string
	for _, interp := range []bool{false, true} {
		scn, err := runner.Load("../scenario.yaml", reg)
		require.NoError(t, err)
		res, err := runner.Execute(t.Context(), scn, runner.NewOptions().WithRegistry(reg).WithSeed(1).WithInterpreter(interp))
		require.NoError(t, err)
		require.True(t, res.Valid, "interpreter %v", interp)
		digests = append(digests, res.TraceSHA256)
	}
	assert.Equal(t, digests[0], digests[1])
}
