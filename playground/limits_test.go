package playground_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// limitsOf reads the limits a run's status reports.
func limitsOf(t *testing.T, r resp) map[string]int64 {
	t.Helper()
	var st struct {
		Limits map[string]int64 `json:"limits"`
		Cost   int64            `json:"memory_cost_bytes"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &st), "%s", r.Body)
	assert.Positive(t, st.Cost)
	return st.Limits
}

// Reference: issue 15, "every quota but two is the client's to raise".
// Every limits: field is clamped to the server's maximum, absent ones get
// it, lower ones are kept, and the run's status shows them.
func TestEveryLimitIsClamped(t *testing.T) {
	_, hs := newServer(t, runConfig())
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	src := echoScenario(sha) + "limits: {store_bytes: 1099511627776, log_bytes_per_run: 1099511627776, max_trace_bytes: 1099511627776, in_flight_bytes: 1099511627776, fuel: 5000, max_message_bytes: 1024}\n"
	r := postJSON(t, hs.URL+"/api/v1/runs", map[string]any{"scenario": src})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	got := limitsOf(t, r)
	max := playground.DefaultMaxLimits()
	assert.Equal(t, max.StoreBytes, got["store_bytes"])
	assert.Equal(t, max.LogBytesPerRun, got["log_bytes_per_run"])
	assert.Equal(t, max.MaxTraceBytes, got["max_trace_bytes"])
	assert.Equal(t, max.InFlightBytes, got["in_flight_bytes"])
	assert.Equal(t, int64(5000), got["fuel"], "a lower limit is kept")
	assert.Equal(t, int64(1024), got["max_message_bytes"], "a lower limit is kept")
	assert.Len(t, got, len(playground.LimitNames()), "every limit is set: %v", got)
	for _, name := range playground.LimitNames() {
		assert.Positive(t, got[name], name)
	}
}

// Every limits: field has a server maximum (a new field without one fails
// here), and --max-limit's NAME=VALUE form sets each by its YAML name.
func TestMaxLimitsCoverEveryField(t *testing.T) {
	max := playground.DefaultMaxLimits()
	for _, name := range playground.LimitNames() {
		l, err := playground.SetLimit(scenario.Limits{}, name, 7)
		require.NoError(t, err, name)
		assert.NotEqual(t, scenario.Limits{}, l, name)
		_, err = playground.SetLimit(max, name, 0)
		assert.Error(t, err, name)
	}
	b, err := json.Marshal(max)
	require.NoError(t, err)
	var m map[string]int64
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Len(t, m, len(playground.LimitNames()), "every field has a default maximum: %s", b)
	l, err := playground.ParseLimit(scenario.Limits{}, "store_bytes=8MiB")
	require.NoError(t, err)
	assert.Equal(t, int64(8<<20), l.StoreBytes)
	_, err = playground.ParseLimit(l, "stor_bytes=1")
	assert.ErrorContains(t, err, `no limit "stor_bytes"`)
	_, err = playground.ParseLimit(l, "fuel=-3")
	assert.ErrorContains(t, err, "not a positive integer")
}

// Reference: issue 15, "4 runs within every documented cap exceed 6 GiB".
// Open runs together stay within the memory budget: a run that alone needs
// more is refused (422), one that does not fit beside the others waits
// (503, Retry-After), and fits once another is deleted.
func TestMemoryBudget(t *testing.T) {
	// One echo run of 3 nodes at these limits costs 3 × 4 MiB + 4 MiB.
	small := scenario.Limits{MemoryPages: 16, StoreBytes: 1 << 20, FSBytes: 1 << 20, InFlightBytes: 1 << 20, LogBytesPerRun: 1 << 20, MaxTraceBytes: 4 << 20}
	_, hs := newServer(t, runConfig().WithMaxLimits(small).WithMemoryBudget(40<<20))
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	api := hs.URL + "/api/v1/runs"
	// Two running runs (a paused one's simulation would give its memory
	// back to a new run: it is a cache).
	slow := map[string]any{"scenario": echoScenario(sha), "start": true, "speed": 0.0001}
	first := mustOK(t, postJSON(t, api, slow), http.StatusCreated)
	_ = mustOK(t, postJSON(t, api, slow), http.StatusCreated)
	r := postJSON(t, api, map[string]any{"scenario": echoScenario(sha)})
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
	assert.Equal(t, "memory", r.apiError(t)["code"])
	assert.Contains(t, r.apiError(t)["message"], "memory budget of 40.0 MiB")
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
	require.Equal(t, http.StatusNoContent, do(t, http.MethodDelete, api+"/"+first.ID, "", nil).Status)
	mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)

	_, tiny := newServer(t, runConfig().WithMemoryBudget(10<<20))
	sha = uploaded(t, tiny.URL, wasmOf(t, "echo"))
	r = postJSON(t, tiny.URL+"/api/v1/runs", map[string]any{"scenario": echoScenario(sha)})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	assert.Contains(t, r.apiError(t)["message"], "more than this server's memory budget of 10.0 MiB")
}

// Reference: issue 15, "faults applied by hand are unbounded".
func TestHandFaultCap(t *testing.T) {
	_, hs := newServer(t, runConfig().WithMaxFaults(2))
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	api := hs.URL + "/api/v1/runs"
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": echoScenario(sha)}), http.StatusCreated)
	for range 2 {
		mustOK(t, postJSON(t, api+"/"+st.ID+"/faults", map[string]any{"action": "crash", "node": "n0"}), http.StatusOK)
	}
	r := postJSON(t, api+"/"+st.ID+"/faults", map[string]any{"action": "restart", "node": "n0"})
	require.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
	assert.Equal(t, "limit", r.apiError(t)["code"])
	assert.Contains(t, r.apiError(t)["message"], "2 faults applied by hand, this server's cap")
	assert.Len(t, status(t, get(t, api+"/"+st.ID)).Actions, 2)
}

// Reference: issue 15, "ldflags writes and reads host files". A scenario
// sent to the server carries no tags and no ldflags but -X; nothing is
// built, nothing written.
func TestBuildFlagsRefused(t *testing.T) {
	_, hs := newServer(t, runConfig())
	target := filepath.Join(t.TempDir(), "written")
	for flags, field := range map[string]string{
		`ldflags: "-o ` + target + ` -X main.v=1"`: "modules.e.ldflags",
		`ldflags: "-importcfg /proc/self/environ"`: "modules.e.ldflags",
		`ldflags: "-X 'main.v=a b'"`:               "modules.e.ldflags",
		`tags: [fancy]`:                            "modules.e.tags",
	} {
		src := "duration: 1s\nmodules:\n  e: {go: ../plugins/echo, " + flags + "}\nnodes: [{name: n, module: e}]\n"
		r := postJSON(t, hs.URL+"/api/v1/runs", map[string]any{"scenario": src})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", flags, r.Body)
		probs := r.apiError(t)["problems"].([]any)
		require.Len(t, probs, 1, flags)
		p := probs[0].(map[string]any)
		assert.Equal(t, field, p["field"], flags)
		assert.EqualValues(t, 3, p["line"], flags)
		assert.NotContains(t, string(r.Body), "PATH=", flags)
	}
	_, err := os.Stat(target)
	assert.True(t, os.IsNotExist(err), "nothing was written")
}

// Reference: issue 15, "module names are free text, so an export zip can
// hold ../../ entries": a scenario's module names follow the node-name rule.
func TestModuleNamesAreNames(t *testing.T) {
	_, hs := newServer(t, runConfig())
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	src := "duration: 1s\nmodules:\n  \"../../evil\": {sha256: " + sha + "}\nnodes: [{name: n, module: \"../../evil\"}]\n"
	r := postJSON(t, hs.URL+"/api/v1/runs", map[string]any{"scenario": src})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	assert.Contains(t, r.apiError(t)["message"], `invalid module name "../../evil"`)
}
