// Package fault is Terrarium's one fault type: a kind plus typed arguments,
// with nodes named. The scenario file, the nemeses, the Go API, the run
// handle, shrinking, the trace and the reports all speak it.
//
// A fault says what happens, not when: the scenario's timed list, a nemesis
// or a hand on the run handle decides that. In the trace a fault is one
// event of kind "fault" whose label is the kind and whose data is the
// fault's JSON encoding (see [Fault.Encode]).
//
// A [Filter] is the standing form of a message fault, installed on a
// simulation from Go: it drops, delays, duplicates or holds every message
// it matches, and its kinds are fault kinds too.
package fault

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind names a fault.
type Kind string

// The fault kinds. Their names follow turmoil's and Jepsen's vocabulary.
const (
	// Partition cuts every link between each pair of Groups, both ways.
	Partition Kind = "partition"
	// PartitionOneWay cuts the links from every node in From to every node in To.
	PartitionOneWay Kind = "partition_oneway"
	// Repair heals every partition.
	Repair Kind = "repair"
	// Crash destroys Node's instance, timers and inbound messages; its store survives.
	Crash Kind = "crash"
	// Restart boots a crashed Node again (on_init with restart: true).
	Restart Kind = "restart"
	// Bounce is a crash followed at once by a restart.
	Bounce Kind = "bounce"
	// Pause freezes Node: it receives nothing and its timers stand still.
	Pause Kind = "pause"
	// Resume unfreezes a paused Node.
	Resume Kind = "resume"
	// Hold keeps messages from From[0] to To[0] ("*" matches any) until Release.
	Hold Kind = "hold"
	// Release delivers held messages from From[0] to To[0], in held order.
	Release Kind = "release"
	// Skew offsets Node's clock by By.
	Skew Kind = "skew"
	// Drift changes Node's clock rate by PPM parts per million.
	Drift Kind = "drift"
)

// Kinds lists every fault kind in documentation order.
var Kinds = []Kind{Partition, PartitionOneWay, Repair, Crash, Restart, Bounce, Pause, Resume, Hold, Release, Skew, Drift}

// The message fault kinds a Filter applies, besides Hold.
const (
	// Drop loses the message.
	Drop Kind = "drop"
	// Delay adds Filter.Delay to the message's latency.
	Delay Kind = "delay"
	// Duplicate delivers the message twice.
	Duplicate Kind = "duplicate"
)

// FilterKinds lists the kinds a Filter may apply, in documentation order.
var FilterKinds = []Kind{Drop, Delay, Duplicate, Hold}

// Filter is a standing message fault: from when it is installed until it is
// removed, it applies its Kind to every message it matches when the message
// is sent (Drop, Delay or Duplicate it, or Hold it until a Release). It
// matches by the message's type, sender and receiver; "" (or "*" for a
// node) matches any.
type Filter struct {
	Type, From, To string
	Kind           Kind
	// Delay is what a Delay filter adds to a message's latency.
	Delay time.Duration
}

// Validate checks f's kind and that a delay is positive. Node names are
// checked by whoever knows the nodes.
func (f Filter) Validate() error {
	if !slices.Contains(FilterKinds, f.Kind) {
		s := make([]string, len(FilterKinds))
		for i, k := range FilterKinds {
			s[i] = string(k)
		}
		return fmt.Errorf("fault: filter: unknown kind %q (known: %s)", f.Kind, strings.Join(s, ", "))
	}
	if f.Kind == Delay && f.Delay <= 0 {
		return fmt.Errorf("fault: filter: delay action needs a positive Delay")
	}
	return nil
}

// Args returns the argument fields a kind takes, by their scenario names.
func (k Kind) Args() []string {
	switch k {
	case Partition:
		return []string{"groups"}
	case PartitionOneWay, Hold, Release:
		return []string{"from", "to"}
	case Crash, Restart, Bounce, Pause, Resume:
		return []string{"node"}
	case Skew:
		return []string{"node", "by"}
	case Drift:
		return []string{"node", "ppm"}
	}
	return adversaryArgs(k)
}

// Check reports a kind that is not Known, for a scenario's action: to
// place at the field.
func (k Kind) Check() error {
	if !k.Known() {
		return fmt.Errorf("unknown action %q (known: %s)", k, KindNames())
	}
	return nil
}

// OneEnd reports whether the kind's from and to each name one end (a
// node or "*"; an adversary's also a client or a service), written as a
// scalar, rather than a list of nodes.
func (k Kind) OneEnd() bool { return k == Hold || k == Release || k.Adversary() }

// Known reports whether k is a fault kind (one of Kinds or AdversaryKinds).
func (k Kind) Known() bool { return slices.Contains(Kinds, k) || k.Adversary() }

// KindNames lists every kind's name, for error messages.
func KindNames() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Fault is one fault action. Only the fields its Kind takes are set.
type Fault struct {
	Kind Kind `json:"action" yaml:"action"`
	// Node is the target of crash, restart, bounce, pause, resume, skew, drift.
	Node string `json:"node,omitempty" yaml:"node,omitempty"`
	// Groups are the sides of a partition: two or more lists of node names.
	Groups [][]string `json:"groups,omitempty" yaml:"groups,omitempty"`
	// From and To are the sides of partition_oneway (lists of nodes) and of
	// hold and release (one name each, or "*").
	From []string `json:"from,omitempty" yaml:"from,omitempty"`
	To   []string `json:"to,omitempty" yaml:"to,omitempty"`
	// By is skew's clock offset.
	By time.Duration `json:"by,omitempty" yaml:"by,omitempty" check:"signed"`
	// PPM is drift's rate change, in parts per million (within ±MaxPPM).
	PPM int64 `json:"ppm,omitempty" yaml:"ppm,omitempty" range:"-999999,999999"`
	// Attacker is the node that receives an impersonated node's traffic.
	Attacker string `json:"attacker,omitempty" yaml:"attacker,omitempty"`
	// Body is what forge sends, and the JSON fields tamper writes.
	Body string `json:"body,omitempty" yaml:"body,omitempty" check:"str"`
}

// Timed is a fault action at a virtual time: an item of a scenario's
// faults: list (scenario.Fault), or an action applied by hand to a
// running simulation.
type Timed struct {
	// At is the virtual time of the action.
	At time.Duration `yaml:"at" check:"required"`
	// BeforeEvent, if not zero, pins the fault just before the run's
	// BeforeEvent-th event (counted from 1 over every event the loop
	// dispatches), with the clock at At. A fault applied by hand to a
	// running simulation is exported this way, so that it replays exactly
	// where it happened, even between two events of one instant.
	BeforeEvent uint64 `yaml:"before_event,omitempty" range:"1,9007199254740992" docafter:"action"`
	Fault       `yaml:",inline" check:"manual"`
	// Line is the line of the fault's mapping in its scenario file.
	Line int `yaml:"-" pos:"line"`
}

// CheckAfter returns the problem with t, pinned to an event, coming after
// prev in time but pinned to an earlier event; nil if there is none.
func (t Timed) CheckAfter(prev Timed) error {
	if prev.BeforeEvent > 0 && t.BeforeEvent > 0 && t.BeforeEvent < prev.BeforeEvent {
		return fmt.Errorf("before_event %d at %v comes after before_event %d at %v: pinned faults must be in the order of both", t.BeforeEvent, t.At, prev.BeforeEvent, prev.At)
	}
	return nil
}

// MaxPPM bounds a drift's rate change.
const MaxPPM = 999_999

// Validate checks that f has its kind's arguments and no others. Node names
// are checked by whoever knows the nodes.
func (f Fault) Validate() error {
	if !f.Kind.Known() {
		return fmt.Errorf("fault: unknown kind %q (known: %s)", f.Kind, KindNames())
	}
	takes := f.Kind.Args()
	set := map[string]bool{
		"node": f.Node != "", "groups": f.Groups != nil, "from": f.From != nil, "to": f.To != nil,
		"by": f.By != 0, "ppm": f.PPM != 0, "attacker": f.Attacker != "", "body": f.Body != "",
	}
	for _, name := range []string{"node", "groups", "from", "to", "by", "ppm", "attacker", "body"} {
		if set[name] && !slices.Contains(takes, name) {
			return fmt.Errorf("fault: %s does not take %s (it takes: %s)", f.Kind, name, orNothing(takes))
		}
	}
	if f.Kind.Adversary() {
		return f.validateAdversary()
	}
	switch f.Kind {
	case Partition:
		if len(f.Groups) < 2 {
			return fmt.Errorf("fault: partition needs two or more groups, got %d", len(f.Groups))
		}
		for i, g := range f.Groups {
			if err := names(g, fmt.Sprintf("groups[%d]", i)); err != nil {
				return err
			}
		}
	case PartitionOneWay:
		if err := names(f.From, "from"); err != nil {
			return err
		}
		if err := names(f.To, "to"); err != nil {
			return err
		}
	case Hold, Release:
		if len(f.From) != 1 || len(f.To) != 1 || f.From[0] == "" || f.To[0] == "" {
			return fmt.Errorf("fault: %s needs one name (or \"*\") in from and in to", f.Kind)
		}
	case Crash, Restart, Bounce, Pause, Resume, Skew, Drift:
		if f.Node == "" {
			return fmt.Errorf("fault: %s needs a node", f.Kind)
		}
		if f.Kind == Drift && (f.PPM < -MaxPPM || f.PPM > MaxPPM) {
			return fmt.Errorf("fault: drift ppm %d is outside [-%d, %d]", f.PPM, MaxPPM, MaxPPM)
		}
	}
	return nil
}

func names(l []string, field string) error {
	if len(l) == 0 {
		return fmt.Errorf("fault: %s must name at least one node", field)
	}
	for _, n := range l {
		if n == "" {
			return fmt.Errorf("fault: %s has an empty node name", field)
		}
	}
	return nil
}

func orNothing(l []string) string {
	if len(l) == 0 {
		return "nothing"
	}
	return strings.Join(l, ", ")
}

// Nodes returns every node name f mentions, in order, without "*".
func (f Fault) Nodes() []string {
	var out []string
	add := func(n string) {
		if n != "" && n != "*" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	add(f.Node)
	for _, g := range f.Groups {
		for _, n := range g {
			add(n)
		}
	}
	for _, n := range f.From {
		add(n)
	}
	for _, n := range f.To {
		add(n)
	}
	add(f.Attacker)
	return out
}

// String is a short human form: "crash n1", "partition [n0] | [n1 n2]".
func (f Fault) String() string {
	switch f.Kind {
	case Partition:
		parts := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			parts[i] = fmt.Sprint(g)
		}
		return "partition " + strings.Join(parts, " | ")
	case PartitionOneWay:
		return fmt.Sprintf("partition_oneway %v -> %v", f.From, f.To)
	case Hold, Release, Eavesdrop, Tamper, Replay, Forge:
		return fmt.Sprintf("%s %s -> %s", f.Kind, first(f.From), first(f.To))
	case Impersonate:
		return fmt.Sprintf("impersonate %s by %s", f.Node, f.Attacker)
	case Secure:
		return "secure"
	case Skew:
		return fmt.Sprintf("skew %s by %v", f.Node, f.By)
	case Drift:
		return fmt.Sprintf("drift %s %+d ppm", f.Node, f.PPM)
	case Repair:
		return "repair"
	}
	return string(f.Kind) + " " + f.Node
}

func first(l []string) string {
	if len(l) == 0 {
		return "*"
	}
	return l[0]
}

// Encode returns f's canonical JSON encoding, as the trace records it.
func (f Fault) Encode() []byte {
	b, _ := json.Marshal(f) // a Fault holds only strings, lists and integers: it cannot fail
	return b
}

// Decode reads a fault from its JSON encoding and validates it.
func Decode(b []byte) (Fault, error) {
	var f Fault
	if err := json.Unmarshal(b, &f); err != nil {
		return Fault{}, fmt.Errorf("fault: decode: %w", err)
	}
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	return f, nil
}

// ErrUnknownNode is wrapped by errors that name a node the run does not have.
var ErrUnknownNode = errors.New("unknown node")
