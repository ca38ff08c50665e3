package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var stopRE = regexp.MustCompile(`^STOP (\S+) seed=(\d+) event=(\d+) step=(\d+) virtual=(\S+) trace_sha256=([0-9a-f]{64})$`)

// Reference: DESIGN.md, "to see moment T, replay the scenario to T".
func TestRunStopAtReplaysToAnEvent(t *testing.T) {
	scn := filepath.Join("..", "..", "plugins", "broadcast", "scenario.yaml")
	code, out, errs := cli(t, "run", scn, "--seed", "2", "--stop-at", "600")
	require.Equal(t, 0, code, errs)
	m := stopRE.FindStringSubmatch(lastLine(out))
	require.NotNil(t, m, out)
	assert.Equal(t, []string{scn, "2", "601", "359", "1.873818075s"}, m[1:6], "the first event that reaches 600 (runtime/runner/testdata/timeline/seek.txt)")
	assert.Contains(t, out, "  n0 ", "each node's state is listed")

	code, again, _ := cli(t, "run", scn, "--seed", "2", "--stop-at", "600")
	require.Equal(t, 0, code)
	assert.Equal(t, out, again, "a moment of a run replays to the same digest")

	// At the end of the run, the digest is the finished run's.
	code, full, errs := cli(t, "run", scn, "--seed", "2", "--quiet")
	require.Equal(t, 0, code, errs)
	fm := digestRE.FindStringSubmatch(lastLine(full))
	require.NotNil(t, fm, full)
	code, _, errs = cli(t, "run", scn, "--seed", "2", "--stop-at", "1000000")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "terrarium run: --stop-at 1000000: runner: past the end of the run: event 1000000 sought, the run ends at event ")
	end := strings.TrimSpace(errs[strings.LastIndex(errs, " ")+1:])
	code, out, errs = cli(t, "run", scn, "--seed", "2", "--stop-at", end)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, lastLine(out), "trace_sha256="+fm[1])
}

func TestRunStopAtWritesNoRunFolder(t *testing.T) {
	code, _, errs := cli(t, "run", "a.yaml", "--stop-at", "5", "--out", t.TempDir())
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "terrarium run: --stop-at writes no run folder: drop --out")
	code, _, errs = cli(t, "run", "a.yaml", "--stop-at", "x")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `invalid value "x" for flag -stop-at`)
}
