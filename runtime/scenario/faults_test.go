package scenario_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// three is a valid scenario with nodes n0..n2 on lines 1-3.
const three = "duration: 5s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, count: 3, module: echo}]\n"

func TestParseFaultsAndNetwork(t *testing.T) {
	src := three + `network:
  latency: {dist: normal, mean: 5ms, stddev: 2ms, min: 1ms}
  duplicate: 0.1
  reorder: 0.2
  links:
    - {from: n0, to: "*", latency: {dist: exponential, mean: 3ms}, duplicate: 0.5}
disk: {lose_unsynced: true}
faults:
  - {at: 2s, action: repair}
  - {at: 1s, action: partition, groups: [[n0], [n1, n2]]}
  - {at: 1s, action: partition_oneway, from: [n0], to: [n1]}
  - {at: 3s, action: crash, node: n1}
  - {at: 3s, action: hold, from: n0, to: "*"}
  - {at: 4s, action: skew, node: n2, by: -250ms}
nemesis:
  - {kinds: [kill, pause], every: 500ms, heal: 200ms, start: 1s, stop: 4s, targets: [n1, n2]}
  - {kinds: [partition-halves], every: 1s}
  - {kinds: [majorities-ring, minority-third], schedule: jepsen, every: 2s}
`
	s, err := scenario.Parse("s.yaml", []byte(src))
	require.NoError(t, err)
	ms := time.Millisecond
	assert.Equal(t, scenario.Latency{Dist: "normal", Mean: 5 * ms, Stddev: 2 * ms, Min: ms}, s.Network.Latency)
	assert.Equal(t, 0.1, s.Network.Duplicate)
	assert.Equal(t, 0.2, s.Network.Reorder)
	set := s.Network.Settings("n0", "n1")
	assert.Equal(t, scenario.Latency{Dist: "exponential", Mean: 3 * ms}, set.Latency)
	assert.Equal(t, 0.5, set.Duplicate)
	assert.Equal(t, 0.2, set.Reorder)
	assert.Equal(t, 0.1, s.Network.Settings("n1", "n0").Duplicate)
	assert.True(t, s.LoseUnsynced)

	require.Len(t, s.Faults, 6)
	var actions []string
	for _, f := range s.Faults {
		actions = append(actions, f.At.String()+" "+string(f.Kind))
	}
	assert.Equal(t, []string{"1s partition", "1s partition_oneway", "2s repair", "3s crash", "3s hold", "4s skew"}, actions, "sorted by time, stable")
	assert.Equal(t, [][]string{{"n0"}, {"n1", "n2"}}, s.Faults[0].Groups)
	assert.Equal(t, []string{"n0"}, s.Faults[1].From)
	assert.Equal(t, []string{"n1"}, s.Faults[1].To)
	assert.Equal(t, "n1", s.Faults[3].Node)
	assert.Equal(t, []string{"*"}, s.Faults[4].To)
	assert.Equal(t, -250*ms, s.Faults[5].By)

	require.Len(t, s.Nemeses, 3)
	assert.Equal(t, scenario.Nemesis{Kinds: []string{"majorities-ring", "minority-third"}, Schedule: "jepsen", Every: 2 * time.Second, Line: 21}, s.Nemeses[2])
	assert.Equal(t, scenario.Nemesis{Kinds: []string{fault.NemesisCrash, fault.NemesisPause}, Every: 500 * ms, Heal: 200 * ms, Start: time.Second, Stop: 4 * time.Second, Targets: []string{"n1", "n2"}, Line: 19}, s.Nemeses[0])
	assert.Equal(t, 500*ms, s.Nemeses[1].Heal, "heal defaults to half the interval")
}

// A nemesis kind that is a node fault is spelled as the fault kind; the
// spelling of Jepsen and Maelstrom (kill) is read as the same kind.
func TestNemesisKindsAreFaultKinds(t *testing.T) {
	assert.Equal(t, string(fault.Crash), fault.NemesisCrash)
	assert.Equal(t, string(fault.Pause), fault.NemesisPause)
	for _, spelling := range []string{"kill", "crash"} {
		s, err := scenario.Parse("s.yaml", []byte(three+"nemesis: [{kinds: ["+spelling+", pause], every: 1s}]\n"))
		require.NoError(t, err, spelling)
		assert.Equal(t, []string{fault.NemesisCrash, fault.NemesisPause}, s.Nemeses[0].Kinds, spelling)
	}
	_, err := scenario.Parse("s.yaml", []byte(three+"nemesis: [{kinds: [meteor], every: 1s}]\n"))
	assert.EqualError(t, err, `s.yaml:4:20: nemesis[0].kinds[0]: unknown nemesis kind "meteor" (known: partition-halves, isolate, bridge, kill, pause, minority-third, majorities-ring, eavesdrop, tamper, replay, forge)`,
		"the message lists the kinds as users write them")
}

// workload.start delays the clients; terrarium test sets it to the
// duration for Maelstrom's --rate 0. It round-trips through Encode.
func TestWorkloadStart(t *testing.T) {
	s, err := scenario.Parse("s.yaml", []byte(three+"workload: {type: echo, start: 5s}\n"))
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, s.Workload.Start)
	b, err := scenario.Encode(s, ".")
	require.NoError(t, err)
	assert.Contains(t, string(b), "start: 5s")
}
