package fault_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
)

func TestAdversaryKindsValidate(t *testing.T) {
	good := []fault.Fault{
		{Kind: fault.Eavesdrop, From: []string{"*"}, To: []string{"n1"}},
		{Kind: fault.Tamper, From: []string{"n0"}, To: []string{"*"}},
		{Kind: fault.Tamper, From: []string{"n0"}, To: []string{"n1"}, Body: `{"amount":1000000}`},
		{Kind: fault.Replay, From: []string{"c0"}, To: []string{"gk"}},
		{Kind: fault.Forge, From: []string{"gk"}, To: []string{"backend"}, Body: `{"type":"op"}`},
		{Kind: fault.Impersonate, Node: "gk", Attacker: "evil"},
		{Kind: fault.Secure},
	}
	for _, f := range good {
		require.NoError(t, f.Validate(), "%v", f)
		back, err := fault.Decode(f.Encode())
		require.NoError(t, err)
		assert.Equal(t, f, back, "a fault survives its trace encoding")
		assert.True(t, f.Kind.Known() && f.Kind.Adversary())
	}
	bad := []struct {
		f    fault.Fault
		want string
	}{
		{fault.Fault{Kind: fault.Forge, From: []string{"*"}, To: []string{"n1"}, Body: "x"}, `forge needs one node in from`},
		{fault.Fault{Kind: fault.Eavesdrop, From: []string{"a", "b"}, To: []string{"n1"}}, "eavesdrop needs one name"},
		{fault.Fault{Kind: fault.Tamper, From: []string{"a"}, To: []string{"b"}, Body: "[1]"}, "tamper: body must be a JSON object"},
		{fault.Fault{Kind: fault.Impersonate, Node: "gk"}, "impersonate needs a node and an attacker"},
		{fault.Fault{Kind: fault.Impersonate, Node: "gk", Attacker: "gk"}, "cannot impersonate itself"},
		{fault.Fault{Kind: fault.Secure, Node: "n1"}, "secure does not take node"},
		{fault.Fault{Kind: fault.Crash, Node: "n1", Body: "x"}, "crash does not take body"},
		{fault.Fault{Kind: fault.Replay, From: []string{"a"}, To: []string{"b"}, Body: "x"}, "replay does not take body"},
	}
	for _, c := range bad {
		assert.ErrorContains(t, c.f.Validate(), c.want, "%+v", c.f)
	}
	assert.NotContains(t, fault.KindNames(), "eavesdrop", "the classic list (and its messages) stays as it was")
	assert.Equal(t, "impersonate gk by evil", fault.Fault{Kind: fault.Impersonate, Node: "gk", Attacker: "evil"}.String())
	assert.Equal(t, []string{"gk", "evil"}, fault.Fault{Kind: fault.Impersonate, Node: "gk", Attacker: "evil"}.Nodes())
}
