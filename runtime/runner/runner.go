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

	"github.com/terrarium-sim/terrarium/runtime/report"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// Result is the outcome of a run, and the content of results.json.
type Result = report.Result

// Finding is one check's finding in a Result.
type Finding = report.Finding

// Crash records a node that ended the run crashed.
type Crash = report.Crash

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

func writeOut(dir string, res *Result, hist []sim.Op) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("runner: results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, op := range hist {
		if err := enc.Encode(op); err != nil {
			f.Close()
			return fmt.Errorf("runner: history: %w", err)
		}
	}
	return errors.Join(w.Flush(), f.Close())
}
