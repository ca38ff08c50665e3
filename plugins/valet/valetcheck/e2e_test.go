package valetcheck_test

import (
	"encoding/json"
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
	if _, err := patterns.Registry().Check("valet-leaked-keys"); err != nil {
		t.Fatalf("not in the plugins/patterns catalogue: %v", err)
	}
	return scenariotest.Run(t, "../"+file, seed)
}

// Reference: the Valet Key holds: writes outside a key's scope, with an
// expired stolen key, or rewritten by the network are refused.
func TestScenarioHolds(t *testing.T) {
	for seed := uint64(1); seed <= 2; seed++ {
		res := run(t, "scenario.yaml", seed)
		for name, c := range res.Checks {
			require.Equal(t, check.Valid, c.Verdict, "seed %d %s: %s", seed, name, c.Summary)
		}
		assert.Equal(t, 0, res.Checks["valet-leaked-keys"].Details["leaked_key_writes"], "seed %d", seed)
	}
}

// Reference: broken.yaml does not check scope: c3 writes under c0's
// prefix, and the network's rewrites land, and both checkers say so.
func TestBrokenCaught(t *testing.T) {
	res := run(t, "broken.yaml", 1)
	require.False(t, res.Valid)
	u := res.Checks["security-unauthorised"]
	require.Equal(t, check.Invalid, u.Verdict, u.Summary)
	assert.Contains(t, u.Summary, "is outside user c3's scope users/c3/")
	i := res.Checks["security-injected"]
	require.Equal(t, check.Invalid, i.Verdict, i.Summary)
	assert.Contains(t, i.Summary, "(the adversary's tamper)")
}

// Reference: the limitation: a leaked key works until it expires, by the
// storage node's clock; with that clock lagging, stolen keys work after
// they expired, and the checker measures it.
func TestLimitShowsLeakedKeysWorking(t *testing.T) {
	res := run(t, "limit.yaml", 1)
	require.True(t, res.Valid)
	l := res.Checks["valet-leaked-keys"]
	assert.Greater(t, l.Details["leaked_key_writes"], 0, l.Summary)
	assert.Greater(t, l.Details["max_after_expiry_ms"], 0.0, l.Summary)
}

// Reference: the Valet Key's second realistic mistake: storage judges
// expiry by the time the put claims (the sender's clock), so the
// attacker's backdated puts with stolen, expired keys land.
// security-unauthorised names the write c0 never asked for, and
// valet-leaked-keys says how long after expiry.
func TestBrokenClockCaught(t *testing.T) {
	res := run(t, "broken-clock.yaml", 1)
	require.False(t, res.Valid)
	u := res.Checks["security-unauthorised"]
	require.Equal(t, check.Invalid, u.Verdict, u.Summary)
	assert.Regexp(t, `storage acted on evil-\d+ c0 put users/c0/evil=666 .*: no client asked for it`, u.Summary)
	l := res.Checks["valet-leaked-keys"]
	assert.Greater(t, l.Details["leaked_key_writes"], 0, l.Summary)
	assert.Greater(t, l.Details["max_after_expiry_ms"], 200.0, "accepted long after expiry: %s", l.Summary)
	for _, name := range []string{"security-injected", "security-plaintext", "security-availability"} {
		assert.Equal(t, check.Valid, res.Checks[name].Verdict, "%s: %s", name, res.Checks[name].Summary)
	}
}

// Reference: the backdating attacker alone gets nowhere: storage that
// judges expiry by its own clock refuses every backdated put.
func TestBackdatingAgainstOwnClockRefused(t *testing.T) {
	reg := patterns.Registry()
	scn, err := runner.Load("../broken-clock.yaml", reg)
	require.NoError(t, err)
	own := json.RawMessage(`{"keys":"keys"}`) // expiry by storage's own clock
	for _, g := range scn.Groups {
		if g.Name == "storage" {
			g.Params = own
		}
	}
	for _, n := range scn.Nodes {
		if n.Name == "storage" {
			n.Params = own
		}
	}
	res, err := runner.Execute(t.Context(), scn, runner.NewOptions().WithRegistry(reg).WithSeed(1))
	require.NoError(t, err)
	for name, c := range res.Checks {
		require.Equal(t, check.Valid, c.Verdict, "%s: %s", name, c.Summary)
	}
	assert.Equal(t, 0, res.Checks["valet-leaked-keys"].Details["leaked_key_writes"])
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
