package e2e

import (
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLabInChromium walks the defects a newcomer met in the playground
// (issue 18, part 1) in chromium: lab.mjs against a server that runs two
// runs at once and one whose operator lowered the fuel cap, then
// lab-restart.mjs against the first after a hard restart; lab.mjs kills a
// run worker of the first (LAB_SERVER_PID) under an open event stream. Screenshots go to
// $TERRARIUM_SHOTS, else screenshots/lab (gitignored).
func TestLabInChromium(t *testing.T) {
	readInputs(t)
	browser := chromium(t)
	bin := buildTerrarium(t)
	shots := shotsDir(t, "lab")

	data := t.TempDir()
	server, url := serve(t, bin, data, "--max-runs", "2")
	// lab.mjs kills one of this server's run workers (its children) mid-stream.
	t.Setenv("LAB_SERVER_PID", strconv.Itoa(server.Process.Pid))
	_, capped := serve(t, bin, t.TempDir(), "--max-limit", "fuel=100000")
	out := browse(t, browser, "lab.mjs", url, capped, shots)
	runs := out["runs"].(map[string]any)

	// A hard restart: the runs are listed again from their folders.
	require.NoError(t, server.Process.Signal(syscall.SIGKILL))
	_ = server.Wait()
	_, url = serve(t, bin, data)
	browse(t, browser, "lab-restart.mjs", url, shots, runs["finished"].(string), runs["broken"].(string),
		runs["paused"].(string), strconv.Itoa(int(runs["pausedSeq"].(float64))))
}
