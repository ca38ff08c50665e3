package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/gobuild"
	"github.com/terrarium-sim/terrarium/runtime/limits"
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

// parser reads a scenario's wire structs into a Scenario, checking what
// the schema alone cannot: references, ranges and combinations.
type parser struct {
	yc.Checker
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

// positive reads d (which must be set) and returns it if it is > 0, else 0.
func (p *parser) positive(d *yc.Dur) time.Duration {
	if p.Get(d) && p.Positive(d.Node, d.Path, d.V) {
		return d.V
	}
	return 0
}

// inRange reads i (which must be set) and returns it if it lies in
// [lo, hi], else 0.
func (p *parser) inRange(i *yc.Int, lo, hi int64) (int64, bool) {
	if p.Get(i) && p.InRange(i.Node, i.Path, i.V, lo, hi) {
		return i.V, true
	}
	return 0, false
}

// params reads m: "{}" if absent, nil if bad.
func (p *parser) params(m *yc.Params) json.RawMessage {
	if !m.Set() {
		return json.RawMessage("{}")
	}
	p.Get(m)
	return m.V
}

// parse parses data into a Scenario, recording problems. The result is
// meaningful only if there are none.
func (p *parser) parse(data []byte) *Scenario {
	root := p.document(data)
	var f fileWire
	if root == nil || !p.Struct(root, "", "a mapping of scenario fields", &f) {
		return nil
	}
	s := &Scenario{File: p.file, Name: defaultName(p.file)}
	if p.Get(&f.Name) {
		s.Name = f.Name.V
	}
	p.Get(&f.Description)
	p.Get(&f.Seed)
	s.Description, s.Seed = f.Description.V, f.Seed.V
	if p.Required(f.At, f.Duration.At) {
		s.Duration = p.positive(&f.Duration)
		if s.Duration > MaxDuration {
			p.Errorf(f.Duration.Node, "duration", "must be at most %s (scenario.MaxDuration), got %s", MaxDuration, f.Duration.Node.Value)
			s.Duration = 0
		}
	}
	modulesKnown := p.modules(s, f.At, f.Modules.At)
	nodesOK := p.nodes(s, f.At, f.Nodes, modulesKnown)
	p.network(s, &f.Network, nodesOK)
	p.workload(s, f.Workload, nodesOK)
	p.checks(s, f.Checks)
	if f.Limits.Set() {
		if m := p.Mapping(f.Limits.Node, "limits", "a limits mapping", limits.Names()); m != nil {
			for _, lf := range limits.Fields() {
				if e := m.Get(lf.Name); e != nil && !yc.IsNull(e.Val) {
					n, _ := p.IntRange(e.Val, yc.Join("limits", lf.Name), lf.Min, lf.Max)
					s.Limits = s.Limits.With(lf, n)
				}
			}
		}
	}
	if d := f.Disk; d != nil && d.Set() && p.Struct(d.Node, "disk", "a disk mapping", d) {
		p.Get(&d.LoseUnsynced)
		s.LoseUnsynced = d.LoseUnsynced.V
	}
	p.faults(s, f.Faults, nodesOK)
	p.nemeses(s, f.Nemesis, nodesOK)
	if p.Get(&f.Services) {
		for i, name := range f.Services.V {
			item, field := f.Services.Node.Content[i], yc.Index("services", i)
			switch {
			case !slices.Contains(ServiceNames, name):
				p.Errorf(item, field, "unknown service %q (known: %s)", name, strings.Join(ServiceNames, ", "))
			case s.Node(name) != nil:
				p.Errorf(item, field, "service %q has the name of a node", name)
			default:
				s.Services = append(s.Services, name)
			}
		}
	}
	p.Get(&f.Strict)
	s.Strict = f.Strict.V
	return s
}

// defaultName is the scenario name derived from the file name.
func defaultName(file string) string {
	base := filepath.Base(file)
	if name := strings.TrimSuffix(base, filepath.Ext(base)); name != "" && name != "." && name != string(filepath.Separator) {
		return name
	}
	return "scenario"
}

// document decodes data's single YAML document and returns its root node,
// or nil after recording why there is none.
func (p *parser) document(data []byte) *yaml.Node {
	const empty = "empty scenario: expected a mapping with duration, modules and nodes"
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.Add(yc.Problem{Line: 1, Column: 1, Msg: empty})
		} else {
			p.Add(yc.Syntax(err, data))
		}
		return nil
	}
	var root *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root != nil {
		if at := yc.AliasPast(root, MaxExpandedNodes); at != nil {
			p.Errorf(at, "", "aliases expand the scenario to more than %d YAML nodes (scenario.MaxExpandedNodes); alias *%s is where it passes that", MaxExpandedNodes, at.Value)
			return nil
		}
	}
	if yc.IsNull(root) {
		p.Add(yc.Problem{Line: max(doc.Line, 1), Column: max(doc.Column, 1), Msg: empty})
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		at := &next
		if len(next.Content) > 0 {
			at = next.Content[0]
		}
		p.Errorf(at, "", "a scenario file holds one YAML document; found another")
		return nil
	case !errors.Is(err, io.EOF):
		p.Add(yc.Syntax(err, data))
		return nil
	}
	return root
}

// modules reads the modules section. It reports whether every module's
// name is known, so that references to modules can be checked; modules
// whose roles are unknown are recorded in p.rolesUnknown.
func (p *parser) modules(s *Scenario, top, at yc.At) bool {
	if !at.Set() {
		if at.Present() {
			p.Errorf(at.Key, "modules", "must define at least one module")
		} else {
			p.Errorf(top.Node, "modules", "missing required field")
		}
		return false
	}
	m := p.Mapping(at.Node, "modules", "a mapping of module names to modules", nil)
	if m == nil {
		return false
	}
	if len(m.Node.Content) == 0 {
		p.Errorf(m.Node, "modules", "must define at least one module")
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
			if !rolesKnown {
				p.rolesUnknown[mod.Name] = true
			}
			s.Modules = append(s.Modules, mod)
		}
	}
	return namesKnown
}

// module reads one module, reporting whether its roles are known.
func (p *parser) module(e yc.Entry) (*Module, bool) {
	path := "modules." + e.Name
	m := &Module{Name: e.Name, Roles: []string{DefaultRole}}
	var w moduleWire
	if yc.IsNull(e.Val) {
		p.Errorf(yc.Deref(e.Key), path, "one of go, wasm or sha256 is required")
		return m, true
	} else if !p.Struct(e.Val, path, "a mapping with go, wasm or sha256, and roles", &w) {
		return m, false
	}
	var set []string
	var where []*yc.Name
	for _, f := range []*yc.Name{&w.Go, &w.Wasm, &w.SHA256} {
		if f.Set() {
			set, where = append(set, f.Path[len(path)+1:]), append(where, f)
		}
	}
	switch {
	case len(set) > 1:
		p.Errorf(w.Node, path, "%s are set; use exactly one of go, wasm or sha256", strings.Join(set, " and "))
	case len(set) == 0:
		p.Errorf(w.Node, path, "one of go, wasm or sha256 is required")
	default:
		v := where[0]
		p.Get(v)
		val := v.V
		m.Line, m.col = v.Node.Line, v.Node.Column
		switch set[0] {
		case "go":
			m.Go = val
		case "wasm":
			m.Wasm = val
		default:
			if !isSHA256(val) {
				p.Errorf(v.Node, v.Path, "%q is not a SHA-256 in hex (64 characters 0-9a-f)", val)
			}
			m.SHA256 = val
		}
	}
	for _, f := range []yc.At{w.LDFlags.At, w.Tags.At} {
		if f.Set() && m.Go == "" {
			p.Errorf(f.Node, f.Path, "applies only to a go: module")
		}
	}
	if f := &w.LDFlags; f.Set() {
		p.Get(f)
		m.LDFlags = f.V
		if err := gobuild.CheckLDFlags(m.LDFlags); err != nil {
			p.Errorf(f.Node, f.Path, "%s", strings.TrimPrefix(err.Error(), "ldflags: "))
		}
	}
	if f := &w.Tags; f.Set() {
		p.Get(f)
		m.Tags = f.V
		if err := gobuild.CheckTags(m.Tags); err != nil {
			p.Errorf(f.Node, f.Path, "%s", strings.TrimPrefix(err.Error(), "tags: "))
		}
	}
	if r := &w.Roles; r.Present() {
		if r.Set() && !p.Get(r) {
			return m, false
		}
		if len(r.V) == 0 {
			at := r.Node
			if yc.IsNull(at) {
				at = yc.Deref(r.Key)
			}
			p.Errorf(at, r.Path, "must list at least one role (omit roles to get [%s])", DefaultRole)
			return m, false
		}
		m.Roles = r.V
	}
	return m, true
}

// nodes reads the nodes section and expands it into node instances,
// reporting whether every instance's name is known, so that references to
// them can be checked.
func (p *parser) nodes(s *Scenario, top yc.At, seq yc.Seq[groupWire], modulesKnown bool) bool {
	if !seq.Set() {
		if seq.Present() {
			p.Errorf(seq.Key, "nodes", "must list at least one node group")
		} else {
			p.Errorf(top.Node, "nodes", "missing required field")
		}
		return false
	}
	items, ok := p.Items(seq.At, "node groups")
	if !ok {
		return false
	} else if len(items) == 0 {
		p.Errorf(seq.Node, "nodes", "must list at least one node group")
		return false
	}
	type origin struct {
		group string
		line  int
	}
	seen := map[string]origin{}
	for gi, item := range items {
		path := yc.Index("nodes", gi)
		g, nameNode := p.group(s, item, path, modulesKnown)
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
			if prev, dup := seen[name]; dup {
				if !reported {
					p.Errorf(nameNode, path+".name", "duplicate node name %q: also produced by %s (line %d)", name, prev.group, prev.line)
					reported = true
				}
				continue
			}
			seen[name] = origin{path, nameNode.Line}
			s.Nodes = append(s.Nodes, &Node{Name: name, Index: len(s.Nodes), Group: len(s.Groups) - 1, Module: g.Module, Role: g.Role, Params: g.Params, Line: g.Line})
		}
	}
	return ok
}

// group reads one node group. It returns nil if the group's instance
// names are unknown, along with the node the names derive from.
func (p *parser) group(s *Scenario, item *yaml.Node, path string, modulesKnown bool) (*NodeGroup, *yaml.Node) {
	var w groupWire
	if !p.Struct(item, path, "a node group mapping", &w) {
		return nil, nil
	}
	g := &NodeGroup{Count: 1, Line: w.Node.Line}
	namesOK := p.Need(w.At, &w.Name)
	g.Name = w.Name.V
	if namesOK && !nodeNameRE.MatchString(g.Name) {
		p.Errorf(w.Name.Node, w.Name.Path, "invalid node name %q: %s", g.Name, badName)
		namesOK = false
	}
	if w.Count.Set() {
		c, ok := p.inRange(&w.Count, 1, MaxNodes)
		namesOK = namesOK && ok
		g.Count = int(c)
	}
	g.Indexed = g.Count > 1
	if b := &w.Indexed; b.Set() {
		switch {
		case !p.Get(b):
			namesOK = false
		case !b.V && g.Count > 1:
			p.Errorf(b.Node, b.Path, "cannot be false with count %d: names of several nodes carry an index", g.Count)
			namesOK = false
		case b.V:
			g.Indexed = true
		}
	}
	var mod *Module
	if p.Need(w.At, &w.Module) {
		g.Module = w.Module.V
		mod = s.Module(g.Module)
		if mod == nil && modulesKnown {
			names := make([]string, len(s.Modules))
			for i, m := range s.Modules {
				names[i] = m.Name
			}
			p.Errorf(w.Module.Node, w.Module.Path, "unknown module %q (modules: %s)", g.Module, strings.Join(names, ", "))
		}
	}
	rolesKnown := mod != nil && !p.rolesUnknown[mod.Name]
	if rolesKnown {
		g.Role = mod.Roles[0]
	}
	if r := &w.Role; p.Get(r) {
		g.Role = r.V
		if rolesKnown && !mod.HasRole(r.V) {
			p.Errorf(r.Node, r.Path, "unknown role %q (module %s has roles: %s)", r.V, mod.Name, strings.Join(mod.Roles, ", "))
		}
	}
	g.Params = p.params(&w.Params)
	if !namesOK {
		return nil, w.Name.Node
	}
	return g, w.Name.Node
}

// network reads the network section.
func (p *parser) network(s *Scenario, w *networkWire, nodesOK bool) {
	s.Network.Latency = Latency{Min: DefaultLatency, Max: DefaultLatency}
	if !w.Set() || !p.Struct(w.Node, "network", "a network mapping", w) {
		return
	}
	if l, ok := p.latency(w.Latency.At); ok {
		s.Network.Latency = l
	}
	p.Get(&w.Loss)
	p.Get(&w.Duplicate)
	p.Get(&w.Reorder)
	s.Network.Loss, s.Network.Duplicate, s.Network.Reorder = w.Loss.V, w.Duplicate.V, w.Reorder.V
	if !w.Links.Set() {
		return
	}
	items, ok := p.Items(w.Links.At, "links")
	if !ok {
		return
	}
	seen := map[[2]string]int{}
	for i, item := range items {
		var lw linkWire
		path := yc.Index("network.links", i)
		if !p.Struct(item, path, "a link mapping with from, to and latency or loss", &lw) {
			continue
		}
		l := Link{Line: lw.Node.Line}
		endsOK := true
		for j, end := range []*yc.Name{&lw.From, &lw.To} {
			if !p.Need(lw.At, end) {
				endsOK = false
				continue
			}
			if nodesOK && end.V != "*" && s.Node(end.V) == nil {
				p.Errorf(end.Node, end.Path, "unknown node %q (use a node name or \"*\")", end.V)
				endsOK = false
			}
			if j == 0 {
				l.From = end.V
			} else {
				l.To = end.V
			}
		}
		if ends := [2]string{l.From, l.To}; endsOK {
			if line, dup := seen[ends]; dup {
				p.Errorf(lw.Node, path, "duplicate link from %q to %q (first at line %d)", l.From, l.To, line)
			}
			seen[ends] = l.Line
		}
		if lw.Latency != nil {
			if lat, ok := p.latency(lw.Latency.At); ok {
				l.Latency = &lat
			}
		}
		for _, k := range []struct {
			w   *yc.Prob
			dst **float64
		}{{lw.Loss, &l.Loss}, {lw.Duplicate, &l.Duplicate}, {lw.Reorder, &l.Reorder}} {
			if k.w != nil && p.Get(k.w) {
				*k.dst = &k.w.V
			}
		}
		if !(lw.Latency != nil && lw.Latency.Set()) && !(lw.Loss != nil && lw.Loss.Set()) &&
			!(lw.Duplicate != nil && lw.Duplicate.Set()) && !(lw.Reorder != nil && lw.Reorder.Set()) {
			p.Errorf(lw.Node, path, "a link must override latency, loss, duplicate or reorder")
		}
		s.Network.Links = append(s.Network.Links, l)
	}
}

// latency reads a constant duration, a {min, max} range, or a
// distribution {dist: normal|exponential|uniform|constant, ...}; ok is
// false if it is absent or bad.
func (p *parser) latency(at yc.At) (Latency, bool) {
	if !at.Set() {
		return Latency{}, false
	}
	switch at.Node.Kind {
	case yaml.ScalarNode:
		d, ok := p.Duration(at.Node, at.Path)
		return Latency{Min: d, Max: d}, ok
	case yaml.MappingNode:
	default:
		p.Errorf(at.Node, at.Path, "expected a duration or a mapping with min and max, got %s", yc.Describe(at.Node))
		return Latency{}, false
	}
	var w latencyKeys
	if !p.Struct(at.Node, at.Path, "a latency range", &w) {
		return Latency{}, false
	}
	var l Latency
	dist := "uniform"
	if w.Dist.Set() {
		d, ok := p.NonEmpty(w.Dist.Node, w.Dist.Path)
		if !ok {
			return Latency{}, false
		}
		if !slices.Contains([]string{"constant", "uniform", "normal", "exponential"}, d) {
			p.Errorf(w.Dist.Node, w.Dist.Path, "unknown distribution %q (known: constant, uniform, normal, exponential)", d)
			return Latency{}, false
		}
		l.Dist, dist = d, d
	}
	need := map[string][]string{"constant": {"min"}, "uniform": {"min", "max"}, "normal": {"mean", "stddev"}, "exponential": {"mean"}}[dist]
	ok := true
	for _, f := range []struct {
		w   yc.Dur
		dst *time.Duration
	}{{w.Min, &l.Min}, {w.Max, &l.Max}, {w.Mean, &l.Mean}, {w.Stddev, &l.Stddev}} {
		good := true
		if slices.Contains(need, f.w.Path[len(at.Path)+1:]) {
			good = p.Required(w.At, f.w.At)
		}
		if good && f.w.Set() {
			*f.dst, good = p.Duration(f.w.Node, f.w.Path)
		}
		ok = ok && good
	}
	if !ok {
		return Latency{}, false
	}
	switch {
	case dist == "constant":
		l.Max = l.Min
	case l.Max != 0 && l.Min > l.Max, dist == "uniform" && l.Min > l.Max:
		p.Errorf(w.Max.Node, w.Max.Path, "must not be less than min (%s), got %s", l.Min, l.Max)
		return Latency{}, false
	}
	return l, true
}

// workload reads the workload section (w nil: absent).
func (p *parser) workload(s *Scenario, w *workloadWire, nodesOK bool) {
	wl := &s.Workload
	*wl = Workload{Type: WorkloadNone, Interval: DefaultInterval, Timeout: DefaultTimeout, Params: json.RawMessage("{}")}
	defer func() {
		if wl.Targets == nil {
			wl.Targets = s.NodeNames()
		}
	}()
	if w == nil || !w.Set() || !p.Struct(w.Node, "workload", "a workload mapping", w) {
		return
	}
	wl.Line, wl.Clients = w.Node.Line, 1
	if p.Need(w.At, &w.Type) {
		wl.Type = w.Type.V
		if reg := p.opts.Workloads; reg != nil && wl.Type != WorkloadNone && !slices.Contains(reg, wl.Type) {
			if !slices.Contains(reg, WorkloadNone) {
				reg = append(slices.Clone(reg), WorkloadNone)
			}
			p.Errorf(w.Type.Node, w.Type.Path, "unknown workload type %q (%s)", wl.Type, known(reg))
		}
	}
	if w.Clients.Set() {
		c, _ := p.inRange(&w.Clients, 1, MaxNodes)
		wl.Clients = int(c)
	}
	if w.Interval.Set() {
		wl.Interval = p.positive(&w.Interval)
	}
	p.Get(&w.Start)
	wl.Start = w.Start.V
	if w.Ops.Set() {
		o, _ := p.inRange(&w.Ops, 0, 1<<62)
		wl.Ops = int(o)
	}
	if w.Timeout.Set() {
		wl.Timeout = p.positive(&w.Timeout)
	}
	if t := &w.Targets; p.Get(t) {
		if len(t.V) == 0 {
			p.Errorf(t.Node, t.Path, "must list at least one node (omit targets to use every node)")
		} else {
			wl.Targets = t.V
			if nodesOK {
				for i, name := range t.V {
					if s.Node(name) == nil {
						p.Errorf(yc.Deref(t.Node.Content[i]), yc.Index(t.Path, i), "unknown node %q (nodes: %s)", name, strings.Join(abbreviate(s.NodeNames()), ", "))
					}
				}
			}
		}
	}
	wl.Params = p.params(&w.Params)
}

// abbreviate shortens a long list of names for messages.
func abbreviate(names []string) []string {
	const limit = 10
	if len(names) <= limit {
		return names
	}
	return append(names[:limit:limit], fmt.Sprintf("... (%d more)", len(names)-limit))
}

// checks reads the checks section.
func (p *parser) checks(s *Scenario, seq yc.Seq[checkWire]) {
	if !seq.Set() {
		return
	}
	items, _ := p.Items(seq.At, "checks")
	for i, item := range items {
		item, path := yc.Deref(item), yc.Index("checks", i)
		c := Check{Line: item.Line, Params: json.RawMessage("{}")}
		name := yc.Name{At: yc.At{Node: item, Path: path}}
		switch item.Kind {
		case yaml.ScalarNode:
			name.V, name.OK = p.NonEmpty(item, path)
		case yaml.MappingNode:
			var w checkWire
			p.Struct(item, path, "a check mapping", &w)
			named := p.Required(w.At, w.Name.At)
			if c.Params = p.params(&w.Params); !named {
				continue
			}
			p.Get(&w.Name)
			name = w.Name
		default:
			p.Errorf(item, path, "expected a check name or a mapping with name and params, got %s", yc.Describe(item))
			continue
		}
		if !name.OK {
			continue
		}
		c.Name = name.V
		if reg := p.opts.Checks; reg != nil && !slices.Contains(reg, c.Name) {
			p.Errorf(name.Node, name.Path, "unknown check %q (%s)", c.Name, known(reg))
		}
		s.Checks = append(s.Checks, c)
	}
}

// nodeRef reads the name of a known node (or "*" where star allows it).
func (p *parser) nodeRef(s *Scenario, n *yaml.Node, field string, nodesOK, star bool) (string, bool) {
	name, ok := p.NonEmpty(n, field)
	if !ok || (star && name == "*") {
		return name, ok
	}
	if nodesOK && s.Node(name) == nil {
		p.Errorf(n, field, "unknown node %q (nodes: %s)", name, strings.Join(abbreviate(s.NodeNames()), ", "))
		return "", false
	}
	return name, true
}

// endpointRef reads a node, client (c0, c1, ... of the workload) or
// service name, or "*": the ends of an adversary's link.
func (p *parser) endpointRef(s *Scenario, n *yaml.Node, field string, nodesOK bool) (string, bool) {
	name, ok := p.NonEmpty(n, field)
	if !ok || name == "*" || !nodesOK || s.Node(name) != nil || slices.Contains(s.Services, name) {
		return name, ok
	}
	var clients int
	if s.Workload.Type != "" {
		clients = s.Workload.Clients
	}
	if k, err := strconv.Atoi(strings.TrimPrefix(name, "c")); err == nil && strings.HasPrefix(name, "c") && k >= 0 && k < clients && name == fmt.Sprintf("c%d", k) {
		return name, true
	}
	known := "no clients"
	if clients > 0 {
		known = fmt.Sprintf("clients: c0 to c%d", clients-1)
	}
	p.Errorf(n, field, "unknown node or client %q (nodes: %s; %s)", name, strings.Join(abbreviate(s.NodeNames()), ", "), known)
	return "", false
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
		if nodesOK && s.Node(name) == nil {
			p.Errorf(yc.Deref(n).Content[i], yc.Index(field, i), "unknown node %q (nodes: %s)", name, strings.Join(abbreviate(s.NodeNames()), ", "))
			ok = false
		}
	}
	return names, ok
}

// faults reads the timed fault list.
func (p *parser) faults(s *Scenario, seq yc.Seq[faultWire], nodesOK bool) {
	if !seq.Set() {
		return
	}
	items, _ := p.Items(seq.At, "fault actions")
	for i, item := range items {
		var w faultWire
		if !p.Struct(item, yc.Index("faults", i), "a fault mapping with at and action", &w) {
			continue
		}
		ft := Fault{Line: w.Node.Line}
		if p.Need(w.At, &w.Time) && w.Time.V > s.Duration && s.Duration > 0 {
			p.Errorf(w.Time.Node, w.Time.Path, "is after the run's duration (%s)", s.Duration)
		}
		ft.At = w.Time.V
		if w.BeforeEvent.Set() {
			n, _ := p.inRange(&w.BeforeEvent, 1, 1<<53)
			ft.BeforeEvent = uint64(n)
		}
		if !p.Need(w.At, &w.Action) {
			continue
		}
		action := w.Action.V
		if ft.Kind = fault.Kind(action); !ft.Kind.Known() {
			p.Errorf(w.Action.Node, w.Action.Path, "unknown action %q (known: %s)", action, fault.KindNames())
			continue
		}
		p.faultArgs(s, &ft, &w, nodesOK)
		if ft.Kind.Adversary() && (ft.Kind == fault.Secure || len(ft.To) == 1 || ft.Attacker != "") {
			if err := ft.Fault.Validate(); err != nil {
				p.Errorf(w.Action.Node, w.Action.Path, "%s", strings.TrimPrefix(err.Error(), "fault: "))
			}
		}
		s.Faults = append(s.Faults, ft)
	}
	sort.SliceStable(s.Faults, func(i, j int) bool { return s.Faults[i].At < s.Faults[j].At })
	for i := 1; i < len(s.Faults); i++ {
		a, b := s.Faults[i-1], s.Faults[i]
		if a.BeforeEvent > 0 && b.BeforeEvent > 0 && b.BeforeEvent < a.BeforeEvent {
			p.Add(yc.Problem{Line: b.Line, Field: "faults", Msg: fmt.Sprintf(
				"before_event %d at %v comes after before_event %d at %v: pinned faults must be in the order of both", b.BeforeEvent, b.At, a.BeforeEvent, a.At)})
		}
	}
}

// faultArgs reads the arguments of ft's action from w, reporting those
// the action does not take.
func (p *parser) faultArgs(s *Scenario, ft *Fault, w *faultWire, nodesOK bool) {
	action := w.Action.V
	want := ft.Kind.Args()
	args := map[string]yc.At{"node": w.Target.At, "groups": w.Groups.At, "from": w.From.At, "to": w.To.At, "by": w.By.At, "ppm": w.PPM.At,
		"attacker": w.Attacker.At, "body": w.Body.At}
	for _, key := range yc.Keys(reflect.TypeFor[faultWire]())[3:] {
		if a := args[key]; a.Set() && !slices.Contains(want, key) {
			p.Errorf(a.Node, a.Path, "does not apply to action %q (it takes: %s)", action, strings.Join(want, ", "))
		}
	}
	for _, key := range want {
		a := args[key]
		if key == "body" && ft.Kind == fault.Tamper && !a.Set() {
			continue // without a body, tamper flips a byte
		}
		if !p.Required(w.At, a) {
			continue
		}
		switch key {
		case "node":
			ft.Node, _ = p.nodeRef(s, a.Node, a.Path, nodesOK, false)
		case "by":
			ft.By, _ = p.SignedDuration(a.Node, a.Path)
		case "ppm":
			ft.PPM, _ = p.IntRange(a.Node, a.Path, -fault.MaxPPM, fault.MaxPPM)
		case "attacker":
			ft.Attacker, _ = p.nodeRef(s, a.Node, a.Path, nodesOK, false)
		case "body":
			ft.Body, _ = p.Str(a.Node, a.Path)
		case "groups":
			if a.Node.Kind != yaml.SequenceNode || len(a.Node.Content) < 2 {
				p.Errorf(a.Node, a.Path, "expected two or more lists of nodes, got %s", yc.Describe(a.Node))
				continue
			}
			for j, g := range a.Node.Content {
				if names, ok := p.nodeList(s, g, yc.Index(a.Path, j), nodesOK); ok {
					ft.Groups = append(ft.Groups, names)
				}
			}
		case "from", "to":
			var names []string
			if ft.Kind.Adversary() {
				if name, ok := p.endpointRef(s, a.Node, a.Path, nodesOK); ok {
					names = []string{name}
				}
			} else if ft.Kind == fault.Hold || ft.Kind == fault.Release {
				if name, ok := p.nodeRef(s, a.Node, a.Path, nodesOK, true); ok {
					names = []string{name}
				}
			} else {
				names, _ = p.nodeList(s, a.Node, a.Path, nodesOK)
			}
			if key == "from" {
				ft.From = names
			} else {
				ft.To = names
			}
		}
	}
}

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

// nemeses reads the nemesis list.
func (p *parser) nemeses(s *Scenario, seq yc.Seq[nemesisWire], nodesOK bool) {
	if !seq.Set() {
		return
	}
	items, _ := p.Items(seq.At, "nemeses")
	for i, item := range items {
		var w nemesisWire
		if !p.Struct(item, yc.Index("nemesis", i), "a nemesis mapping with kinds and every", &w) {
			continue
		}
		nm := Nemesis{Line: w.Node.Line}
		if k := &w.Kinds; p.Required(w.At, k.At) {
			ok := p.Get(k)
			for j, spelling := range k.V {
				kind, known := nemesisKind(spelling)
				if !known {
					p.Errorf(k.Node.Content[j], yc.Index(k.Path, j), "unknown nemesis kind %q (known: %s)", spelling, nemesisSpellings())
					ok = false
				}
				k.V[j] = kind
			}
			if ok && len(k.V) == 0 {
				p.Errorf(k.Node, k.Path, "must name at least one kind")
			}
			nm.Kinds = k.V
		}
		if e := &w.Every; p.Required(w.At, e.At) {
			if every := p.positive(e); every > 0 && every < MinNemesisEvery {
				p.Errorf(e.Node, e.Path, "must be at least %s (scenario.MinNemesisEvery), got %s", MinNemesisEvery, e.Node.Value)
			} else {
				nm.Every = every
			}
		}
		if sch := &w.Schedule; p.Get(sch) {
			if sch.V != SchedulePeriodic && sch.V != ScheduleJepsen {
				p.Errorf(sch.Node, sch.Path, "%q is not %s or %s", sch.V, SchedulePeriodic, ScheduleJepsen)
			} else if sch.V == ScheduleJepsen {
				nm.Schedule = sch.V
			}
		}
		nm.Heal = nm.Every / 2
		if h := w.Heal; h != nil && h.Set() {
			if nm.Schedule == ScheduleJepsen {
				p.Errorf(h.Node, h.Path, "not with schedule %s: each heal comes after its own draw from [0, 2×every)", ScheduleJepsen)
			}
			nm.Heal, _ = p.PositiveDuration(h.Node, h.Path)
		}
		if nm.Schedule == ScheduleJepsen {
			nm.Heal = 0
		}
		p.Get(&w.Start)
		nm.Start = w.Start.V
		if w.Stop.Set() {
			p.Get(&w.Stop)
			nm.Stop = w.Stop.V
		}
		if w.Stop.Set() && nm.Stop <= nm.Start {
			p.Errorf(w.Stop.Node, w.Stop.Path, "must be after start (%s)", nm.Start)
		}
		if w.Targets.Set() {
			nm.Targets, _ = p.nodeList(s, w.Targets.Node, w.Targets.Path, nodesOK)
		}
		s.Nemeses = append(s.Nemeses, nm)
	}
}

// isSHA256 reports whether s is a lower-case hex SHA-256.
func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// known renders a registry for "unknown X" messages.
func known(list []string) string {
	if len(list) == 0 {
		return "none are registered"
	}
	sorted := slices.Sorted(slices.Values(list))
	return "known: " + strings.Join(sorted, ", ")
}
