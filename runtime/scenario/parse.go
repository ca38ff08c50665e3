package scenario

import (
	"cmp"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/gobuild"
	yc "github.com/terrarium-sim/terrarium/runtime/scenario/internal/yamlcheck"
)

// ServiceNames lists the host-side services a scenario may ask for under
// services:, by their Maelstrom names.
var ServiceNames = []string{"lin-kv", "lin-tso", "lww-kv", "seq-kv"}

// nodeNameRE is the syntax of node names, and of module names.
var nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// ValidName reports whether name follows the rule for node and module
// names: letters, digits, '_', '-' and '.', starting with a letter, digit
// or '_' (so a name is always a plain file name, never a path).
func ValidName(name string) bool { return nodeNameRE.MatchString(name) }

const badName = "use letters, digits, '_', '-' and '.', starting with a letter, digit or '_'"

// parser reads a scenario file into a Scenario: the struct tags of the
// scenario's types are the schema (keys, required fields, ranges), which
// yc.Reader applies; the parser checks what they cannot: references and
// combinations.
type parser struct {
	yc.Reader
	file         string
	opts         Options
	rolesUnknown map[string]bool // modules whose roles could not be parsed
}

// problems returns the recorded problems sorted by position, ending with
// how many more were found, if any; nil if there were none.
func (p *parser) problems() Errors {
	if len(p.Problems) == 0 {
		return nil
	}
	errs := make(Errors, len(p.Problems))
	for i, e := range p.Problems {
		errs[i] = &Error{File: p.file, Line: e.Line, Column: e.Column, Field: e.Field, Msg: e.Msg}
	}
	sortErrors(errs)
	if p.More > 0 {
		errs = append(errs, &Error{File: p.file, Msg: fmt.Sprintf("... and %d more problems (only the first %d are listed: scenario.MaxProblems)", p.More, MaxProblems)})
	}
	return errs
}

// parse parses data into a Scenario, recording problems. The result is
// meaningful only if there are none. The sections are checked in the
// order the schema lists them, each once the fields before it are read.
func (p *parser) parse(data []byte) *Scenario {
	root := p.Document(data, yc.Doc{Noun: "scenario", Empty: "empty scenario: expected a mapping with duration, modules and nodes",
		MaxNodes: MaxExpandedNodes, MaxName: "scenario.MaxExpandedNodes"})
	s := &Scenario{File: p.file, Name: defaultName(p.file)}
	var modulesKnown, nodesOK bool
	if root == nil || !p.Struct(root, "", "a mapping of scenario fields", s, func(f any) {
		switch a := p.At(f); f {
		case &s.Name:
			s.Name = cmp.Or(s.Name, defaultName(p.file))
		case &s.Modules:
			modulesKnown = p.modules(s)
		case &s.Groups:
			nodesOK = p.nodes(s, modulesKnown)
		case &s.Network:
			p.network(s, nodesOK)
		case &s.Workload:
			p.workload(s, nodesOK)
		case &s.Checks:
			p.checks(s)
		case &s.Limits:
			p.Nested(f, "a limits mapping", nil)
		case &s.LoseUnsynced:
			var d disk
			if a.Set() && p.Struct(a.Node, "disk", "a disk mapping", &d, nil) {
				s.LoseUnsynced = d.LoseUnsynced
			}
		case &s.Faults:
			p.faults(s, nodesOK)
		case &s.Nemeses:
			p.nemeses(s, nodesOK)
		case &s.Services:
			p.services(s, a)
		case &s.Schedule:
			p.schedule(s)
		}
	}) {
		return nil
	}
	return s
}

// services checks the services read into s.Services.
func (p *parser) services(s *Scenario, a *yc.At) {
	names := s.Services
	s.Services = nil
	for i, name := range names {
		item, field := a.Node.Content[i], yc.Index("services", i)
		switch {
		case !a.OK:
			return
		case !slices.Contains(ServiceNames, name):
			p.Errorf(item, field, "unknown service %q (known: %s)", name, strings.Join(ServiceNames, ", "))
		case s.Node(name) != nil:
			p.Errorf(item, field, "service %q has the name of a node", name)
		default:
			s.Services = append(s.Services, name)
		}
	}
}

// defaultName is the scenario name derived from the file name.
func defaultName(file string) string {
	base := filepath.Base(file)
	if name := strings.TrimSuffix(base, filepath.Ext(base)); name != "" && name != "." && name != string(filepath.Separator) {
		return name
	}
	return "scenario"
}

// modules reads the modules section. It reports whether every module's
// name is known, so that references to modules can be checked; modules
// whose roles are unknown are recorded in p.rolesUnknown.
func (p *parser) modules(s *Scenario) bool {
	at := p.At(&s.Modules)
	if !p.Filled(p.At(s), at, yaml.MappingNode, "must define at least one module") {
		return false
	}
	m := p.Mapping(at.Node, "modules", "a mapping of module names to modules", nil)
	if m == nil {
		return false
	}
	namesKnown := !m.BadKeys
	for _, e := range m.Entries {
		switch k := yc.Deref(e.Key); {
		case strings.TrimSpace(e.Name) == "":
			p.Errorf(k, "modules", "module names must not be empty")
			namesKnown = false
		case !nodeNameRE.MatchString(e.Name):
			// Module names become file names (a run's export bundle).
			p.Errorf(k, "modules."+e.Name, "invalid module name %q: %s", e.Name, badName)
			namesKnown = false
		default:
			mod, rolesKnown := p.module(e)
			p.rolesUnknown[mod.Name] = !rolesKnown
			s.Modules = append(s.Modules, mod)
		}
	}
	return namesKnown
}

// module reads one module, reporting whether its roles are known.
func (p *parser) module(e yc.Entry) (*Module, bool) {
	path := "modules." + e.Name
	m := &Module{Name: e.Name, Roles: []string{DefaultRole}}
	if yc.IsNull(e.Val) {
		p.Errorf(yc.Deref(e.Key), path, "one of go, wasm or sha256 is required")
		return m, true
	}
	rolesKnown := true
	return m, p.Struct(e.Val, path, "a mapping with go, wasm or sha256, and roles", m, func(f any) {
		switch a := p.At(f); f {
		case &m.SHA256:
			if a.OK && !isSHA256(m.SHA256) {
				p.Fail(f, "%q is not a SHA-256 in hex (64 characters 0-9a-f)", m.SHA256)
			}
		case &m.LDFlags, &m.Tags:
			if a.Set() && m.Go == "" {
				p.Errorf(a.Node, a.Path, "applies only to a go: module")
			}
			if p.Get(f); f == &m.LDFlags {
				p.Place(f, gobuild.CheckLDFlags(m.LDFlags))
			} else {
				p.Place(f, gobuild.CheckTags(m.Tags))
			}
		case &m.Roles:
			if at := a.Node; a.Present() && (!a.Set() || a.OK && len(m.Roles) == 0) {
				if !a.Set() {
					at = yc.Deref(a.Key)
				}
				p.Errorf(at, a.Path, "must list at least one role (omit roles to get [%s])", DefaultRole)
			}
			rolesKnown = !a.Present() || a.OK && len(m.Roles) > 0
		}
	}) && rolesKnown
}

// nodes reads the nodes section and expands it into node instances,
// reporting whether every instance's name is known, so that references to
// them can be checked.
func (p *parser) nodes(s *Scenario, modulesKnown bool) bool {
	seq := p.At(&s.Groups)
	if !p.Filled(p.At(s), seq, yaml.SequenceNode, "must list at least one node group") {
		return false
	}
	items, ok := p.Items(seq, "node groups") // none, and !ok, if seq is not a sequence
	seen := map[string]*yc.At{}              // the name of the group that produced each node name
	for gi, item := range items {
		path := yc.Index("nodes", gi)
		g := p.group(s, item, path, modulesKnown)
		if g == nil {
			ok = false
			continue
		}
		if len(s.Nodes)+g.Count > MaxNodes {
			p.Errorf(item, path, "too many nodes: a scenario may have at most %d", MaxNodes)
			return false
		}
		s.Groups = append(s.Groups, g)
		reported := false
		for i := range g.Count {
			name := g.Name
			if g.Indexed {
				name = fmt.Sprintf("%s%d", g.Name, i)
			}
			if prev := seen[name]; prev != nil {
				if !reported {
					p.Fail(&g.Name, "duplicate node name %q: also produced by %s (line %d)", name, strings.TrimSuffix(prev.Path, ".name"), prev.Node.Line)
					reported = true
				}
				continue
			}
			seen[name] = p.At(&g.Name)
			s.Nodes = append(s.Nodes, &Node{Name: name, Index: len(s.Nodes), Group: len(s.Groups) - 1, Module: g.Module, Role: g.Role, Params: g.Params, Line: g.Line})
		}
	}
	return ok
}

// group reads one node group. It returns nil if the group's instance
// names are unknown.
func (p *parser) group(s *Scenario, item *yaml.Node, path string, modulesKnown bool) *NodeGroup {
	g := &NodeGroup{Count: 1, Params: json.RawMessage("{}")}
	namesOK := true
	var mod *Module
	if !p.Struct(item, path, "a node group mapping", g, func(f any) {
		a := p.At(f)
		switch {
		case f == &g.Name:
			namesOK = a.OK
			if a.OK && !nodeNameRE.MatchString(g.Name) {
				p.Fail(f, "invalid node name %q: %s", g.Name, badName)
				namesOK = false
			}
		case (f == &g.Count || f == &g.Indexed) && a.Set() && !a.OK:
			namesOK = false
		case f == &g.Indexed && a.Set() && !g.Indexed && g.Count > 1:
			p.Fail(f, "cannot be false with count %d: names of several nodes carry an index", g.Count)
			namesOK = false
		case f == &g.Module && a.OK:
			if mod = s.Module(g.Module); mod == nil && modulesKnown {
				p.Fail(f, "unknown module %q (modules: %s)", g.Module, strings.Join(s.moduleNames(), ", "))
			}
		case f == &g.Role && mod != nil && !p.rolesUnknown[mod.Name]:
			if !a.OK {
				g.Role = mod.Roles[0]
			} else if !mod.HasRole(g.Role) {
				p.Fail(f, "unknown role %q (module %s has roles: %s)", g.Role, mod.Name, strings.Join(mod.Roles, ", "))
			}
		}
	}) || !namesOK {
		return nil
	}
	g.Indexed = g.Indexed || g.Count > 1
	return g
}

// network reads the network section.
func (p *parser) network(s *Scenario, nodesOK bool) {
	n := &s.Network
	n.Latency = Latency{Min: DefaultLatency, Max: DefaultLatency}
	p.Nested(n, "a network mapping", func(f any) {
		switch a := p.At(f); f {
		case &n.Latency:
			if l, ok := p.latency(a); ok {
				n.Latency = l
			}
		case &n.Links:
			seen := map[[2]string]int{}
			p.Each(f, "links", func(item *yaml.Node, path string) { p.link(s, item, path, seen, nodesOK) })
		}
	})
}

// link reads one link; seen holds the lines of the links before it.
func (p *parser) link(s *Scenario, item *yaml.Node, path string, seen map[[2]string]int, nodesOK bool) {
	l := &Link{}
	endsOK := true
	if !p.Struct(item, path, "a link mapping with from, to and latency or loss", l, func(f any) {
		switch f {
		case &l.From, &l.To:
			if end := f.(*string); !p.At(end).OK {
				endsOK = false
			} else if nodesOK && *end != "*" && s.Node(*end) == nil {
				p.Fail(end, "unknown node %q (use a node name or \"*\")", *end)
				endsOK = false
			}
			if ends := [2]string{l.From, l.To}; f == &l.To && endsOK {
				if line, dup := seen[ends]; dup {
					p.Fail(l, "duplicate link from %q to %q (first at line %d)", l.From, l.To, line)
				}
				seen[ends] = p.At(l).Node.Line
			}
		case &l.Latency:
			if lat, ok := p.latency(p.At(f)); ok {
				l.Latency = &lat
			}
		}
	}) {
		return
	}
	if !p.At(&l.Latency).Set() && !p.At(&l.Loss).Set() && !p.At(&l.Duplicate).Set() && !p.At(&l.Reorder).Set() {
		p.Fail(l, "a link must override latency, loss, duplicate or reorder")
	}
	s.Network.Links = append(s.Network.Links, *l)
}

// latency reads a constant duration (the short form of {min: d, max: d}),
// a {min, max} range, or a distribution {dist: normal|exponential|
// uniform|constant, ...}; ok is false if it is absent or bad.
func (p *parser) latency(at *yc.At) (Latency, bool) {
	var l Latency
	short := at.Set() && at.Node.Kind == yaml.ScalarNode
	distOK, ok := true, true
	if !at.Set() || !p.Struct(at.Node, at.Path, "a duration or a mapping with min and max", &l, func(f any) {
		switch a := p.At(f); {
		case short:
			l.Max, ok = l.Min, p.At(&l.Min).OK
		case f == &l.Dist:
			distOK = !a.Set() || a.OK && p.Place(f, l.Check("dist"))
		case distOK: // the durations, once dist says which are needed
			good := !slices.Contains(l.Dist.Params(), a.Name()) || p.Required(*p.At(&l), *a)
			ok = good && (!a.Set() || p.Get(f)) && ok
		}
	}) || !distOK || !ok || !p.Place(&l.Max, l.Check("max")) {
		return Latency{}, false
	}
	return l, true
}

// workload reads the workload section.
func (p *parser) workload(s *Scenario, nodesOK bool) {
	wl := &s.Workload
	*wl = Workload{Type: WorkloadNone, Interval: DefaultInterval, Timeout: DefaultTimeout, Params: json.RawMessage("{}")}
	p.Nested(wl, "a workload mapping", func(f any) {
		switch a, reg := p.At(f), p.opts.Workloads; {
		case f == &wl.Type && a.OK && reg != nil && wl.Type != WorkloadNone && !slices.Contains(reg, wl.Type):
			p.Fail(f, "unknown workload type %q (%s)", wl.Type, known(append(slices.Clone(reg), WorkloadNone)))
		case f == &wl.Clients && !a.Set():
			wl.Clients = 1
		case f == &wl.Targets && a.OK && len(wl.Targets) == 0:
			p.Fail(f, "must list at least one node (omit targets to use every node)")
		case f == &wl.Targets && a.OK:
			for i, name := range wl.Targets {
				p.knownRef(s, yc.Deref(a.Node.Content[i]), yc.Index(a.Path, i), name, nodesOK, nodeRef)
			}
		}
	})
	if wl.Targets == nil {
		wl.Targets = s.NodeNames()
	}
}

// nodeHint lists the node names for messages, shortened past ten.
func (s *Scenario) nodeHint() string {
	names := s.NodeNames()
	if len(names) > 10 {
		names = append(names[:10], fmt.Sprintf("... (%d more)", len(names)-10))
	}
	return strings.Join(names, ", ")
}

// checks reads the checks section.
func (p *parser) checks(s *Scenario) {
	p.Each(&s.Checks, "checks", func(item *yaml.Node, path string) {
		c := &Check{Params: json.RawMessage("{}")}
		if !p.Struct(item, path, "a check name or a mapping with name and params", c, nil) || !p.At(&c.Name).OK {
			return
		}
		if reg := p.opts.Checks; reg != nil && !slices.Contains(reg, c.Name) {
			p.Fail(&c.Name, "unknown check %q (%s)", c.Name, known(reg))
		}
		s.Checks = append(s.Checks, *c)
	})
}

// refs is what a reference may name.
type refs int

const (
	nodeRef refs = iota // a node
	star                // a node or "*"
	peer                // a node, "*", a client (c0, c1, ... of the workload) or a service: an adversary's ends
)

// ref reads the field at a, the name of a node or of what else may
// names; it returns "" if it is not one.
func (p *parser) ref(s *Scenario, a *yc.At, nodesOK bool, may refs) string {
	if name, ok := p.NonEmpty(a.Node, a.Path); ok && p.knownRef(s, a.Node, a.Path, name, nodesOK, may) {
		return name
	}
	return ""
}

// knownRef reports whether name, at n, is a node or what else may names,
// reporting it if it is not and the nodes are known (nodesOK).
func (p *parser) knownRef(s *Scenario, n *yaml.Node, field, name string, nodesOK bool, may refs) bool {
	switch {
	case !nodesOK || s.Node(name) != nil || may >= star && name == "*":
		return true
	case may < peer:
		p.Errorf(n, field, "unknown node %q (nodes: %s)", name, s.nodeHint())
	case slices.Contains(s.Services, name) || s.Workload.HasClient(name):
		return true
	default:
		p.Errorf(n, field, "unknown node or client %q (nodes: %s; %s)", name, s.nodeHint(), s.Workload.ClientsHint())
	}
	return false
}

// nodeList reads a list of known node names.
func (p *parser) nodeList(s *Scenario, n *yaml.Node, field string, nodesOK bool) ([]string, bool) {
	names, ok := p.StringList(n, field, "node")
	if !ok {
		return nil, false
	}
	if len(names) == 0 {
		p.Errorf(n, field, "must name at least one node")
		return nil, false
	}
	for i, name := range names {
		ok = p.knownRef(s, yc.Deref(n).Content[i], yc.Index(field, i), name, nodesOK, nodeRef) && ok
	}
	return names, ok
}

// faults reads the timed fault list.
func (p *parser) faults(s *Scenario, nodesOK bool) {
	p.Each(&s.Faults, "fault actions", func(item *yaml.Node, path string) {
		ft := &Fault{}
		if !p.Struct(item, path, "a fault mapping with at and action", ft, func(f any) {
			if f == &ft.At && p.At(f).OK && ft.At > s.Duration && s.Duration > 0 {
				p.Fail(f, "is after the run's duration (%s)", s.Duration)
			}
		}) {
			return
		}
		if !p.Need(ft, &ft.Kind) || !p.Place(&ft.Kind, ft.Kind.Check()) {
			return
		}
		p.faultArgs(s, ft, nodesOK)
		if ft.Kind.Adversary() && (ft.Kind == fault.Secure || len(ft.To) == 1 || ft.Attacker != "") {
			if err := ft.Fault.Validate(); err != nil {
				p.Fail(&ft.Kind, "%s", strings.TrimPrefix(err.Error(), "fault: "))
			}
		}
		s.Faults = append(s.Faults, *ft)
	})
	sort.SliceStable(s.Faults, func(i, j int) bool { return s.Faults[i].At < s.Faults[j].At })
	for i := 1; i < len(s.Faults); i++ {
		if err := s.Faults[i].CheckAfter(s.Faults[i-1]); err != nil {
			p.Add(yc.Problem{Line: s.Faults[i].Line, Field: "faults", Msg: err.Error()})
		}
	}
}

// faultArgs reads the arguments of ft's action, in key order (as
// Kind.Args lists them), reporting those the action does not take.
func (p *parser) faultArgs(s *Scenario, ft *Fault, nodesOK bool) {
	want, may := ft.Kind.Args(), star
	if ft.Kind.Adversary() {
		may = peer
	}
	for _, f := range []any{&ft.Node, &ft.Groups, &ft.From, &ft.To, &ft.By, &ft.PPM, &ft.Attacker, &ft.Body} {
		a := p.At(f)
		switch k := a.Name(); {
		case !slices.Contains(want, k):
			if a.Set() {
				p.Errorf(a.Node, a.Path, "does not apply to action %q (it takes: %s)", ft.Kind, strings.Join(want, ", "))
			}
		case k == "body" && ft.Kind == fault.Tamper && !a.Set(): // without a body, tamper flips a byte
		case !p.Required(*p.At(ft), *a):
		case k == "node" || k == "attacker":
			*f.(*string) = p.ref(s, a, nodesOK, nodeRef)
		case k == "groups" && (a.Node.Kind != yaml.SequenceNode || len(a.Node.Content) < 2):
			p.Errorf(a.Node, a.Path, "expected two or more lists of nodes, got %s", yc.Describe(a.Node))
		case k == "groups":
			for j, g := range a.Node.Content {
				if names, ok := p.nodeList(s, g, yc.Index(a.Path, j), nodesOK); ok {
					ft.Groups = append(ft.Groups, names)
				}
			}
		case (k == "from" || k == "to") && !ft.Kind.OneEnd():
			*f.(*[]string), _ = p.nodeList(s, a.Node, a.Path, nodesOK)
		case k == "from" || k == "to":
			if name := p.ref(s, a, nodesOK, may); name != "" {
				*f.(*[]string) = []string{name}
			}
		default: // by, ppm, body
			p.Get(f)
		}
	}
}

// nemeses reads the nemesis list.
func (p *parser) nemeses(s *Scenario, nodesOK bool) {
	p.Each(&s.Nemeses, "nemeses", func(item *yaml.Node, path string) {
		nm := &Nemesis{}
		if p.Struct(item, path, "a nemesis mapping with kinds and every", nm, func(f any) { p.nemesisField(s, nm, f, nodesOK) }) {
			s.Nemeses = append(s.Nemeses, *nm)
		}
	})
}

// nemesisField checks the field f of nm once it is read (the schedule,
// after every); fault.Nemesis.Check judges the values.
func (p *parser) nemesisField(s *Scenario, nm *Nemesis, f any, nodesOK bool) {
	a := p.At(f)
	written := a.Set()
	switch f {
	case &nm.Kinds:
		for j, spelling := range nm.Kinds {
			kind, known := fault.NemesisKind(spelling)
			if !known {
				p.Errorf(a.Node.Content[j], yc.Index(a.Path, j), "unknown nemesis kind %q (known: %s)", spelling, fault.NemesisSpellings())
				a.OK = false
			}
			nm.Kinds[j] = kind
		}
		written = a.OK
	case &nm.Schedule:
		return // read and checked after every
	case &nm.Every:
		p.Place(&nm.Schedule, nm.Check("schedule", p.Get(&nm.Schedule)))
	case &nm.Heal:
		p.Get(f)
	case &nm.Targets:
		if written {
			nm.Targets, _ = p.nodeList(s, a.Node, a.Path, nodesOK)
		}
	}
	p.Place(f, nm.Check(a.Name(), written))
}

// isSHA256 reports whether s is a lower-case hex SHA-256.
func isSHA256(s string) bool { return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == "" }

// known renders a registry for "unknown X" messages, each name once.
func known(list []string) string {
	if len(list) == 0 {
		return "none are registered"
	}
	sorted := slices.Compact(slices.Sorted(slices.Values(list)))
	return "known: " + strings.Join(sorted, ", ")
}
