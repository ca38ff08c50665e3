package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSecurityInChromium: the security patterns' tours in the gallery, and
// the network adversary's own lane in the space-time diagram of a run
// under attack (security.mjs). Screenshots go to TERRARIUM_SHOTS, or
// screenshots/security.
func TestSecurityInChromium(t *testing.T) {
	readInputs(t)
	browser := chromium(t)
	bin := buildTerrarium(t)
	shots := shotsDir(t, "security")
	_, url := serve(t, bin, t.TempDir())
	out := browse(t, browser, "security.mjs", url, shots)
	assert.Equal(t, "adversary", last(out["lanes"].([]any)))
	assert.Len(t, out["tours"], 3)
}

func last(xs []any) any {
	if len(xs) == 0 {
		return nil
	}
	return xs[len(xs)-1]
}
