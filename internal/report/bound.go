package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/runfolder"
)

// MinFileBytes is the smallest bound a report file gets, however small the
// run's trace cap: room for lamport.html's page and a few thousand events.
const MinFileBytes = 1 << 20

// FileBound returns the most bytes each report file of a run (lamport.html,
// shiviz.log, stats.json, timeline.json, history.jsonl) may hold when the
// run's trace is capped at maxTraceBytes: a sixteenth of the cap, at least
// MinFileBytes (0: no cap, no bound). With every file at its bound a run
// folder holds at most the trace plus 5/16 of its cap (2 GiB and 640 MiB
// with the default cap), and results.json.
func FileBound(maxTraceBytes uint64) int64 {
	if maxTraceBytes == 0 {
		return 0
	}
	return max(int64(min(maxTraceBytes/16, 1<<62)), MinFileBytes)
}

// boundNote is the note for a file cut at its bound.
func boundNote(file string, bound int64, what string) string {
	return fmt.Sprintf("%s: cut at its bound of %d bytes (limits.max_trace_bytes / 16, at least 1 MiB): %s", file, bound, what)
}

// Notes about the report files start with their names (boundNote,
// NotWritten).
var reportFiles = []string{runfolder.LamportFile, runfolder.ShiVizFile, runfolder.StatsFile, runfolder.TimelineFile}

// NotWritten is the note for a run folder whose report files were not
// written: why says why.
func NotWritten(why string) string {
	return strings.Join(reportFiles, ", ") + ": not written: " + why + " (terrarium inspect DIR --write writes them)"
}

// noteResults sets the notes about the report files in dir's
// results.json's report_notes to notes, keeping the other notes.
func noteResults(dir string, notes []string) error {
	res, err := runfolder.ReadResults(dir)
	if err != nil {
		return err
	}
	keep := res.ReportNotes[:0:0]
	for _, n := range res.ReportNotes {
		if !slices.ContainsFunc(reportFiles, func(f string) bool { return strings.HasPrefix(n, f) }) {
			keep = append(keep, n)
		}
	}
	if len(keep) == len(res.ReportNotes) && len(notes) == 0 {
		return nil
	}
	res.ReportNotes = append(keep, notes...)
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	path := filepath.Join(dir, runfolder.ResultsFile)
	if err := os.WriteFile(path+".tmp", append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
