package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
)

// TestScaleInChromium plays a 100-node run of a million events in chromium
// (scale.mjs, issue 18 part 7) on a server with its default caps (before
// serve took the CLI's node bound, 100 nodes were refused). It asserts
// behaviour and logs the figures the page measured: time to first paint,
// frame times, the JS heap, events per second.
func TestScaleInChromium(t *testing.T) {
	readInputs(t)
	browser := chromium(t)
	bin := buildTerrarium(t)
	shots := os.Getenv("TERRARIUM_SHOTS")
	if shots == "" {
		var err error
		shots, err = filepath.Abs(filepath.Join(ScreenshotDir, "scale"))
		require.NoError(t, err)
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))
	t.Logf("screenshots in %s", shots)
	wasm, err := testguests.Wat2Wasm([]byte(pinger))
	require.NoError(t, err)
	mod := filepath.Join(t.TempDir(), "pinger.wasm")
	require.NoError(t, os.WriteFile(mod, wasm, 0o644))

	_, url := serve(t, bin, t.TempDir())
	out := browse(t, browser, "scale.mjs", url, shots, mod)
	for _, k := range []string{"ttfp_ms", "frames", "frame_p50_ms", "frame_p95_ms", "frame_max_ms", "heap_max_mib", "heap_end_mib",
		"events", "run_wall_s", "page_events_per_s", "click_ms", "flights_drawn"} {
		t.Logf("scale figure %s = %v", k, out[k])
	}
}
