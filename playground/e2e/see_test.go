package e2e

import (
	"testing"
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
	shots := shotsDir(t, "see")
	mod := pingerModule(t)

	_, url := serve(t, bin, t.TempDir())
	browse(t, browser, "see.mjs", url, shots, mod)
}
