package runner

import (
	"errors"
	"fmt"
	"slices"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Snapshot is a prepared run's state between two events (Run.Snapshot):
// the simulation's (sim.Snapshot), the faults the run injected and was
// given by hand so far, and the events its checks' per-step predicates
// saw.
type Snapshot struct {
	sim              *sim.Snapshot
	injected, manual []scenario.Fault
	events           []trace.Event
}

// Events returns the events the run had recorded when sn was taken, if
// it kept them (its checks have per-step predicates), to bring another
// per-step observer of a restored run to the same state. Read only.
func (sn *Snapshot) Events() []trace.Event { return sn.events }

// Snapshot copies the run's state now, between events, for Restore into
// another run of the same scenario and options. Beside what
// sim.Sim.Snapshot refuses, it refuses a run that has finished, one whose
// scheduled fault failed, and one whose checks keep per-step predicates
// unless it was prepared with Options.WithSnapshots (a predicate is Go
// state: a restored run's is made anew and shown the events the
// snapshot's run had recorded, which the run keeps for that).
func (r *Run) Snapshot() (*Snapshot, error) {
	if err := r.snapshotable(); err != nil {
		return nil, fmt.Errorf("runner: snapshot: %w", err)
	}
	sn, err := r.s.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	return &Snapshot{sim: sn, injected: slices.Clone(r.injected), manual: slices.Clone(r.manual), events: slices.Clip(r.seen)}, nil
}

func (r *Run) snapshotable() error {
	switch {
	case r.result != nil:
		return errors.New("the run has finished")
	case r.faultErr != nil:
		return fmt.Errorf("a scheduled fault failed: %w", r.faultErr)
	case len(r.preds) > 0 && !r.opts.snapshots:
		return fmt.Errorf("check %s has a per-step predicate and the run keeps no events for it (Options.WithSnapshots)", r.preds[0].check)
	}
	return nil
}

// Restore puts sn into r, a run prepared from the same scenario and
// options as sn's and not stepped yet. It first runs r's first instant
// (AdvanceTo(0): the nodes boot, as sim.Sim.Restore needs), hidden from
// the checks' predicates (other observers and the chooser see it, and
// are to ignore it), then replaces the state and shows the predicates,
// made anew, the events sn's run had recorded. The run then goes on as
// sn's went on, to the same digest and verdict.
func (r *Run) Restore(sn *Snapshot) error {
	if err := r.snapshotable(); err != nil {
		return fmt.Errorf("runner: restore: %w", err)
	}
	if r.s.Steps() > 0 {
		return errors.New("runner: restore: the run has stepped already")
	}
	r.mute = true
	err := r.AdvanceTo(0)
	r.mute = false
	if err != nil {
		return fmt.Errorf("runner: restore: its first instant: %w", err)
	}
	if err := r.s.Restore(sn.sim); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	r.injected, r.manual = slices.Clone(sn.injected), slices.Clone(sn.manual)
	r.broken, r.stopped, r.seen = nil, "", slices.Clip(sn.events)
	if len(r.preds) > 0 {
		r.freshPreds()
		for _, e := range sn.events {
			r.see(e)
		}
	}
	return nil
}
