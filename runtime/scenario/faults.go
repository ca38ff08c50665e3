package scenario

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"go.yaml.in/yaml/v3"
)

var (
	diskKeys    = []string{"lose_unsynced"}
	faultKeys   = []string{"at", "action", "before_event", "node", "groups", "from", "to", "by", "ppm"}
	nemesisKeys = []string{"kinds", "schedule", "every", "heal", "start", "stop", "targets"}
)

// disk parses the disk section (n nil: absent).
func (p *parser) disk(s *Scenario, n *yaml.Node) {
	if n == nil {
		return
	}
	f := p.mapping(n, "disk", "a disk mapping", diskKeys...)
	if f == nil {
		return
	}
	if v := f.get("lose_unsynced"); v != nil {
		s.LoseUnsynced, _ = p.boolean(v, f.field("lose_unsynced"))
	}
}

// nodeRef checks that a node name is known (or "*" where allowed).
func (p *parser) nodeRef(s *Scenario, n *yaml.Node, field string, nodesOK, star bool) (string, bool) {
	name, ok := p.nonEmpty(n, field)
	if !ok {
		return "", false
	}
	if star && name == "*" {
		return name, true
	}
	if nodesOK && s.Node(name) == nil {
		p.errorf(n, field, "unknown node %q (nodes: %s)", name, strings.Join(abbreviate(s.NodeNames()), ", "))
		return "", false
	}
	return name, true
}

// nodeList parses a list of known node names.
func (p *parser) nodeList(s *Scenario, n *yaml.Node, field string, nodesOK bool) ([]string, bool) {
	names, ok := p.stringList(n, field, "node")
	if !ok {
		return nil, false
	}
	if len(names) == 0 {
		p.errorf(n, field, "must name at least one node")
		return nil, false
	}
	if nodesOK {
		for i, name := range names {
			if s.Node(name) == nil {
				p.errorf(deref(n).Content[i], index(field, i), "unknown node %q (nodes: %s)", name, strings.Join(abbreviate(s.NodeNames()), ", "))
				ok = false
			}
		}
	}
	return names, ok
}

// faults parses the timed fault list (n nil: absent).
func (p *parser) faults(s *Scenario, n *yaml.Node, nodesOK bool) {
	if n == nil {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "faults", "expected a sequence of fault actions, got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		path := index("faults", i)
		f := p.mapping(item, path, "a fault mapping with at and action", faultKeys...)
		if f == nil {
			continue
		}
		ft := Fault{Line: f.node.Line}
		if v := p.required(f, "at"); v != nil {
			ft.At, _ = p.duration(v, f.field("at"))
			if ft.At > s.Duration && s.Duration > 0 {
				p.errorf(v, f.field("at"), "is after the run's duration (%s)", s.Duration)
			}
		}
		if v := f.get("before_event"); v != nil {
			n, _ := p.intRange(v, f.field("before_event"), 1, 1<<53)
			ft.BeforeEvent = uint64(n)
		}
		av := p.required(f, "action")
		if av == nil {
			continue
		}
		action, ok := p.nonEmpty(av, f.field("action"))
		if !ok {
			continue
		}
		kind := fault.Kind(action)
		if !kind.Known() {
			p.errorf(av, f.field("action"), "unknown action %q (known: %s)", action, fault.KindNames())
			continue
		}
		ft.Kind = kind
		want := kind.Args()
		for _, key := range faultKeys[3:] {
			if f.has(key) && !contains(want, key) {
				p.errorf(f.get(key), f.field(key), "does not apply to action %q (it takes: %s)", action, strings.Join(want, ", "))
			}
		}
		for _, key := range want {
			v := p.required(f, key)
			if v == nil {
				continue
			}
			field := f.field(key)
			switch key {
			case "node":
				ft.Node, _ = p.nodeRef(s, v, field, nodesOK, false)
			case "by":
				ft.By, _ = p.signedDuration(v, field)
			case "ppm":
				ft.PPM, _ = p.intRange(v, field, -fault.MaxPPM, fault.MaxPPM)
			case "groups":
				v = deref(v)
				if v.Kind != yaml.SequenceNode || len(v.Content) < 2 {
					p.errorf(v, field, "expected two or more lists of nodes, got %s", describe(v))
					continue
				}
				for j, g := range v.Content {
					if names, ok := p.nodeList(s, g, index(field, j), nodesOK); ok {
						ft.Groups = append(ft.Groups, names)
					}
				}
			case "from", "to":
				var names []string
				if kind == fault.Hold || kind == fault.Release {
					if name, ok := p.nodeRef(s, v, field, nodesOK, true); ok {
						names = []string{name}
					}
				} else {
					names, _ = p.nodeList(s, v, field, nodesOK)
				}
				if key == "from" {
					ft.From = names
				} else {
					ft.To = names
				}
			}
		}
		s.Faults = append(s.Faults, ft)
	}
	sort.SliceStable(s.Faults, func(i, j int) bool { return s.Faults[i].At < s.Faults[j].At })
	for i := 1; i < len(s.Faults); i++ {
		a, b := s.Faults[i-1], s.Faults[i]
		if a.BeforeEvent > 0 && b.BeforeEvent > 0 && b.BeforeEvent < a.BeforeEvent {
			p.add(&Error{File: p.file, Line: b.Line, Field: "faults", Msg: fmt.Sprintf(
				"before_event %d at %v comes after before_event %d at %v: pinned faults must be in the order of both", b.BeforeEvent, b.At, a.BeforeEvent, a.At)})
		}
	}
}

// signedDuration parses a duration that may be negative.
func (p *parser) signedDuration(n *yaml.Node, field string) (time.Duration, bool) {
	if n.Kind == yaml.ScalarNode && len(n.Value) > 1 && n.Value[0] == '-' {
		c := *n
		c.Value = n.Value[1:]
		d, ok := p.duration(&c, field)
		return -d, ok
	}
	return p.duration(n, field)
}

// nemeses parses the nemesis list (n nil: absent).
// nemesisAliases maps the spellings of Jepsen and Maelstrom that a
// scenario may write to the nemesis kinds they stand for.
var nemesisAliases = map[string]string{"kill": NemesisCrash}

// nemesisKind returns the kind a nemesis spelling stands for, and whether
// it is one.
func nemesisKind(spelling string) (string, bool) {
	if k, ok := nemesisAliases[spelling]; ok {
		return k, true
	}
	return spelling, slices.Contains(NemesisKinds, spelling)
}

// nemesisSpellings lists the nemesis kinds as users write them (an alias
// in place of its kind), for error messages.
func nemesisSpellings() string {
	out := slices.Clone(NemesisKinds)
	for alias, k := range nemesisAliases {
		out[slices.Index(out, k)] = alias
	}
	return strings.Join(out, ", ")
}

func (p *parser) nemeses(s *Scenario, n *yaml.Node, nodesOK bool) {
	if n == nil {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "nemesis", "expected a sequence of nemeses, got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		path := index("nemesis", i)
		f := p.mapping(item, path, "a nemesis mapping with kinds and every", nemesisKeys...)
		if f == nil {
			continue
		}
		nm := Nemesis{Line: f.node.Line}
		if v := p.required(f, "kinds"); v != nil {
			kinds, ok := p.stringList(v, f.field("kinds"), "kind")
			for j, k := range kinds {
				kind, known := nemesisKind(k)
				if !known {
					p.errorf(deref(v).Content[j], index(f.field("kinds"), j), "unknown nemesis kind %q (known: %s)", k, nemesisSpellings())
					ok = false
				}
				kinds[j] = kind
			}
			if ok && len(kinds) == 0 {
				p.errorf(v, f.field("kinds"), "must name at least one kind")
			}
			nm.Kinds = kinds
		}
		if v := p.required(f, "every"); v != nil {
			if every, ok := p.positiveDuration(v, f.field("every")); ok && every < MinNemesisEvery {
				p.errorf(v, f.field("every"), "must be at least %s (scenario.MinNemesisEvery), got %s", MinNemesisEvery, deref(v).Value)
			} else {
				nm.Every = every
			}
		}
		if v := f.get("schedule"); v != nil {
			if sch, ok := p.str(v, f.field("schedule")); ok {
				if sch != SchedulePeriodic && sch != ScheduleJepsen {
					p.errorf(v, f.field("schedule"), "%q is not %s or %s", sch, SchedulePeriodic, ScheduleJepsen)
				} else if sch == ScheduleJepsen {
					nm.Schedule = sch
				}
			}
		}
		nm.Heal = nm.Every / 2
		if v := f.get("heal"); v != nil {
			if nm.Schedule == ScheduleJepsen {
				p.errorf(v, f.field("heal"), "not with schedule %s: each heal comes after its own draw from [0, 2×every)", ScheduleJepsen)
			}
			nm.Heal, _ = p.positiveDuration(v, f.field("heal"))
		}
		if nm.Schedule == ScheduleJepsen {
			nm.Heal = 0
		}
		if v := f.get("start"); v != nil {
			nm.Start, _ = p.duration(v, f.field("start"))
		}
		if v := f.get("stop"); v != nil {
			nm.Stop, _ = p.duration(v, f.field("stop"))
			if nm.Stop <= nm.Start {
				p.errorf(v, f.field("stop"), "must be after start (%s)", nm.Start)
			}
		}
		if v := f.get("targets"); v != nil {
			nm.Targets, _ = p.nodeList(s, v, f.field("targets"), nodesOK)
		}
		s.Nemeses = append(s.Nemeses, nm)
	}
}
