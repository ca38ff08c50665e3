package e2e

import (
	"testing"
)

// TestToursInChromium plays the guided tours (issue 18, part 2) in
// chromium on a fresh profile (tour.mjs): the first visit opens Two-Phase
// Commit's tour, which is walked to its end, then Saga's, then the broken
// step of every other tour, its violation pinned to its event (for cqrs and
// rlbs the checker's witness, which a click on the violation seeks to
// again). Screenshots of every step at 1440×900 and 1024×768 go to
// $TERRARIUM_SHOTS, else screenshots/tour (gitignored).
func TestToursInChromium(t *testing.T) {
	readInputs(t)
	browser := chromium(t)
	bin := buildTerrarium(t)
	shots := shotsDir(t, "tour")

	_, url := serve(t, bin, t.TempDir())
	out := browse(t, browser, "tour.mjs", url, shots)
	for _, s := range out["steps"].([]any) {
		t.Log(s)
	}
}

// TestToursPlayedThroughInChromium plays every pattern's tour through, each
// step from its own button (tour.mjs's playAll): its fault pressed, its
// check's verdict and every figure it quotes present, a limitation beside
// its baseline, a violation or event pinned and the page at that event.
// One screenshot per step at 1440×900.
func TestToursPlayedThroughInChromium(t *testing.T) {
	readInputs(t)
	browser := chromium(t)
	bin := buildTerrarium(t)
	shots := shotsDir(t, "tour")
	t.Setenv("TOUR_PARTS", "none")
	t.Setenv("TOUR_ALL", "twopc,saga,sharding,cqrs,rlbs,gatekeeper,valet,fedid")

	_, url := serve(t, bin, t.TempDir())
	out := browse(t, browser, "tour.mjs", url, shots)
	for _, s := range out["steps"].([]any) {
		t.Log(s)
	}
}
