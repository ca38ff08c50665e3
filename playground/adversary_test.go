package playground_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Reference: DESIGN.md, "An adversary in the network": adversary faults
// applied by hand are recorded on the timeline like any other, their
// attack events reach the trace the page reads, and the export replays
// to the same digest.
func TestAdversaryFaultsByHand(t *testing.T) {
	s, hs := newServer(t, runConfig())
	api := hs.URL + "/api/v1"
	st := mustOK(t, postJSON(t, api+"/runs", map[string]any{"pattern": "gatekeeper", "file": "scenario.yaml"}), http.StatusCreated)
	run := api + "/runs/" + st.ID
	var names []string
	for _, n := range st.Nodes {
		names = append(names, n.Name)
	}
	assert.Equal(t, []string{"gk", "backend", "evil"}, names)
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "150ms"}), http.StatusOK)
	mustOK(t, postJSON(t, run+"/faults", map[string]any{"action": "eavesdrop", "from": []string{"gk"}, "to": []string{"*"}}), http.StatusOK)
	mustOK(t, postJSON(t, run+"/faults", map[string]any{"action": "forge", "from": []string{"gk"}, "to": []string{"backend"}, "body": `{"type":"apply","req":"x"}`}), http.StatusOK)
	st = mustOK(t, postJSON(t, run+"/faults", map[string]any{"action": "impersonate", "node": "backend", "attacker": "evil"}), http.StatusOK)
	require.Len(t, st.Actions, 3)
	r := postJSON(t, run+"/faults", map[string]any{"action": "forge", "from": []string{"*"}, "to": []string{"backend"}, "body": "x"})
	assert.Equal(t, http.StatusBadRequest, r.Status)
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "+100ms"}), http.StatusOK)

	page := get(t, run+"/trace?from=0&n=5000").json(t)
	labels := map[string]bool{}
	for _, e := range page["events"].([]any) {
		if m := e.(map[string]any); m["kind"] == "attack" {
			labels[m["label"].(string)] = true
		}
	}
	for _, l := range []string{"eavesdrop", "forge", "impersonate", "replay"} {
		assert.True(t, labels[l], "an attack event %s in the trace", l)
	}
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	fin := status(t, get(t, run))
	exp := get(t, run+"/export")
	require.True(t, strings.Contains(string(exp.Body), "action: impersonate"), "%s", exp.Body)
	assert.Equal(t, fin.Digest, replay(t, s, exp.Body))
}
