// Package runfolder owns a run folder: the names of the files it holds and
// the shape of results.json, the run's outcome that scripts and CI read.
// It reads and writes that file; rendering the other files (the Lamport
// diagram, stats, timeline) is the report's job. It is a leaf: it compiles
// against neither the simulator nor the Wasm engine.
package runfolder

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// ErrNotRunFolder marks a folder that is not a readable run folder: a
// required file is missing or cannot be parsed. The error's text names the
// file.
var ErrNotRunFolder = errors.New("not a run folder")

// Files a run folder holds: results.json and the trace are required, the
// others are written beside them.
const (
	ResultsFile  = "results.json"
	TraceFile    = "trace.jsonl"
	HistoryFile  = "history.jsonl"
	LamportFile  = "lamport.html"
	StatsFile    = "stats.json"
	TimelineFile = "timeline.json"
	ShiVizFile   = "shiviz.log"
)

// Result is the content of results.json: the one declaration of that
// file's shape.
type Result struct {
	Scenario    string        `json:"scenario"`
	Name        string        `json:"name"`
	Seed        uint64        `json:"seed"`
	Valid       bool          `json:"valid"`
	Verdict     check.Verdict `json:"verdict"`
	TraceSHA256 string        `json:"trace_sha256"`
	// Reason says why a run that did not finish has verdict unknown: it
	// was interrupted, or it reached a run-wide cap.
	Reason string `json:"reason,omitempty"`
	// Reproducible is false if the wall-clock watchdog fired.
	Reproducible bool                    `json:"reproducible"`
	Checks       map[string]check.Result `json:"checks"`
	Stats        trace.Stats             `json:"stats"`
	Crashes      []Crash                 `json:"crashes,omitempty"`
	// Findings lists what the checks saw beyond the reference they follow
	// (see check.Finding), check by check in the scenario's order. They
	// fail the run only when Strict is set.
	Findings []Finding `json:"findings,omitempty"`
	// Strict is true when the scenario asked for findings to fail the run
	// (strict: true, terrarium test --strict).
	Strict bool `json:"strict,omitempty"`
	// ReportNotes says which files of the run folder were cut at their
	// bound or not written, and why.
	ReportNotes []string `json:"report_notes,omitempty"`
	// Nodes and Clients name every endpoint by index, as the trace uses them.
	Nodes   []string `json:"nodes"`
	Clients []string `json:"clients"`
}

// Finding is one check's finding, as results.json lists it:
// {"check", "name", "summary", "details"}.
type Finding struct {
	Check string `json:"check"`
	check.Finding
}

// Crash records a node that ended the run crashed.
type Crash struct {
	Node   string `json:"node"`
	Reason string `json:"reason"`
}

// Check returns an ErrNotRunFolder error naming the first missing
// required file of dir.
func Check(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("report: %w: %s: %v", ErrNotRunFolder, dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("report: %w: %s is not a directory", ErrNotRunFolder, dir)
	}
	for _, f := range []string{ResultsFile, TraceFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return fmt.Errorf("report: %w: %s has no %s", ErrNotRunFolder, dir, f)
		}
	}
	return nil
}

// ReadResults reads dir's results.json. A file written before
// "reproducible" existed reads as reproducible.
func ReadResults(dir string) (*Result, error) {
	p := filepath.Join(dir, ResultsFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("report: %w: %v", ErrNotRunFolder, err)
	}
	r := Result{Reproducible: true}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("report: %w: %s: %v", ErrNotRunFolder, p, err)
	}
	return &r, nil
}

// WriteResults writes res as dir's results.json, indented, with a final
// newline.
func WriteResults(dir string, res *Result) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("runner: results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ResultsFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	return nil
}
