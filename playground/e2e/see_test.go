package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
)

// TestSeeInChromium walks issue 18 part 3 in chromium (see.mjs): messages
// flying along the topology, a node's state inside it and in its menu with
// its store's keys, a chart click that seeks, and 100 nodes laid out
// without overlaps, at 1440×900 and 1024×768. Screenshots go to
// $TERRARIUM_SHOTS, else screenshots/see (gitignored).
func TestSeeInChromium(t *testing.T) {
	readInputs(t)
	browser := chromium(t)
	bin := buildTerrarium(t)
	shots := os.Getenv("TERRARIUM_SHOTS")
	if shots == "" {
		var err error
		shots, err = filepath.Abs(filepath.Join(ScreenshotDir, "see"))
		require.NoError(t, err)
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))
	t.Logf("screenshots in %s", shots)
	wasm, err := testguests.Wat2Wasm([]byte(pinger))
	require.NoError(t, err)
	mod := filepath.Join(t.TempDir(), "pinger.wasm")
	require.NoError(t, os.WriteFile(mod, wasm, 0o644))

	_, url := serve(t, bin, t.TempDir())
	browse(t, browser, "see.mjs", url, shots, mod)
}
