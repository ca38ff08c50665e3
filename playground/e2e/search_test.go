package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSearchInChromium walks issue 18 part 6 and issue 21 part 7 in
// chromium (search.mjs): a sweep of a broken scenario with its progress
// bar, a failing seed opened, shrunk and its minimal scenario opened; an
// explore of the zoo's lease, its found schedule opened, stepped through
// and its state graph drawn. Screenshots go to $TERRARIUM_SHOTS, else
// screenshots/search (gitignored).
func TestSearchInChromium(t *testing.T) {
	readInputs(t)
	_, err := os.ReadFile("search.mjs")
	require.NoError(t, err)
	browser := chromium(t)
	bin := buildTerrarium(t)
	shots := shotsDir(t, "search")
	broken, err := os.ReadFile(filepath.Join("..", "..", "runtime", "shrink", "testdata", "broken_schedule.yaml"))
	require.NoError(t, err)
	lease, err := os.ReadFile(filepath.Join("..", "..", "plugins", "zoo", "lease", "scenario.yaml"))
	require.NoError(t, err)
	dir := t.TempDir()
	brokenFile, leaseFile := filepath.Join(dir, "broken.yaml"), filepath.Join(dir, "lease.yaml")
	// Module paths as the page names them: from the plugins folder.
	require.NoError(t, os.WriteFile(brokenFile, replace(broken, "go: ../../../plugins/maelstrom/broadcast", "go: maelstrom/broadcast"), 0o644))
	require.NoError(t, os.WriteFile(leaseFile, replace(lease, "go: .", "go: zoo/lease"), 0o644))

	_, url := serve(t, bin, t.TempDir())
	browse(t, browser, "search.mjs", url, shots, brokenFile, leaseFile)
}

func replace(b []byte, old, repl string) []byte {
	return []byte(strings.Replace(string(b), old, repl, 1))
}
