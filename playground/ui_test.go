package playground_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// offsite matches a reference that would make the browser fetch from
// another host (an XML namespace name is not one).
var offsite = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|from\s+["'](https?:)?//|import\(\s*["'](https?:)?//|fetch\(\s*["'](https?:)?//|url\(\s*["']?(https?:)?//|new\s+(WebSocket|EventSource)\(\s*["'](wss?|https?):`)

// The playground is served from the binary: the page, its modules and the
// vendored chart library, with the right types; nothing points off-site.
func TestUIIsEmbeddedAndOffline(t *testing.T) {
	_, hs := newServer(t, runConfig())
	page := get(t, hs.URL+"/")
	require.Equal(t, http.StatusOK, page.Status)
	assert.Contains(t, string(page.Body), `<script type="module" src="/app.js">`)
	for path, ctype := range map[string]string{
		"/app.js": "javascript", "/api.js": "javascript", "/editor.js": "javascript", "/topology.js": "javascript",
		"/charts.js": "javascript", "/tour.js": "javascript", "/style.css": "text/css", "/vendor/uplot/uPlot.esm.js": "javascript",
		"/vendor/uplot/uPlot.min.css": "text/css",
	} {
		r := get(t, hs.URL+path)
		require.Equal(t, http.StatusOK, r.Status, path)
		assert.Contains(t, r.Header.Get("Content-Type"), ctype, path)
		if m := offsite.Find(r.Body); m != nil {
			t.Errorf("%s loads something from elsewhere: %s", path, m)
		}
	}
}

func TestUIDirServesFromDisk(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html><p>dev copy</p>"), 0o644))
	_, hs := newServer(t, runConfig().WithUIDir(dir))
	assert.Contains(t, string(get(t, hs.URL+"/").Body), "dev copy")
	assert.Contains(t, string(get(t, hs.URL+"/runs/x").Body), "dev copy")
	assert.Equal(t, http.StatusOK, get(t, hs.URL+"/api/v1/health").Status)
}

func TestOffsitePattern(t *testing.T) {
	for _, bad := range []string{`<script src="https://cdn.example/x.js">`, `import x from "https://esm.sh/y"`,
		`fetch('http://api.example/')`, `background: url(//img.example/a.png)`, `<link href='//fonts.example/css'>`} {
		assert.NotNil(t, offsite.FindString(bad), bad)
	}
	for _, ok := range []string{`document.createElementNS('http://www.w3.org/2000/svg', 'g')`, `<script src="/app.js">`, `import { api } from './api.js'`} {
		assert.Empty(t, offsite.FindString(ok), ok)
	}
}
