package report_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/report"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func TestFileBound(t *testing.T) {
	assert.Equal(t, int64(128<<20), report.FileBound(2<<30), "a sixteenth of the default trace cap")
	assert.Equal(t, int64(report.MinFileBytes), report.FileBound(4<<20), "at least 1 MiB")
	assert.Equal(t, int64(0), report.FileBound(0), "no trace cap, no bound")
}

// fileSize returns the size of dir/name.
func fileSize(t *testing.T, dir, name string) int64 {
	t.Helper()
	st, err := os.Stat(filepath.Join(dir, name))
	require.NoError(t, err)
	return st.Size()
}

// notes returns results.json's report_notes.
func notes(t *testing.T, dir string) []string {
	t.Helper()
	var res runfolder.Result
	readJSON(t, filepath.Join(dir, runfolder.ResultsFile), &res)
	return res.ReportNotes
}

// Reference: issue 15, "Run files stay within documented bounds": every
// report file of a run whose trace would make it larger is cut at its
// bound, says so itself and in results.json, and stays readable.
func TestReportsAreCutAtTheirBound(t *testing.T) {
	const n, bound = 60_000, report.MinFileBytes
	dir := t.TempDir()
	synthTrace(t, dir, n)

	// Unbounded, the two streamed reports are well past the bound.
	got, err := report.WriteWithin(context.Background(), dir, 0)
	require.NoError(t, err)
	assert.Empty(t, got)
	require.Greater(t, fileSize(t, dir, runfolder.LamportFile), int64(2*bound))
	require.Greater(t, fileSize(t, dir, runfolder.ShiVizFile), int64(2*bound))

	got, err = report.WriteWithin(context.Background(), dir, bound)
	require.NoError(t, err)
	for _, f := range []string{runfolder.LamportFile, runfolder.ShiVizFile, runfolder.StatsFile, runfolder.TimelineFile} {
		assert.LessOrEqual(t, fileSize(t, dir, f), int64(bound), f)
	}
	require.Len(t, got, 2)
	assert.Regexp(t, `^lamport.html: cut at its bound of 1048576 bytes \(limits.max_trace_bytes / 16, at least 1 MiB\): the first \d+ of 60000 events$`, got[0])
	assert.Regexp(t, `^shiviz.log: cut at its bound of 1048576 bytes .*: the first \d+ of \d+ host events$`, got[1])
	assert.Equal(t, got, notes(t, dir), "results.json says what was cut")

	// lamport.html: a whole page with the rows that fit, the note inside.
	b, err := os.ReadFile(filepath.Join(dir, runfolder.LamportFile))
	require.NoError(t, err)
	page := string(b)
	assert.True(t, strings.HasSuffix(strings.TrimSpace(page), "</html>"), "the page is whole")
	var m meta
	require.NoError(t, json.Unmarshal([]byte(embedded(t, page, "meta")), &m))
	assert.Equal(t, got[0], m.Cut)
	var rows [][]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(embedded(t, page, "ev")), &rows))
	assert.Len(t, rows, m.Count)
	assert.Greater(t, m.Count, 1000)
	assert.Less(t, m.Count, n)
	assert.Contains(t, got[0], fmt.Sprintf("the first %d of", m.Count))
	for _, mk := range m.Marks {
		assert.Less(t, mk[2], m.Count, "state marks stay within the rows kept")
	}

	// shiviz.log: the header says it was cut; the events after it are
	// whole two-line records.
	f, err := os.Open(filepath.Join(dir, runfolder.ShiVizFile))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	var header []string
	for sc.Scan() && sc.Text() != "" {
		header = append(header, sc.Text())
	}
	assert.Contains(t, strings.Join(header, "\n"), "# CUT: the first ")
	var records int
	for sc.Scan() {
		require.Regexp(t, `^\S+ \{.*\}$`, sc.Text(), "record %d's host line", records)
		require.True(t, sc.Scan(), "record %d has its event line", records)
		records++
	}
	require.NoError(t, sc.Err())
	assert.Contains(t, got[1], fmt.Sprintf("the first %d of", records))

	// Written again without a bound, the notes go away.
	got, err = report.WriteWithin(context.Background(), dir, 0)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Empty(t, notes(t, dir))
}

// stats.json past its bound keeps its totals and says what it left out.
func TestStatsCutAtTheirBound(t *testing.T) {
	const types = 20_000
	evs := make([]trace.Event, 0, 2*types)
	for i := range types {
		msg := uint64(i + 1)
		evs = append(evs, trace.Event{Time: int64(i), Kind: trace.KindSend, Node: 0, Peer: 1, Msg: msg, Label: fmt.Sprintf("type-%d", i)},
			trace.Event{Time: int64(i) + 1, Kind: trace.KindDeliver, Node: 1, Peer: 0, Msg: msg})
	}
	dir := runFolder(t, []string{"n0", "n1"}, nil, types, evs)
	got, err := report.WriteWithin(context.Background(), dir, report.MinFileBytes)
	require.NoError(t, err)
	assert.Contains(t, got, "stats.json: cut at its bound of 1048576 bytes (limits.max_trace_bytes / 16, at least 1 MiB): only the totals are here")
	assert.LessOrEqual(t, fileSize(t, dir, runfolder.StatsFile), int64(report.MinFileBytes))
	var st report.Stats
	readJSON(t, filepath.Join(dir, runfolder.StatsFile), &st)
	assert.Equal(t, uint64(types), st.Total.Sent)
	assert.Equal(t, uint64(types), st.Total.Delivered)
	assert.Empty(t, st.Types)
	assert.Contains(t, st.Cut, "only the totals are here")
	assert.Equal(t, got, notes(t, dir))
}

// An interrupted report pass stops with the context's error and leaves no
// temporary files.
func TestWriteStopsWhenTheContextEnds(t *testing.T) {
	dir := t.TempDir()
	synthTrace(t, dir, 20_000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := report.WriteWithin(ctx, dir, 0)
	require.ErrorIs(t, err, context.Canceled)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), ".tmp"), e.Name())
		assert.NotEqual(t, runfolder.LamportFile, e.Name())
	}
}

// Labels the page lists once (emit keys, here 2,000 bytes each, all
// different) count against lamport.html's bound like its rows.
func TestLamportBoundCountsItsLabels(t *testing.T) {
	const n = 3000
	evs := make([]trace.Event, 0, n)
	for i := range n {
		evs = append(evs, trace.Event{Time: int64(i), Kind: trace.KindEmit, Node: 0, Peer: -1, Label: fmt.Sprintf("%04d%s", i, strings.Repeat("k", 1996)), Data: []byte(`{"v":1}`)})
	}
	dir := runFolder(t, []string{"n0"}, nil, n, evs)
	got, err := report.WriteWithin(context.Background(), dir, report.MinFileBytes)
	require.NoError(t, err)
	assert.LessOrEqual(t, fileSize(t, dir, runfolder.LamportFile), int64(report.MinFileBytes))
	require.NotEmpty(t, got)
	assert.Regexp(t, `^lamport.html: cut .*: the first \d+ of 3000 events$`, got[0])
	b, err := os.ReadFile(filepath.Join(dir, runfolder.LamportFile))
	require.NoError(t, err)
	var m meta
	require.NoError(t, json.Unmarshal([]byte(embedded(t, string(b), "meta")), &m))
	assert.Len(t, m.Labels, m.Count+1, "one label a row kept, after the empty one")
}
