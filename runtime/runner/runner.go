// Package runner turns a scenario into a run: it loads the modules, sets up
// the simulation, network, faults and workload, and then either runs it to
// the end (Execute) or hands it out to be driven (Prepare, Start): advanced to
// a virtual time, stepped one event at a time, broken by hand, watched
// event by event, finished into a verdict and a run folder.
package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// Result is the outcome of a run: what its results.json holds, and the
// faults it injected and was given by hand, which that file does not hold.
type Result struct {
	runfolder.Result
	// Injected lists the faults the nemeses injected, as timed faults.
	Injected []scenario.Fault `json:"-"`
	// Manual lists the faults applied by hand, pinned to where they
	// happened (see Run.Apply).
	Manual []scenario.Fault `json:"-"`
}

// InputError marks a problem with the scenario or its modules (CLI exit 2),
// as opposed to a failure while running.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(err error) error { return &InputError{Err: err} }

// Load reads and validates a scenario file against a registry's workloads
// and checks (nil: the core ones).
func Load(path string, reg *Registry) (*scenario.Scenario, error) {
	if reg == nil {
		reg = NewRegistry()
	}
	s, err := scenario.LoadWith(path, scenario.Options{Workloads: reg.WorkloadNames(), Checks: reg.CheckNames()})
	if err != nil {
		return nil, inputErr(err)
	}
	return s, nil
}

// Parse reads and validates a scenario from bytes (YAML, or JSON, which is
// YAML too); name is used in error messages. Module paths stay as written.
func Parse(name string, data []byte, reg *Registry) (*scenario.Scenario, error) {
	if reg == nil {
		reg = NewRegistry()
	}
	s, err := scenario.ParseWith(name, data, scenario.Options{Workloads: reg.WorkloadNames(), Checks: reg.CheckNames()})
	if err != nil {
		return nil, inputErr(err)
	}
	return s, nil
}

// Execute runs a loaded scenario to its end and returns its result. A run
// stopped by ctx, or by a run-wide cap, still returns a result, with
// verdict unknown and the reason, and writes its run folder.
func Execute(ctx context.Context, scn *scenario.Scenario, opts Options) (*Result, error) {
	if opts.allEvents == nil {
		opts = opts.WithAllEvents(false)
	}
	r, err := Prepare(ctx, scn, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Finish()
}

// historyNoteRoom is what history.jsonl keeps free under its bound for the
// line that says it was cut.
const historyNoteRoom = 512

// writeHistory writes history.jsonl, one operation a line, within bound
// bytes (0: no bound). A history past it is cut: its last line is
// {"cut": NOTE}, and NOTE is returned.
func writeHistory(dir string, hist []history.Op, bound int64) (note string, err error) {
	f, err := os.Create(filepath.Join(dir, runfolder.HistoryFile))
	if err != nil {
		return "", fmt.Errorf("runner: %w", err)
	}
	w := bufio.NewWriter(f)
	var written int64
	for i, op := range hist {
		b, err := json.Marshal(op)
		if err != nil {
			f.Close()
			return "", fmt.Errorf("runner: history: %w", err)
		}
		if bound > 0 && written+int64(len(b)+1) > bound-historyNoteRoom {
			note = fmt.Sprintf("%s: cut at its bound of %d bytes (limits.max_trace_bytes / 16, at least 1 MiB): the first %d of %d operations", runfolder.HistoryFile, bound, i, len(hist))
			line, _ := json.Marshal(map[string]string{"cut": note})
			w.Write(append(line, '\n'))
			break
		}
		written += int64(len(b) + 1)
		w.Write(append(b, '\n'))
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		return "", fmt.Errorf("runner: history: %w", err)
	}
	return note, nil
}
