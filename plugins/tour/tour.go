// Package tour reads a pattern's guided tour: the tour.yaml file beside
// each plugin, which the playground plays step by step (playground/ui/tour.js).
//
// A tour is data, not prose: each step names one of the pattern's scenario
// files, optionally a fault to apply (at a virtual time, or "now": when the
// user presses the step's button), what to look for (a check and the
// figures of its details to highlight, the check whose first violation is
// pinned to its event, or an emitted event to pin), and for a limitation
// the baseline scenario run beside it. The README's Tour section points
// here; this file is the one copy.
//
// Parse checks the file's shape; Check checks it against the scenarios it
// names (files exist, nodes and checks are theirs, times fall inside the
// run). Every problem is an *Error located at file:line:column with the
// field's path.
package tour

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// FileName is a tour's file name in its plugin's folder.
const FileName = "tour.yaml"

// Tour is one pattern's guided tour.
type Tour struct {
	// Title is the tour's heading, e.g. "Two-Phase Commit".
	Title string `json:"title"`
	// Steps are played in order.
	Steps []Step `json:"steps"`
}

// Step is one stop of a tour.
type Step struct {
	// Title is the step's heading.
	Title string `json:"title"`
	// Text is what the step tells, as Markdown.
	Text string `json:"text"`
	// Scenario is the pattern's scenario file the step loads and runs.
	Scenario string `json:"scenario"`
	// Baseline, for a limitation, is the scenario file run beside it: the
	// page shows both results in two columns and highlights the figures
	// that differ.
	Baseline string `json:"baseline,omitempty"`
	// Action is a fault the step applies to its run, if any.
	Action *Action `json:"action,omitempty"`
	// Look is what to look for once the run is over.
	Look Look `json:"look"`
	// Line is the step's line in the file.
	Line int `json:"line"`
}

// Action is a fault applied by hand, as POST /runs/{id}/faults takes it.
type Action struct {
	// Label is the button's text, e.g. "Crash coord now".
	Label string `json:"label"`
	// Now is true when the fault is applied whenever the user presses the
	// button while the run plays; otherwise the run pauses at AtNS and
	// waits for the press.
	Now bool `json:"now,omitempty"`
	// AtNS is the virtual time, in nanoseconds, the run pauses at.
	AtNS int64 `json:"at_ns,omitempty"`
	// Fault is the fault, in the scenario's and the API's vocabulary.
	Fault fault.Fault `json:"fault"`
}

// Look is what a step points at once its run is over.
type Look struct {
	// Check is the check whose row is highlighted and whose details hold
	// the figures.
	Check string `json:"check"`
	// Figures are keys of the check's details to show (and, beside a
	// baseline, to compare).
	Figures []string `json:"figures,omitempty"`
	// Violation pins the check's first violation to the event it names:
	// the run seeks there and the diagram opens at it.
	Violation bool `json:"violation,omitempty"`
	// Event, if set, pins the first emitted event that matches it.
	Event *EventPin `json:"event,omitempty"`
}

// EventPin matches an emitted event: by its label, and by fields of its
// data, compared as JSON scalars.
type EventPin struct {
	Label string         `json:"label"`
	Data  map[string]any `json:"data,omitempty"`
}

// Error is one problem in a tour file, located as a scenario's problems
// are: "file:line:col: field: msg" (Field is the path, e.g.
// "steps[1].action.fault").
type Error = scenario.Error

// parser collects the problems of one file.
type parser struct {
	file string
	scns map[string]*scenario.Scenario // nil: no cross-checks
	errs []error
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	e := &Error{File: p.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// Parse reads a tour file's text. name is the file's name in messages.
// scenarios, if not nil, are the pattern's scenario files by file name:
// every file a step names must be one of them, and its nodes, checks and
// duration bound the step's fault and what it looks for.
func Parse(name string, data []byte, scenarios map[string]*scenario.Scenario) (*Tour, error) {
	p := &parser{file: name, scns: scenarios}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlLine(err)
		return nil, &Error{File: name, Line: line, Msg: msg}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &Error{File: name, Line: 1, Column: 1, Msg: "empty file: a tour needs a title and steps"}
	}
	t := p.tour(doc.Content[0])
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return t, nil
}

// yamlLine splits a yaml/v3 syntax error into the line it names (0 if
// none) and its message.
func yamlLine(err error) (int, string) {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(s, "line ")
	if !ok {
		return 0, s
	}
	num, msg, ok := strings.Cut(rest, ": ")
	n, perr := strconv.Atoi(num)
	if !ok || perr != nil {
		return 0, s
	}
	return n, msg
}

// fields reads a mapping whose keys must be among allowed, in file order.
func (p *parser) fields(n *yaml.Node, path string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a mapping with keys %s, got %s", strings.Join(allowed, ", "), describe(n))
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			p.errorf(k, join(path, k.Value), "unknown key %q (known: %s)", k.Value, strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.errorf(k, join(path, k.Value), "written twice")
			continue
		}
		out[k.Value] = v
	}
	return out
}

// str reads a non-empty string; need reports its absence.
func (p *parser) str(m map[string]*yaml.Node, parent *yaml.Node, path, key string, need bool) string {
	n, ok := m[key]
	if !ok {
		if need {
			p.errorf(parent, join(path, key), "missing (required)")
		}
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
		p.errorf(n, join(path, key), "want a non-empty string, got %s", describe(n))
		return ""
	}
	return n.Value
}

func (p *parser) tour(n *yaml.Node) *Tour {
	m := p.fields(n, "", "title", "steps")
	if m == nil {
		return nil
	}
	t := &Tour{Title: p.str(m, n, "", "title", true)}
	steps, ok := m["steps"]
	switch {
	case !ok:
		p.errorf(n, "steps", "missing (required): a tour needs at least one step")
	case steps.Kind != yaml.SequenceNode || len(steps.Content) == 0:
		p.errorf(steps, "steps", "want a list of one or more steps, got %s", describe(steps))
	default:
		for i, s := range steps.Content {
			t.Steps = append(t.Steps, p.step(s, fmt.Sprintf("steps[%d]", i)))
		}
	}
	return t
}

func (p *parser) step(n *yaml.Node, path string) Step {
	m := p.fields(n, path, "title", "text", "scenario", "baseline", "action", "look")
	s := Step{Line: n.Line}
	if m == nil {
		return s
	}
	s.Title = p.str(m, n, path, "title", true)
	s.Text = p.str(m, n, path, "text", true)
	s.Scenario = p.str(m, n, path, "scenario", true)
	s.Baseline = p.str(m, n, path, "baseline", false)
	if s.Baseline != "" && s.Baseline == s.Scenario {
		p.errorf(m["baseline"], join(path, "baseline"), "is the step's own scenario %s: a baseline is another file to compare with", s.Scenario)
	}
	if a, ok := m["action"]; ok {
		s.Action = p.action(a, join(path, "action"))
	}
	if l, ok := m["look"]; ok {
		s.Look = p.look(l, join(path, "look"))
	} else {
		p.errorf(n, join(path, "look"), "missing (required): what to look for once the run is over")
	}
	if p.scns != nil {
		p.against(m, s, path)
	}
	return s
}

// against checks a step against the scenario files it names.
func (p *parser) against(m map[string]*yaml.Node, s Step, path string) {
	scn := p.file1(m["scenario"], join(path, "scenario"), s.Scenario)
	base := p.file1(m["baseline"], join(path, "baseline"), s.Baseline)
	if scn == nil {
		return
	}
	if a := s.Action; a != nil {
		an := m["action"]
		if a.AtNS >= int64(scn.Duration) {
			p.errorf(an, join(path, "action.at"), "%v is past the end of %s (duration %v)", time.Duration(a.AtNS), s.Scenario, scn.Duration)
		}
		for _, node := range a.Fault.Nodes() {
			if !known(scn, node) {
				p.errorf(an, join(path, "action.fault"), "%s has no node or client %q (nodes: %s; clients: c0 to c%d)", s.Scenario, node, nodeNames(scn), scn.Workload.Clients-1)
			}
		}
	}
	for _, x := range []struct {
		file string
		scn  *scenario.Scenario
	}{{s.Scenario, scn}, {s.Baseline, base}} {
		if x.scn != nil && s.Look.Check != "" && !slices.ContainsFunc(x.scn.Checks, func(c scenario.Check) bool { return c.Name == s.Look.Check }) {
			p.errorf(m["look"], join(path, "look.check"), "%s does not run check %q (checks: %s)", x.file, s.Look.Check, checkNames(x.scn))
		}
	}
}

// file1 returns the scenario file named at n, reporting one that the
// pattern does not have.
func (p *parser) file1(n *yaml.Node, field, file string) *scenario.Scenario {
	if file == "" {
		return nil
	}
	if scn, ok := p.scns[file]; ok {
		return scn
	}
	names := make([]string, 0, len(p.scns))
	for k := range p.scns {
		names = append(names, k)
	}
	slices.Sort(names)
	p.errorf(n, field, "no scenario file %q beside the tour (files: %s)", file, strings.Join(names, ", "))
	return nil
}

// known reports whether name is one of s's nodes, services or workload
// clients (c0, c1, ...), which a fault may name.
func known(s *scenario.Scenario, name string) bool {
	if s.Node(name) != nil || slices.Contains(s.Services, name) {
		return true
	}
	k, err := strconv.Atoi(strings.TrimPrefix(name, "c"))
	return err == nil && s.Workload.Type != "" && k >= 0 && k < s.Workload.Clients && name == "c"+strconv.Itoa(k)
}

func nodeNames(s *scenario.Scenario) string {
	out := make([]string, len(s.Nodes))
	for i, n := range s.Nodes {
		out[i] = n.Name
	}
	return strings.Join(out, ", ")
}

func checkNames(s *scenario.Scenario) string {
	out := make([]string, len(s.Checks))
	for i, c := range s.Checks {
		out[i] = c.Name
	}
	return strings.Join(out, ", ")
}

func (p *parser) action(n *yaml.Node, path string) *Action {
	m := p.fields(n, path, "label", "at", "fault")
	if m == nil {
		return nil
	}
	a := &Action{Label: p.str(m, n, path, "label", true)}
	if at := p.str(m, n, path, "at", true); at == "now" {
		a.Now = true
	} else if at != "" {
		d, err := time.ParseDuration(at)
		if err != nil || d < 0 {
			p.errorf(m["at"], join(path, "at"), "want \"now\" or a virtual time such as 1000ms, got %q", at)
		}
		a.AtNS = int64(d)
	}
	f, ok := m["fault"]
	if !ok {
		p.errorf(n, join(path, "fault"), "missing (required): the fault to apply, e.g. {action: crash, node: coord}")
		return a
	}
	fp := join(path, "fault")
	if p.fields(f, fp, "action", "node", "groups", "from", "to", "by", "ppm", "attacker", "body") == nil {
		return a
	}
	if err := f.Decode(&a.Fault); err != nil {
		p.errorf(f, fp, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	} else if err := a.Fault.Validate(); err != nil {
		p.errorf(f, fp, "%s", err)
	}
	return a
}

func (p *parser) look(n *yaml.Node, path string) Look {
	m := p.fields(n, path, "check", "figures", "violation", "event")
	var l Look
	if m == nil {
		return l
	}
	l.Check = p.str(m, n, path, "check", true)
	if f, ok := m["figures"]; ok {
		if f.Kind != yaml.SequenceNode || len(f.Content) == 0 {
			p.errorf(f, join(path, "figures"), "want a list of the check's detail names, got %s", describe(f))
		}
		for i, x := range f.Content {
			if x.Kind != yaml.ScalarNode || x.Value == "" {
				p.errorf(x, fmt.Sprintf("%s.figures[%d]", path, i), "want a detail name, got %s", describe(x))
				continue
			}
			l.Figures = append(l.Figures, x.Value)
		}
	}
	if v, ok := m["violation"]; ok {
		if err := v.Decode(&l.Violation); err != nil || v.Tag != "!!bool" {
			p.errorf(v, join(path, "violation"), "want true or false, got %s", describe(v))
		}
	}
	if e, ok := m["event"]; ok {
		l.Event = p.event(e, join(path, "event"))
	}
	if len(l.Figures) == 0 && !l.Violation && l.Event == nil && len(p.errs) == 0 {
		p.errorf(n, path, "says nothing to look for: give figures, violation: true or an event")
	}
	return l
}

func (p *parser) event(n *yaml.Node, path string) *EventPin {
	m := p.fields(n, path, "label", "data")
	if m == nil {
		return nil
	}
	e := &EventPin{Label: p.str(m, n, path, "label", true)}
	if d, ok := m["data"]; ok {
		if d.Kind != yaml.MappingNode {
			p.errorf(d, join(path, "data"), "want a mapping of the event's fields, got %s", describe(d))
		} else if err := d.Decode(&e.Data); err != nil {
			p.errorf(d, join(path, "data"), "%v", err)
		}
	}
	return e
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return fmt.Sprintf("a list of %d", len(n.Content))
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing (null)"
	}
	return strconv.Quote(n.Value)
}
