package playground_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
)

func TestPatternsGallery(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithPluginsDir("../plugins"))
	r := get(t, hs.URL+"/api/v1/patterns")
	require.Equal(t, http.StatusOK, r.Status)
	ps := r.json(t)["patterns"].([]any)
	require.Len(t, ps, 8)
	cats := map[string]bool{}
	for _, p := range ps {
		m := p.(map[string]any)
		cats[m["category"].(string)] = true
		assert.NotEmpty(t, m["advantages"], m["name"])
		assert.NotEmpty(t, m["limitations"], m["name"])
		assert.NotEmpty(t, m["purpose"], m["name"])
		assert.Equal(t, []any{"scenario.yaml", "limit.yaml", "broken.yaml"}, m["files"].([]any)[:3], m["name"])
		// Every pattern carries a guided tour (its tour.yaml), which starts
		// from its scenario and walks through every scenario file it has.
		tour, ok := m["tour"].(map[string]any)
		require.True(t, ok, "%s has no tour", m["name"])
		steps := tour["steps"].([]any)
		require.NotEmpty(t, steps, m["name"])
		assert.Equal(t, "scenario.yaml", steps[0].(map[string]any)["scenario"], m["name"])
		walked := map[string]bool{}
		for _, st := range steps {
			walked[st.(map[string]any)["scenario"].(string)] = true
		}
		for _, f := range m["files"].([]any) {
			assert.True(t, walked[f.(string)], "%s's tour never loads %s", m["name"], f)
		}
		assert.NotContains(t, m["files"], "tour.yaml", "a tour is not a scenario file")
	}
	assert.Equal(t, map[string]bool{"object communication": true, "event-driven": true, "security": true}, cats)

	r = get(t, hs.URL+"/api/v1/patterns/twopc")
	require.Equal(t, http.StatusOK, r.Status)
	d := r.json(t)
	want, err := os.ReadFile(filepath.Join("..", "plugins", "twopc", "broken.yaml"))
	require.NoError(t, err)
	assert.Equal(t, string(want), d["contents"].(map[string]any)["broken.yaml"])
	assert.Contains(t, d["readme"], "# Two-Phase Commit")
	assert.Contains(t, d["advantages"], "Atomic across nodes")

	r = get(t, hs.URL+"/api/v1/patterns/twopc/files/limit.yaml")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Contains(t, string(r.Body), "twopc")

	r = get(t, hs.URL+"/api/v1/patterns/twopc/files/../../go.mod")
	assert.Equal(t, http.StatusNotFound, r.Status)
	r = get(t, hs.URL+"/api/v1/patterns/twopc/files/secret.yaml")
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Contains(t, r.apiError(t)["message"], "scenario.yaml")
	r = get(t, hs.URL+"/api/v1/patterns/paxos")
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Contains(t, r.apiError(t)["message"], "twopc")
}
