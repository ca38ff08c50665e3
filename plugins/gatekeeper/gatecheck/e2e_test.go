package gatecheck_test

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
	if _, err := patterns.Registry().Check("security-unauthorised"); err != nil {
		t.Fatalf("not in the plugins/patterns catalogue: %v", err)
	}
	return scenariotest.Run(t, "../"+file, seed)
}

// Reference: the Gatekeeper pattern holds under attack: nothing
// unauthorised, forged, replayed or tampered is acted on, no password
// crosses the network, and users keep their service.
func TestScenarioHoldsUnderAttack(t *testing.T) {
	digests := map[uint64]string{}
	for seed := uint64(1); seed <= 3; seed++ {
		res := run(t, "scenario.yaml", seed)
		for name, c := range res.Checks {
			require.Equal(t, check.Valid, c.Verdict, "seed %d %s: %s", seed, name, c.Summary)
		}
		adv := res.Checks["security-injected"].Details["adversary"].(map[string]int)
		for _, k := range []string{"eavesdrop", "forge", "replay", "tamper"} {
			assert.Greater(t, adv[k], 0, "seed %d: the adversary used %s", seed, k)
		}
		digests[seed] = res.TraceSHA256
	}
	assert.Equal(t, digests[2], run(t, "scenario.yaml", 2).TraceSHA256, "one seed, one trace")
	assert.NotEqual(t, digests[1], digests[2])
}

// Reference: broken.yaml's back end accepts direct requests: the checkers
// must catch the attacker's operations and name the adversary's action.
func TestBrokenCaught(t *testing.T) {
	res := run(t, "broken.yaml", 1)
	require.False(t, res.Valid)
	u := res.Checks["security-unauthorised"]
	require.Equal(t, check.Invalid, u.Verdict, u.Summary)
	assert.Contains(t, u.Summary, "evil-direct-1 mallory deposit 1000000")
	assert.Contains(t, u.Summary, "sent by evil")
	i := res.Checks["security-injected"]
	require.Equal(t, check.Invalid, i.Verdict, i.Summary)
	assert.Contains(t, i.Summary, "(the adversary's forge)")
	twice := false
	for _, b := range i.Details["acted_on_injected"].([]string) {
		twice = twice || (strings.Contains(b, "twice") && strings.Contains(b, "replay"))
	}
	assert.True(t, twice, "a replayed forward applied twice is named: %v", i.Details["acted_on_injected"])
}

// Reference: the Gatekeeper's limitation: it is a single point of
// failure. With it down for 700 ms nobody is served, though the back end
// is up; security still holds.
func TestLimitShowsTheOutage(t *testing.T) {
	res := run(t, "limit.yaml", 1)
	for _, name := range []string{"security-unauthorised", "security-injected", "security-plaintext"} {
		require.Equal(t, check.Valid, res.Checks[name].Verdict, "%s: %s", name, res.Checks[name].Summary)
	}
	a := res.Checks["security-availability"]
	require.Equal(t, check.Valid, a.Verdict, a.Summary)
	assert.Greater(t, a.Details["longest_outage_ms"], 700.0, a.Summary)
	assert.Greater(t, a.Details["timed_out"], 0, a.Summary)
}

// Reference: DESIGN.md, "The one rule": the compiler and the interpreter,
// one worker or several (an attacker node keeps the run on one), and a
// shared store with names from host calls give one trace.
func TestBothEnginesOneTrace(t *testing.T) {
	reg := patterns.Registry()
	digests := map[string]string{}
	for _, mode := range []struct {
		name        string
		interpreter bool
		workers     int
		shared      bool
	}{{"compiler", false, 1, false}, {"interpreter", true, 1, false}, {"compiler-workers-shared", false, 2, true}} {
		scn, err := runner.Load("../scenario.yaml", reg)
		require.NoError(t, err)
		if mode.shared {
			scn.Limits.SharedStoreNodes, scn.Limits.InitNames = 1, 1
		}
		res, err := runner.Execute(t.Context(), scn, runner.NewOptions().WithRegistry(reg).WithSeed(1).
			WithInterpreter(mode.interpreter).WithWorkers(mode.workers))
		require.NoError(t, err)
		require.True(t, res.Valid, mode.name)
		digests[mode.name] = res.TraceSHA256
	}
	assert.Equal(t, digests["compiler"], digests["interpreter"])
	assert.Equal(t, digests["compiler"], digests["compiler-workers-shared"])
}
