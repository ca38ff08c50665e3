// Package schedule names the decisions a run makes at its choice points
// (DESIGN.md, "Choice points and search"): which of the events due at one
// instant goes first, whether a message is dropped or duplicated, and
// whether a node crashes or restarts before an event. A Schedule is the
// list of a run's non-default decisions; replayed against the same
// scenario and seed it reproduces the run exactly.
//
// The package is a leaf: the simulator takes decisions from a chooser, a
// scenario file carries them (schedule:), and a search writes them.
package schedule

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind names a decision.
type Kind string

// The kinds of decision.
const (
	// Order dispatches the Pick-th of the events due at the next instant
	// (in the order the loop would take them, from 0) before the Step-th
	// event; Pick 0 is the loop's own order.
	Order Kind = "order"
	// Drop loses message Msg on its way, though the network let it pass.
	Drop Kind = "drop"
	// Duplicate delivers message Msg twice, the copy with the same delay.
	Duplicate Kind = "duplicate"
	// Crash crashes Node just before the Step-th event.
	Crash Kind = "crash"
	// Restart restarts the crashed Node just before the Step-th event.
	Restart Kind = "restart"
)

// Kinds lists every kind in documentation order.
var Kinds = []Kind{Order, Drop, Duplicate, Crash, Restart}

// Decision is one non-default choice. Only the fields its Kind takes are
// set: Step and Pick (order), Msg (drop, duplicate), Step and Node (crash,
// restart).
type Decision struct {
	Kind Kind
	// Step is the loop event, counted from 1, the decision is made before.
	Step uint64
	// Msg is the message's id (the trace's msg).
	Msg uint64
	// Pick is the index of the event taken among those due at the instant.
	Pick int
	// Node is the node crashed or restarted.
	Node string
}

// Cost is what the decision counts against a deviation bound: an order
// decision skips Pick events (Emmi, Qadeer and Rakamarić's delays,
// "Delay-bounded scheduling", POPL 2011), any other costs one.
func (d Decision) Cost() int {
	if d.Kind == Order {
		return d.Pick
	}
	return 1
}

// String writes the decision as a scenario's schedule: lists it:
// "order STEP PICK", "drop MSG", "duplicate MSG", "crash STEP NODE",
// "restart STEP NODE".
func (d Decision) String() string {
	switch d.Kind {
	case Order:
		return fmt.Sprintf("%s %d %d", d.Kind, d.Step, d.Pick)
	case Drop, Duplicate:
		return fmt.Sprintf("%s %d", d.Kind, d.Msg)
	}
	return fmt.Sprintf("%s %d %s", d.Kind, d.Step, d.Node)
}

// Parse reads a decision written by String.
func Parse(s string) (Decision, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return Decision{}, fmt.Errorf("schedule: empty decision (want one of: %s)", usage)
	}
	d := Decision{Kind: Kind(f[0])}
	var err error
	switch d.Kind {
	case Order:
		if len(f) != 3 {
			return Decision{}, fmt.Errorf("schedule: %q: want \"order STEP PICK\"", s)
		}
		d.Step, err = positive(f[1])
		if err == nil {
			d.Pick, err = strconv.Atoi(f[2])
		}
		if err == nil && d.Pick < 1 {
			err = fmt.Errorf("pick %d is not a deviation (the loop's own order is 0)", d.Pick)
		}
	case Drop, Duplicate:
		if len(f) != 2 {
			return Decision{}, fmt.Errorf("schedule: %q: want \"%s MSG\"", s, d.Kind)
		}
		d.Msg, err = positive(f[1])
	case Crash, Restart:
		if len(f) != 3 {
			return Decision{}, fmt.Errorf("schedule: %q: want \"%s STEP NODE\"", s, d.Kind)
		}
		d.Step, err = positive(f[1])
		d.Node = f[2]
	default:
		return Decision{}, fmt.Errorf("schedule: %q: unknown decision %q (want one of: %s)", s, f[0], usage)
	}
	if err != nil {
		return Decision{}, fmt.Errorf("schedule: %q: %w", s, err)
	}
	return d, nil
}

const usage = "order STEP PICK, drop MSG, duplicate MSG, crash STEP NODE, restart STEP NODE"

func positive(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a positive integer", s)
	}
	return n, nil
}

// Schedule is a run's non-default decisions in the order they were made.
type Schedule []Decision

// Cost sums the decisions' costs (Decision.Cost).
func (s Schedule) Cost() int {
	c := 0
	for _, d := range s {
		c += d.Cost()
	}
	return c
}

// Strings writes each decision with String.
func (s Schedule) Strings() []string {
	out := make([]string, len(s))
	for i, d := range s {
		out[i] = d.String()
	}
	return out
}

// ParseAll reads decisions written by Strings.
func ParseAll(lines []string) (Schedule, error) {
	out := make(Schedule, 0, len(lines))
	for _, l := range lines {
		d, err := Parse(l)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// MarshalYAML writes the decision as a scenario's schedule: list holds
// it, one line.
func (d Decision) MarshalYAML() (any, error) { return d.String(), nil }
