package playground_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
)

func postZip(t *testing.T, url string, b []byte) resp {
	return do(t, http.MethodPost, url, "application/zip", bytes.NewReader(b))
}

// pickedRun makes a paused pinger run on hs with a pick by hand and moves
// it on 20 events; it returns the run's URL.
func pickedRun(t *testing.T, api, sha string) string {
	t.Helper()
	st := mustOK(t, postJSON(t, api, map[string]any{"scenario": tiedEcho(sha)}), http.StatusCreated)
	run := api + "/" + st.ID
	stepToChoice(t, run)
	mustOK(t, postJSON(t, run+"/next", map[string]any{"pick": 1}), http.StatusOK)
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "step", "events": 20}), http.StatusOK)
	return run
}

func TestBundleImport(t *testing.T) { inEachMode(t, testBundleImport) }

// A bundle exported by one server opens on another that has never seen
// its modules: the import stores them, names them by digest in the
// scenario and gives the position; a run of it sought there is the
// exported run, event for event.
func testBundleImport(t *testing.T, cfg playground.Config) {
	_, a := newServer(t, cfg)
	run := pickedRun(t, a.URL+"/api/v1/runs", uploaded(t, a.URL, wat(t, pinger)))
	at := status(t, get(t, run))
	zipped := get(t, run+"/export?format=zip")
	require.Equal(t, http.StatusOK, zipped.Status, "%s", zipped.Body)

	_, b := newServer(t, runConfig())
	r := postZip(t, b.URL+"/api/v1/bundles", zipped.Body)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var imp playground.Imported
	require.NoError(t, json.Unmarshal(r.Body, &imp))
	assert.Equal(t, "pingers", imp.Name)
	assert.Equal(t, at.Seq, imp.Position.Seq)
	require.Len(t, imp.Modules, 1)
	assert.Contains(t, imp.Scenario, "sha256: "+imp.Modules[0])
	assert.Contains(t, imp.Scenario, "order ")
	assert.Equal(t, http.StatusOK, get(t, b.URL+"/api/v1/modules/"+imp.Modules[0]).Status, "the module is in the new server's store")

	again := mustOK(t, postJSON(t, b.URL+"/api/v1/runs", map[string]any{"scenario": imp.Scenario, "seq": imp.Position.Seq}), http.StatusCreated)
	st := again
	assert.Equal(t, at.Seq, again.Seq)
	finA := mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	finB := mustOK(t, postJSON(t, b.URL+"/api/v1/runs/"+st.ID+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	assert.Equal(t, finA.Digest, finB.Digest, "the imported bundle replays the run")
}

// zipOf writes files into a zip.
func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write(b)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestBundleImportRefusesBadBundles(t *testing.T) {
	_, hs := newServer(t, runConfig())
	url := hs.URL + "/api/v1/bundles"
	wasm := wat(t, pinger)
	const fake = "0000000000000000000000000000000000000000000000000000000000000000"
	for _, c := range []struct {
		name, want string
		body       []byte
	}{
		{"not a zip", "not a zip", []byte("hello")},
		{"no scenario", "no ID/scenario.yaml", zipOf(t, map[string][]byte{"x/position.json": []byte(`{"seq":1}`)})},
		{"a module that is not its name", "is not the module its name says", zipOf(t, map[string][]byte{
			"x/scenario.yaml": []byte("name: a\n"), "x/modules/" + fake + ".wasm": wasm})},
		{"a module missing", "which the bundle does not hold", zipOf(t, map[string][]byte{
			"x/scenario.yaml": []byte("name: a\nmodules:\n  p: {wasm: /bundle/x/modules/" + fake + ".wasm}\n")})},
		{"a path outside", "outside its folder", zipOf(t, map[string][]byte{"x/scenario.yaml": []byte("name: a\n"), "y/scenario.yaml": []byte("name: b\n")})},
		{"a bad position", "position.json", zipOf(t, map[string][]byte{"x/scenario.yaml": []byte("name: a\n"), "x/position.json": []byte("{")})},
	} {
		r := postZip(t, url, c.body)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", c.name, r.Body)
		assert.Contains(t, r.apiError(t)["message"], c.want, c.name)
	}
	r := postJSON(t, url, map[string]any{"zip": "no"})
	assert.Equal(t, http.StatusUnsupportedMediaType, r.Status, "%s", r.Body)
	list := get(t, hs.URL+"/api/v1/modules").json(t)["modules"].([]any)
	for _, m := range list {
		assert.NotContains(t, m.(map[string]any)["name"], "bundle", "a refused bundle stores nothing")
	}
}

func TestShareLinkExport(t *testing.T) { inEachMode(t, testShareLinkExport) }

// The text a permanent link carries names every module by digest, the
// built-in ones too (put in the store), and replays to the run's digest.
func testShareLinkExport(t *testing.T, cfg playground.Config) {
	s, hs := newServer(t, cfg)
	api := hs.URL + "/api/v1/runs"
	st := mustOK(t, postJSON(t, api, map[string]any{"pattern": "twopc", "file": "scenario.yaml"}), http.StatusCreated)
	run := api + "/" + st.ID
	mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "advance", "to": "200ms"}), http.StatusOK)
	mustOK(t, postJSON(t, run+"/faults", map[string]any{"action": "crash", "node": "coord"}), http.StatusOK)
	sh := get(t, run+"/export?format=share")
	require.Equal(t, http.StatusOK, sh.Status, "%s", sh.Body)
	text := string(sh.Body)
	assert.NotContains(t, text, "go:")
	assert.Contains(t, text, "sha256:")
	assert.Contains(t, text, "before_event")
	fin := mustOK(t, postJSON(t, run+"/control", map[string]any{"action": "finish"}), http.StatusOK)
	assert.Equal(t, fin.Digest, replay(t, s, sh.Body), "the link's scenario replays the run")
	for _, line := range strings.Split(text, "\n") {
		if _, sha, ok := strings.Cut(line, "sha256: "); ok {
			sha = strings.Trim(sha, "},] ")
			assert.Equal(t, http.StatusOK, get(t, hs.URL+"/api/v1/modules/"+sha[:64]).Status, "module %s is in the store", sha)
		}
	}
}
