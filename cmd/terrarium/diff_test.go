package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// runSeed runs the bundled broadcast scenario with seed into a run folder
// named name.
func runSeed(t *testing.T, name string, seed uint64) string {
	t.Helper()
	scn, err := runner.Load(filepath.Join("..", "..", "plugins", "broadcast", "scenario.yaml"), patterns.Registry())
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), name)
	_, err = runner.Execute(context.Background(), scn, runner.NewOptions().WithRegistry(patterns.Registry()).WithOutDir(dir).WithSeed(seed))
	require.NoError(t, err)
	return dir
}

func TestDiffSameSeedIsIdentical(t *testing.T) {
	a, b := runSeed(t, "a", 1), runSeed(t, "b", 1)
	code, out, errs := cli(t, "diff", a, b)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^identical: \d+ events, trace_sha256 [0-9a-f]{64}\n$`, out)

	// A trace file works as well as its run folder.
	code, out2, errs := cli(t, "diff", filepath.Join(a, "trace.jsonl"), b)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, out, out2)
}

// Seeds 1 and 2 part at the first request: the client sends it to
// another node.
func TestDiffNamesTheFirstDifferingEvent(t *testing.T) {
	a, b := runSeed(t, "a", 1), runSeed(t, "b", 2)
	code, out, errs := cli(t, "diff", "--context", "2", a, b)
	require.Equal(t, 1, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 7, out)
	assert.Equal(t, "runs differ at event 7 (t=0s); A has 2311 events, B 2281", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], `  {"seq":5,`), lines[1])
	assert.True(t, strings.HasPrefix(lines[2], `  {"seq":6,`), lines[2])
	assert.True(t, strings.HasPrefix(lines[3], `- A {"seq":7,"t":0,"kind":"send","node":5,"peer":2,`), lines[3])
	assert.True(t, strings.HasPrefix(lines[4], `+ B {"seq":7,"t":0,"kind":"send","node":5,"peer":1,`), lines[4])
	assert.Regexp(t, `^A trace_sha256 [0-9a-f]{64}$`, lines[5])
	assert.Regexp(t, `^B trace_sha256 [0-9a-f]{64}$`, lines[6])
}

func TestDiffBadInput(t *testing.T) {
	a := runSeed(t, "a", 1)
	path := filepath.Join(a, "trace.jsonl")
	orig, err := os.ReadFile(path)
	require.NoError(t, err)
	n := strings.Count(string(orig), "\n")

	// A trace cut mid-line, as a file and in its run folder.
	cut := filepath.Join(t.TempDir(), "cut.jsonl")
	require.NoError(t, os.WriteFile(cut, orig[:len(orig)-20], 0o644))
	code, _, errs := cli(t, "diff", a, cut)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "terrarium diff: "+cut+": trace: line "+strconv.Itoa(n)+": unexpected end of JSON input")

	// A run folder whose trace lost its last lines: each line is well
	// formed, but the digest is not the run's.
	short := strings.Join(strings.SplitAfter(string(orig), "\n")[:n-5], "")
	require.NoError(t, os.WriteFile(path, []byte(short), 0o644))
	code, _, errs = cli(t, "diff", cut, a)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "terrarium diff: "+cut+": ", "the first bad input is named")
	code, _, errs = cli(t, "diff", filepath.Join(t.TempDir(), "none"), a)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "no such file or directory")
	code, _, errs = cli(t, "diff", path, a)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "terrarium diff: "+path+": the trace does not match the run's trace_sha256")

	// Not a run folder; the wrong number of arguments.
	code, _, errs = cli(t, "diff", t.TempDir(), path)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "not a run folder")
	code, _, errs = cli(t, "diff", path)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "want two run folders or trace files RUN_A RUN_B")
}
