package tour_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/plugins/tour"
	"github.com/terrarium-sim/terrarium/runtime/fault"
)

// TestEveryPatternHasATour loads each pattern's tour.yaml against its
// scenario files: it parses, names only files, nodes and checks the
// pattern has, walks every scenario file, and has the shape (the
// happy path first, a limitation beside its baseline, the broken variant
// with its violation pinned).
func TestEveryPatternHasATour(t *testing.T) {
	for _, p := range patterns.All() {
		t.Run(p.Name, func(t *testing.T) {
			dir := filepath.Join("..", p.Name)
			tr, err := tour.Load(dir)
			require.NoError(t, err)
			scns, err := tour.Scenarios(dir)
			require.NoError(t, err)
			walked := map[string]bool{}
			for _, s := range tr.Steps {
				walked[s.Scenario] = true
			}
			for f := range scns {
				assert.True(t, walked[f], "the tour never loads %s", f)
			}
			require.NotEmpty(t, tr.Steps)
			assert.Equal(t, "scenario.yaml", tr.Steps[0].Scenario, "the tour starts with the happy path")
			var limit, broken bool
			for _, s := range tr.Steps {
				limit = limit || (s.Scenario == "limit.yaml" && s.Baseline != "" && len(s.Look.Figures) > 0)
				broken = broken || (s.Scenario == "broken.yaml" && s.Look.Violation)
			}
			assert.True(t, limit, "a limit.yaml step with a baseline and figures to compare")
			assert.True(t, broken, "a broken.yaml step that pins its violation")
		})
	}
}

func TestParseReadsAStep(t *testing.T) {
	scns, err := tour.Scenarios(filepath.Join("..", "twopc"))
	require.NoError(t, err)
	tr, err := tour.Parse("t.yaml", []byte(`title: T
steps:
  - title: crash it
    scenario: scenario.yaml
    baseline: limit.yaml
    text: "**now**"
    action: {label: Crash coord now, at: 1001ms, fault: {action: crash, node: coord}}
    look: {check: twopc-blocking, figures: [max_blocked_ms], event: {label: decide, data: {recovered: true}}}
  - title: press it
    scenario: scenario.yaml
    text: x
    action: {label: Partition, at: now, fault: {action: partition, groups: [[coord], [p0, p1, p2]]}}
    look: {check: twopc-atomicity, violation: true}
`), scns)
	require.NoError(t, err)
	require.Len(t, tr.Steps, 2)
	s := tr.Steps[0]
	assert.Equal(t, 3, s.Line)
	assert.Equal(t, int64(1001e6), s.Action.AtNS)
	assert.Equal(t, fault.Fault{Kind: fault.Crash, Node: "coord"}, s.Action.Fault)
	assert.Equal(t, []string{"max_blocked_ms"}, s.Look.Figures)
	assert.Equal(t, &tour.EventPin{Label: "decide", Data: map[string]any{"recovered": true}}, s.Look.Event)
	assert.True(t, tr.Steps[1].Action.Now)
	assert.True(t, tr.Steps[1].Look.Violation)
}

// TestBadToursFailWithTheirPosition: each bad tour is refused with the
// file, line, column and field of its problem.
func TestBadToursFailWithTheirPosition(t *testing.T) {
	scns, err := tour.Scenarios(filepath.Join("..", "twopc"))
	require.NoError(t, err)
	head := "title: T\nsteps:\n  - title: s\n    text: x\n"
	cases := []struct{ name, src, want string }{
		{"syntax", "title: [\n", "bad.yaml:1: did not find expected node content"},
		{"empty", "", "bad.yaml:1:1: empty file"},
		{"no steps", "title: T\n", "bad.yaml:1:1: steps: missing (required)"},
		{"no list", "title: T\nsteps: 3\n", `bad.yaml:2:8: steps: want a list of one or more steps, got "3"`},
		{"unknown key", head + "    scenario: scenario.yaml\n    look: {check: twopc-atomicity, violation: true}\n    colour: red\n",
			`bad.yaml:7:5: steps[0].colour: unknown key "colour"`},
		{"missing scenario", head + "    look: {check: twopc-atomicity, violation: true}\n", "bad.yaml:3:5: steps[0].scenario: missing (required)"},
		{"no such file", head + "    scenario: paxos.yaml\n    look: {check: twopc-atomicity, violation: true}\n",
			`bad.yaml:5:15: steps[0].scenario: no scenario file "paxos.yaml" beside the tour (files: broken.yaml, limit.yaml, scenario.yaml)`},
		{"no such baseline", head + "    scenario: limit.yaml\n    baseline: nope.yaml\n    look: {check: twopc-blocking, figures: [x]}\n",
			`bad.yaml:6:15: steps[0].baseline: no scenario file "nope.yaml"`},
		{"baseline is itself", head + "    scenario: limit.yaml\n    baseline: limit.yaml\n    look: {check: twopc-blocking, figures: [x]}\n",
			"bad.yaml:6:15: steps[0].baseline: is the step's own scenario"},
		{"unknown check", head + "    scenario: scenario.yaml\n    look: {check: raft-safety, figures: [x]}\n",
			`bad.yaml:6:11: steps[0].look.check: scenario.yaml does not run check "raft-safety" (checks: twopc-atomicity, twopc-blocking)`},
		{"look at nothing", head + "    scenario: scenario.yaml\n    look: {check: twopc-atomicity}\n",
			"bad.yaml:6:11: steps[0].look: says nothing to look for"},
		{"no look", head + "    scenario: scenario.yaml\n", "bad.yaml:3:5: steps[0].look: missing (required)"},
		{"bad violation", head + "    scenario: scenario.yaml\n    look: {check: twopc-atomicity, violation: yes please}\n",
			`bad.yaml:6:47: steps[0].look.violation: want true or false, got "yes please"`},
		{"bad time", head + "    scenario: scenario.yaml\n    action: {label: go, at: soon, fault: {action: crash, node: coord}}\n    look: {check: twopc-atomicity, violation: true}\n",
			`bad.yaml:6:29: steps[0].action.at: want "now" or a virtual time such as 1000ms, got "soon"`},
		{"past the end", head + "    scenario: scenario.yaml\n    action: {label: go, at: 5s, fault: {action: crash, node: coord}}\n    look: {check: twopc-atomicity, violation: true}\n",
			"bad.yaml:6:13: steps[0].action.at: 5s is past the end of scenario.yaml (duration 3s)"},
		{"unknown node", head + "    scenario: scenario.yaml\n    action: {label: go, at: 1s, fault: {action: crash, node: leader}}\n    look: {check: twopc-atomicity, violation: true}\n",
			`bad.yaml:6:13: steps[0].action.fault: scenario.yaml has no node or client "leader" (nodes: coord, p0, p1, p2; clients: c0 to c2)`},
		{"bad fault", head + "    scenario: scenario.yaml\n    action: {label: go, at: 1s, fault: {action: explode, node: coord}}\n    look: {check: twopc-atomicity, violation: true}\n",
			`bad.yaml:6:40: steps[0].action.fault: fault: unknown kind "explode"`},
		{"fault args", head + "    scenario: scenario.yaml\n    action: {label: go, at: 1s, fault: {action: crash, groups: [[a]]}}\n    look: {check: twopc-atomicity, violation: true}\n",
			"bad.yaml:6:40: steps[0].action.fault: fault: crash does not take groups"},
		{"no fault", head + "    scenario: scenario.yaml\n    action: {label: go, at: 1s}\n    look: {check: twopc-atomicity, violation: true}\n",
			"bad.yaml:6:13: steps[0].action.fault: missing (required)"},
		{"figures not a list", head + "    scenario: scenario.yaml\n    look: {check: twopc-atomicity, figures: txns}\n",
			`bad.yaml:6:45: steps[0].look.figures: want a list of the check's detail names, got "txns"`},
		{"event without label", head + "    scenario: scenario.yaml\n    look: {check: twopc-atomicity, event: {data: {a: 1}}}\n",
			"bad.yaml:6:43: steps[0].look.event.label: missing (required)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tour.Parse("bad.yaml", []byte(c.src), scns)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestAReadmePointsToItsTour: the README's Tour section is a pointer to
// tour.yaml, never a second copy of the steps that could drift.
func TestAReadmePointsToItsTour(t *testing.T) {
	for _, p := range patterns.All() {
		b, err := os.ReadFile(filepath.Join("..", p.Name, "README.md"))
		require.NoError(t, err)
		assert.Contains(t, string(b), "## Tour\n\nThe guided tour is [`tour.yaml`](tour.yaml)", p.Name)
		assert.NotRegexp(t, `(?m)^1\. Load \*\*`, string(b), "%s's README still has its own copy of the steps", p.Name)
	}
}
