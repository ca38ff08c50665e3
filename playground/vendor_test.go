package playground

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The vendored UI libraries are exactly what `npm ci` installs: rebuilding
// them (go generate ./playground) reproduces the committed files byte for byte.
func TestVendoredAssetsMatchNPM(t *testing.T) {
	pairs := map[string]string{
		"ui/vendor/uplot/uPlot.esm.js":  "../node_modules/uplot/dist/uPlot.esm.js",
		"ui/vendor/uplot/uPlot.min.css": "../node_modules/uplot/dist/uPlot.min.css",
		"ui/vendor/uplot/LICENSE":       "../node_modules/uplot/LICENSE",
	}
	for vendored, npm := range pairs {
		want, err := os.ReadFile(npm)
		require.NoError(t, err, "run `npm ci` at the repository root first")
		got, err := uiFiles.ReadFile(vendored)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%s differs from %s: run go generate ./playground", vendored, npm)
	}
	// Nothing else sits in ui/vendor unaccounted for.
	matches, err := filepath.Glob("ui/vendor/*/*")
	require.NoError(t, err)
	assert.Len(t, matches, len(pairs))
}
