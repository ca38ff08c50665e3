package e2e

import (
	"testing"
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
	shots := shotsDir(t, "scale")
	mod := pingerModule(t)

	_, url := serve(t, bin, t.TempDir())
	out := browse(t, browser, "scale.mjs", url, shots, mod)
	for _, k := range []string{"ttfp_ms", "frames", "frame_p50_ms", "frame_p95_ms", "frame_max_ms", "heap_max_mib", "heap_end_mib",
		"events", "run_wall_s", "page_events_per_s", "click_ms", "flights_drawn"} {
		t.Logf("scale figure %s = %v", k, out[k])
	}
}
