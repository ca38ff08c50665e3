package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

const adversaryBase = `duration: 1s
modules: {m: {wasm: m.wasm}, a: {wasm: a.wasm, roles: [attacker]}}
nodes: [{name: gk, module: m}, {name: evil, module: a, role: attacker}, {name: backend, module: m}]
network: {latency: 1ms}
`

func TestAdversaryFaultsParseAndEncode(t *testing.T) {
	s, err := scenario.Parse("s.yaml", []byte(adversaryBase+`limits: {attack_budget: 50}
faults:
  - {at: 0s, action: eavesdrop, from: gk, to: backend}
  - {at: 1ms, action: tamper, from: "*", to: backend, body: '{"amount": 9}'}
  - {at: 2ms, action: replay, from: gk, to: backend}
  - {at: 3ms, action: forge, from: gk, to: backend, body: '{"type":"op"}'}
  - {at: 4ms, action: impersonate, node: gk, attacker: evil}
  - {at: 5ms, action: secure}
`))
	require.NoError(t, err)
	require.Len(t, s.Faults, 6)
	assert.Equal(t, fault.Fault{Kind: fault.Tamper, From: []string{"*"}, To: []string{"backend"}, Body: `{"amount": 9}`}, s.Faults[1].Fault)
	assert.Equal(t, fault.Fault{Kind: fault.Impersonate, Node: "gk", Attacker: "evil"}, s.Faults[4].Fault)
	assert.Equal(t, int64(50), s.Limits.AttackBudget)
	b, err := scenario.Encode(s, "")
	require.NoError(t, err)
	back, err := scenario.Parse("s.yaml", b)
	require.NoError(t, err)
	require.Len(t, back.Faults, len(s.Faults))
	for i := range s.Faults {
		assert.Equal(t, s.Faults[i].Fault, back.Faults[i].Fault, "encode writes what parse reads")
	}
}

func TestAdversaryFaultErrors(t *testing.T) {
	cases := map[string]string{
		`{at: 0s, action: forge, from: "*", to: backend, body: x}`:     `faults[0].action: forge needs one node in from`,
		`{at: 0s, action: forge, from: gk, to: backend}`:               `faults[0].body: missing required field`,
		`{at: 0s, action: impersonate, node: gk, attacker: nobody}`:    `nobody`,
		`{at: 0s, action: replay, from: gk, to: backend, by: 1s}`:      `faults[0].by: does not apply to action "replay" (it takes: from, to)`,
		`{at: 0s, action: tamper, from: gk, to: backend, body: "[1]"}`: `tamper: body must be a JSON object`,
	}
	for f, want := range cases {
		_, err := scenario.Parse("s.yaml", []byte(adversaryBase+"faults:\n  - "+f+"\n"))
		assert.ErrorContains(t, err, want, f)
	}
}

func TestAdversaryFaultsNameClients(t *testing.T) {
	work := "workload: {type: echo, clients: 2}\n"
	s, err := scenario.Parse("s.yaml", []byte(adversaryBase+work+"faults:\n  - {at: 0s, action: replay, from: c1, to: gk}\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"c1"}, s.Faults[0].From)
	_, err = scenario.Parse("s.yaml", []byte(adversaryBase+work+"faults:\n  - {at: 0s, action: replay, from: c2, to: gk}\n"))
	assert.ErrorContains(t, err, `unknown node or client "c2" (nodes: gk, evil, backend; clients: c0 to c1)`)
	_, err = scenario.Parse("s.yaml", []byte(adversaryBase+work+"faults:\n  - {at: 0s, action: crash, node: c1}\n"))
	assert.ErrorContains(t, err, `unknown node "c1"`, "the classic faults still name nodes only")
}
