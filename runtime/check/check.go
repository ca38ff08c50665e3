// Package check holds the checkers that judge a run from its client history
// and the events its nodes emitted. A verdict is tri-state: a run can be
// valid, invalid, or unknown (not enough evidence, e.g. every request timed
// out); unknown is never reported as a pass.
package check

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Verdict is a checker's answer.
type Verdict string

// Verdicts.
const (
	Valid   Verdict = "valid"
	Invalid Verdict = "invalid"
	Unknown Verdict = "unknown"
)

// Result is one checker's verdict with the evidence.
type Result struct {
	Verdict Verdict `json:"verdict"`
	// Summary is one line a person reads first.
	Summary string `json:"summary"`
	// Details are the checker's numbers and counterexamples.
	Details map[string]any `json:"details,omitempty"`
	// Findings are what the checker saw beyond the reference it follows
	// (an anomaly Maelstrom, Jepsen or Elle does not have). They never
	// change Verdict; a run fails on them only when it is strict (a
	// scenario's strict: true, terrarium test --strict).
	Findings []Finding `json:"findings,omitempty"`
}

// Finding is one named stricter check that did not hold: Name is its
// anomaly (e.g. "phantom-commit"), Summary one line with the first case,
// Details its cases.
type Finding struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
	Details any    `json:"details,omitempty"`
}

// Find adds a finding named name with its cases (a finding with no case
// is not added); the summary counts them and quotes the first.
func (r *Result) Find(name string, cases []string) {
	if len(cases) == 0 {
		return
	}
	r.Findings = append(r.Findings, Finding{Name: name, Summary: fmt.Sprintf("%d cases; first: %s", len(cases), cases[0]),
		Details: cases[:min(len(cases), 10)]})
}

// Input is what a checker may read.
type Input struct {
	History []history.Op
	// Events are the run's emit, boot, crash, restart and fault events in
	// trace order; every event, messages included, when the run was made
	// with runner.Options.WithAllEvents(true) (or driven through Prepare).
	Events []trace.Event
	Nodes  []string
	Params json.RawMessage
}

// Checker judges a run.
type Checker func(in Input) Result

// Invariant is a check's per-step predicate, beside its Checker: for one
// run (its nodes, by trace index, and the check's params) it returns a
// function that sees every trace event as it is recorded and returns an
// error at the first event that breaks the property. A run whose
// scenario names the check installs it (runtime/runner), and the first
// error fails the check there, named by its event (Violation), whatever
// the end-of-run Checker says. It must only observe: it keeps its own
// state and never changes the run. TigerBeetle's state checkers
// (src/testing/cluster/state_checker.zig, StateChecker.check_state) assert
// on every step likewise.
type Invariant func(nodes []string, params json.RawMessage) func(trace.Event) error

// Violation is the result of a check whose Invariant broke at event ev
// with err: invalid, its summary naming the event, Details "violations"
// (the event as the one Witness, which the playground pins) and
// "property" "safety".
func Violation(ev trace.Event, nodes []string, err error) Result {
	w := WitnessOf(ev, Input{Nodes: nodes}, err.Error())
	where := fmt.Sprint(ev.Kind)
	if w.Node != "" {
		where += " on " + w.Node
	}
	return Result{Verdict: Invalid, Summary: fmt.Sprintf("event %d (%s at %s): %v", ev.Seq, where, w.At, err),
		Details: map[string]any{"violations": []Witness{w}, "property": PropertySafety}}
}

// The properties a failing result's Details "property" names: safety
// (something wrong happened) and liveness (something never happened: the
// run is stuck).
const (
	PropertySafety   = "safety"
	PropertyLiveness = "liveness"
)

var registry = map[string]Checker{
	"echo":               Echo,
	"broadcast-set-full": BroadcastSetFull,
	"eventually":         Eventually,
}

// Names lists the registered checkers.
func Names() []string {
	var n []string
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Get returns a registered checker.
func Get(name string) (Checker, error) {
	c, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("check: unknown checker %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return c, nil
}

// Echo checks that every successful echo reply carries exactly the payload
// its request sent.
func Echo(in Input) Result {
	done, _ := history.Pairs(in.History)
	var ok, info, fail int
	var bad []string
	for _, p := range done {
		inv, c := p[0], p[1]
		if inv.F != "echo" {
			continue
		}
		switch c.Type {
		case history.OpOK:
			ok++
			if string(inv.Value) != string(c.Value) {
				bad = append(bad, fmt.Sprintf("op %d at %s: sent %s, got %s back", inv.Index, inv.Node, inv.Value, c.Value))
			}
		case history.OpInfo:
			info++
		case history.OpFail:
			fail++
		}
	}
	d := map[string]any{"ok": ok, "timeouts": info, "failed": fail}
	switch {
	case len(bad) > 0:
		d["mismatches"] = bad
		return Result{Verdict: Invalid, Summary: fmt.Sprintf("%d of %d replies did not match their request; first: %s", len(bad), ok, bad[0]), Details: d}
	case ok == 0:
		return Result{Verdict: Unknown, Summary: "no echo request completed", Details: d}
	}
	return Result{Verdict: Valid, Summary: fmt.Sprintf("%d replies matched their requests (%d timed out)", ok, info), Details: d}
}

// BroadcastSetFull checks Maelstrom's broadcast property: every value whose
// broadcast was acknowledged is present in every node's final read.
func BroadcastSetFull(in Input) Result {
	done, _ := history.Pairs(in.History)
	acked := map[int]bool{}
	attempted := 0
	reads := map[string][]int{}
	failedReads := map[string]string{}
	for _, p := range done {
		inv, c := p[0], p[1]
		switch inv.F {
		case "broadcast":
			attempted++
			if c.Type == history.OpOK {
				if v, err := Int(inv.Value); err == nil {
					acked[v] = true
				}
			}
		case "read":
			if c.Type != history.OpOK {
				failedReads[inv.Node] = c.Type
				continue
			}
			vs, err := Ints(c.Value)
			if err != nil {
				failedReads[inv.Node] = fmt.Sprintf("undecodable: %v", err)
				continue
			}
			reads[inv.Node] = vs // the last successful read of a node is its final read
		}
	}
	var readFailures []string
	for n, why := range failedReads {
		if _, ok := reads[n]; !ok {
			readFailures = append(readFailures, fmt.Sprintf("%s (%s)", n, why))
		}
	}
	sort.Strings(readFailures)
	var ackedList []int
	for v := range acked {
		ackedList = append(ackedList, v)
	}
	sort.Ints(ackedList)
	var nodeNames []string
	for n := range reads {
		nodeNames = append(nodeNames, n)
	}
	sort.Strings(nodeNames)
	lost := map[string][]int{}
	var lostTotal int
	for _, n := range nodeNames {
		have := map[int]bool{}
		for _, v := range reads[n] {
			have[v] = true
		}
		for _, v := range ackedList {
			if !have[v] {
				lost[n] = append(lost[n], v)
				lostTotal++
			}
		}
	}
	d := map[string]any{"attempted": attempted, "acknowledged": len(ackedList), "final_reads": len(reads)}
	if lostTotal > 0 {
		d["lost"] = lost
		first := nodeNames[0]
		for _, n := range nodeNames {
			if len(lost[n]) > 0 {
				first = n
				break
			}
		}
		return Result{Verdict: Invalid, Details: d, Summary: fmt.Sprintf("%d acknowledged values missing from final reads; %s lacks %s",
			lostTotal, first, preview(lost[first]))}
	}
	if len(readFailures) > 0 {
		d["read_failures"] = readFailures
		return Result{Verdict: Unknown, Details: d, Summary: "final reads did not complete on " + strings.Join(readFailures, ", ")}
	}
	if len(reads) == 0 || len(ackedList) == 0 {
		return Result{Verdict: Unknown, Details: d, Summary: "no acknowledged broadcast or no final read"}
	}
	return Result{Verdict: Valid, Details: d, Summary: fmt.Sprintf("all %d acknowledged values read on all %d nodes", len(ackedList), len(reads))}
}

func preview(vs []int) string {
	if len(vs) > 8 {
		return fmt.Sprintf("%v and %d more", vs[:8], len(vs)-8)
	}
	return fmt.Sprint(vs)
}
