package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/report"
	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// Reference: issue 15, "Run files stay within documented bounds": a run
// that fills its trace cap (16 MiB here) writes every other file of its
// folder within report.FileBound of that cap (1 MiB), cutting those that
// would be larger, and results.json names each cut.
func TestRunFolderFilesStayWithinTheirBounds(t *testing.T) {
	const maxTrace = 16 << 20
	dir := t.TempDir()
	wasm, err := testguests.Wasm("echo")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "echo.wasm"), wasm, 0o644))
	scn, err := runner.Parse(filepath.Join(dir, "busy.yaml"), []byte(fmt.Sprintf(`name: busy
duration: 60s
modules:
  echo: {wasm: %s}
nodes:
  - {name: n, count: 3, module: echo}
workload: {type: echo, clients: 8, interval: 100us, timeout: 10ms}
limits: {max_trace_bytes: 16777216}
`, filepath.Join(dir, "echo.wasm"))), nil)
	require.NoError(t, err)
	out := filepath.Join(dir, "out")
	res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithOutDir(out).WithCacheDir(t.TempDir()))
	require.NoError(t, err)
	assert.Equal(t, check.Unknown, res.Verdict)
	assert.Contains(t, res.Reason, "limits.max_trace_bytes = 16777216")

	bound := report.FileBound(maxTrace)
	require.Equal(t, int64(1<<20), bound)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	sizes := map[string]int64{}
	for _, e := range entries {
		st, err := e.Info()
		require.NoError(t, err)
		sizes[e.Name()] = st.Size()
	}
	t.Logf("run folder: %v", sizes)
	// The cap counts the trace's canonical encoding (the same with or
	// without a run folder, so the run stops at the same event); its JSON
	// lines are at most six times that (README, "See what happened").
	assert.Greater(t, sizes[runfolder.TraceFile], int64(maxTrace), "the trace reached its cap")
	assert.LessOrEqual(t, sizes[runfolder.TraceFile], int64(6*maxTrace))
	for _, f := range []string{runfolder.HistoryFile, runfolder.LamportFile, runfolder.ShiVizFile, runfolder.StatsFile, runfolder.TimelineFile} {
		assert.LessOrEqual(t, sizes[f], bound, f)
	}
	var onDisk runner.Result
	b, err := os.ReadFile(filepath.Join(out, runfolder.ResultsFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &onDisk))
	assert.Equal(t, res.ReportNotes, onDisk.ReportNotes)
	require.Len(t, onDisk.ReportNotes, 3, "%q", onDisk.ReportNotes)
	assert.Regexp(t, `^history.jsonl: cut at its bound of 1048576 bytes .*: the first \d+ of \d+ operations$`, onDisk.ReportNotes[0])
	assert.Regexp(t, `^lamport.html: cut .*events$`, onDisk.ReportNotes[1])
	assert.Regexp(t, `^shiviz.log: cut .*host events$`, onDisk.ReportNotes[2])
}
