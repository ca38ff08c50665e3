package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/terrarium-sim/terrarium/runtime/gobuild"
	"github.com/terrarium-sim/terrarium/runtime/limits"
)

// Allowed keys of each schema mapping, in documentation order.
var (
	topKeys      = []string{"name", "description", "seed", "duration", "modules", "nodes", "network", "workload", "checks", "limits", "disk", "faults", "nemesis", "services", "strict"}
	moduleKeys   = []string{"go", "wasm", "sha256", "roles", "ldflags", "tags"}
	nodeKeys     = []string{"name", "count", "indexed", "module", "role", "params"}
	networkKeys  = []string{"latency", "loss", "duplicate", "reorder", "links"}
	latencyKeys  = []string{"dist", "min", "max", "mean", "stddev"}
	linkKeys     = []string{"from", "to", "latency", "loss", "duplicate", "reorder"}
	workloadKeys = []string{"type", "clients", "interval", "start", "ops", "timeout", "targets", "params"}
	checkKeys    = []string{"name", "params"}
)

// nodeNameRE is the syntax of node names, and of module names.
var nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// ValidName reports whether name follows the rule for node and module
// names: letters, digits, '_', '-' and '.', starting with a letter, digit
// or '_' (so a name is always a plain file name, never a path).
func ValidName(name string) bool { return nodeNameRE.MatchString(name) }

// parse parses data into a Scenario, recording problems in p.errs. The
// result is meaningful only if p.errs is empty.
func (p *parser) parse(data []byte) *Scenario {
	root := p.document(data)
	if root == nil {
		return nil
	}
	f := p.mapping(root, "", "a mapping of scenario fields", topKeys...)
	if f == nil {
		return nil
	}
	s := &Scenario{File: p.file, Name: defaultName(p.file)}
	if v := f.get("name"); v != nil {
		if name, ok := p.nonEmpty(v, "name"); ok {
			s.Name = name
		}
	}
	if v := f.get("description"); v != nil {
		s.Description, _ = p.str(v, "description")
	}
	if v := f.get("seed"); v != nil {
		s.Seed, _ = p.uint64Val(v, "seed")
	}
	if v := p.required(f, "duration"); v != nil {
		s.Duration, _ = p.positiveDuration(v, "duration")
		if s.Duration > MaxDuration {
			p.errorf(v, "duration", "must be at most %s (scenario.MaxDuration), got %s", MaxDuration, v.Value)
			s.Duration = 0
		}
	}
	modulesKnown := p.modules(s, f)
	nodesOK := p.nodes(s, f, modulesKnown)
	p.network(s, f.get("network"), nodesOK)
	p.workload(s, f.get("workload"), nodesOK)
	p.checks(s, f.get("checks"))
	p.limits(s, f.get("limits"))
	p.disk(s, f.get("disk"))
	p.faults(s, f.get("faults"), nodesOK)
	p.nemeses(s, f.get("nemesis"), nodesOK)
	p.services(s, f.get("services"))
	if v := f.get("strict"); v != nil {
		s.Strict, _ = p.boolean(v, "strict")
	}
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
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(&Error{File: p.file, Line: 1, Column: 1, Msg: "empty scenario: expected a mapping with duration, modules and nodes"})
		} else {
			p.syntaxError(err, data)
		}
		return nil
	}
	var root *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root != nil && !p.checkAliases(root) {
		return nil
	}
	if isNull(root) {
		p.add(&Error{File: p.file, Line: max(doc.Line, 1), Column: max(doc.Column, 1), Msg: "empty scenario: expected a mapping with duration, modules and nodes"})
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		at := &next
		if len(next.Content) > 0 {
			at = next.Content[0]
		}
		p.errorf(at, "", "a scenario file holds one YAML document; found another")
		return nil
	case !errors.Is(err, io.EOF):
		p.syntaxError(err, data)
		return nil
	}
	return root
}

// modules parses the modules section. It reports whether every module's
// name is known, so that references to modules can be checked; modules
// whose roles are unknown are recorded in p.rolesUnknown.
func (p *parser) modules(s *Scenario, top *fields) bool {
	v := top.get("modules")
	if v == nil {
		if e, ok := top.m["modules"]; ok {
			p.errorf(e.key, "modules", "must define at least one module")
		} else {
			p.errorf(top.node, "modules", "missing required field")
		}
		return false
	}
	f := p.mapping(v, "modules", "a mapping of module names to modules")
	if f == nil {
		return false
	}
	if len(f.node.Content) == 0 {
		p.errorf(f.node, "modules", "must define at least one module")
		return false
	}
	namesKnown := true
	for i := 0; i+1 < len(f.node.Content); i += 2 {
		k := f.node.Content[i]
		e, present := f.m[deref(k).Value]
		switch {
		case !present:
			namesKnown = false // a bad key, already reported
			continue
		case e.key != k:
			continue // a duplicate, already reported
		case strings.TrimSpace(deref(k).Value) == "":
			p.errorf(deref(k), "modules", "module names must not be empty")
			namesKnown = false
			continue
		case !nodeNameRE.MatchString(deref(k).Value):
			// Module names become file names (a run's export bundle).
			p.errorf(deref(k), "modules."+deref(k).Value, "invalid module name %q: use letters, digits, '_', '-' and '.', starting with a letter, digit or '_'", deref(k).Value)
			namesKnown = false
			continue
		}
		m, rolesKnown := p.module(deref(k).Value, e)
		if !rolesKnown {
			p.rolesUnknown[m.Name] = true
		}
		s.Modules = append(s.Modules, m)
	}
	return namesKnown
}

// module parses one module, reporting whether its roles are known.
func (p *parser) module(name string, e entry) (*Module, bool) {
	path := "modules." + name
	m := &Module{Name: name, Roles: []string{DefaultRole}}
	if isNull(e.val) {
		p.errorf(deref(e.key), path, "one of go, wasm or sha256 is required")
		return m, true
	}
	f := p.mapping(e.val, path, "a mapping with go, wasm or sha256, and roles", moduleKeys...)
	if f == nil {
		return m, false
	}
	var set []string
	for _, k := range []string{"go", "wasm", "sha256"} {
		if f.get(k) != nil {
			set = append(set, k)
		}
	}
	switch {
	case len(set) > 1:
		p.errorf(f.node, path, "%s are set; use exactly one of go, wasm or sha256", strings.Join(set, " and "))
	case len(set) == 0:
		p.errorf(f.node, path, "one of go, wasm or sha256 is required")
	default:
		v := f.get(set[0])
		val, _ := p.nonEmpty(v, f.field(set[0]))
		m.Line, m.col = v.Line, v.Column
		switch set[0] {
		case "go":
			m.Go = val
		case "wasm":
			m.Wasm = val
		default:
			if !isSHA256(val) {
				p.errorf(v, f.field("sha256"), "%q is not a SHA-256 in hex (64 characters 0-9a-f)", val)
			}
			m.SHA256 = val
		}
	}
	for _, k := range []string{"ldflags", "tags"} {
		if v := f.get(k); v != nil && m.Go == "" {
			p.errorf(v, f.field(k), "applies only to a go: module")
		}
	}
	if v := f.get("ldflags"); v != nil {
		m.LDFlags, _ = p.nonEmpty(v, f.field("ldflags"))
		if err := gobuild.CheckLDFlags(m.LDFlags); err != nil {
			p.errorf(v, f.field("ldflags"), "%s", strings.TrimPrefix(err.Error(), "ldflags: "))
		}
	}
	if v := f.get("tags"); v != nil {
		m.Tags, _ = p.stringList(v, f.field("tags"), "tag")
		if err := gobuild.CheckTags(m.Tags); err != nil {
			p.errorf(v, f.field("tags"), "%s", strings.TrimPrefix(err.Error(), "tags: "))
		}
	}
	if e, present := f.m["roles"]; present {
		roles, ok := p.stringList(e.val, f.field("roles"), "role")
		if !ok {
			return m, false
		}
		if len(roles) == 0 {
			at := deref(e.val)
			if isNull(at) {
				at = deref(e.key)
			}
			p.errorf(at, f.field("roles"), "must list at least one role (omit roles to get [%s])", DefaultRole)
			return m, false
		}
		m.Roles = roles
	}
	return m, true
}

// stringList parses a sequence of unique, non-empty strings.
func (p *parser) stringList(n *yaml.Node, field, what string) ([]string, bool) {
	n = deref(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, field, "expected a sequence of %ss, got %s", what, describe(n))
		return nil, false
	}
	ok := true
	list := []string{}
	seen := map[string]int{}
	for i, item := range n.Content {
		item = deref(item)
		v, good := p.nonEmpty(item, index(field, i))
		if !good {
			ok = false
			continue
		}
		if line, dup := seen[v]; dup {
			p.errorf(item, index(field, i), "duplicate %s %q (first at line %d)", what, v, line)
			ok = false
			continue
		}
		seen[v] = item.Line
		list = append(list, v)
	}
	return list, ok
}

// nodes parses the nodes section and expands it into node instances,
// reporting whether every instance's name is known, so that references to
// them can be checked.
func (p *parser) nodes(s *Scenario, top *fields, modulesKnown bool) bool {
	v := top.get("nodes")
	if v == nil {
		if e, ok := top.m["nodes"]; ok {
			p.errorf(e.key, "nodes", "must list at least one node group")
		} else {
			p.errorf(top.node, "nodes", "missing required field")
		}
		return false
	}
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, "nodes", "expected a sequence of node groups, got %s", describe(v))
		return false
	}
	if len(v.Content) == 0 {
		p.errorf(v, "nodes", "must list at least one node group")
		return false
	}
	ok := true
	type origin struct {
		group string
		line  int
	}
	seen := map[string]origin{}
	for gi, item := range v.Content {
		path := index("nodes", gi)
		g, nameNode := p.group(s, item, path, modulesKnown)
		if g == nil {
			ok = false
			continue
		}
		if len(s.Nodes)+g.Count > MaxNodes {
			p.errorf(item, path, "too many nodes: a scenario may have at most %d", MaxNodes)
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
					p.errorf(nameNode, join(path, "name"), "duplicate node name %q: also produced by %s (line %d)", name, prev.group, prev.line)
					reported = true
				}
				continue
			}
			seen[name] = origin{path, nameNode.Line}
			s.Nodes = append(s.Nodes, &Node{
				Name:   name,
				Index:  len(s.Nodes),
				Group:  len(s.Groups) - 1,
				Module: g.Module,
				Role:   g.Role,
				Params: g.Params,
				Line:   g.Line,
			})
		}
	}
	return ok
}

// group parses one node group. It returns nil if the group's instance
// names are unknown, along with the node the names derive from.
func (p *parser) group(s *Scenario, item *yaml.Node, path string, modulesKnown bool) (*NodeGroup, *yaml.Node) {
	f := p.mapping(item, path, "a node group mapping", nodeKeys...)
	if f == nil {
		return nil, nil
	}
	g := &NodeGroup{Count: 1, Line: f.node.Line}
	namesOK := true
	nameNode := p.required(f, "name")
	if nameNode != nil {
		name, ok := p.nonEmpty(nameNode, f.field("name"))
		switch {
		case !ok:
			namesOK = false
		case !nodeNameRE.MatchString(name):
			p.errorf(nameNode, f.field("name"), "invalid node name %q: use letters, digits, '_', '-' and '.', starting with a letter, digit or '_'", name)
			namesOK = false
		default:
			g.Name = name
		}
	} else {
		namesOK = false
	}
	countNode := f.get("count")
	if countNode != nil {
		c, ok := p.intRange(countNode, f.field("count"), 1, MaxNodes)
		if !ok {
			namesOK = false
		}
		g.Count = int(c)
	}
	g.Indexed = g.Count > 1
	if v := f.get("indexed"); v != nil {
		b, ok := p.boolean(v, f.field("indexed"))
		switch {
		case !ok:
			namesOK = false
		case !b && g.Count > 1:
			p.errorf(v, f.field("indexed"), "cannot be false with count %d: names of several nodes carry an index", g.Count)
			namesOK = false
		case b:
			g.Indexed = true
		}
	}
	var mod *Module
	if v := p.required(f, "module"); v != nil {
		if name, ok := p.nonEmpty(v, f.field("module")); ok {
			g.Module = name
			mod = s.Module(name)
			if mod == nil && modulesKnown {
				names := make([]string, len(s.Modules))
				for i, m := range s.Modules {
					names[i] = m.Name
				}
				p.errorf(v, f.field("module"), "unknown module %q (modules: %s)", name, strings.Join(names, ", "))
			}
		}
	}
	if mod != nil && !p.rolesUnknown[mod.Name] {
		g.Role = mod.Roles[0]
	}
	if v := f.get("role"); v != nil {
		if role, ok := p.nonEmpty(v, f.field("role")); ok {
			g.Role = role
			if mod != nil && !p.rolesUnknown[mod.Name] && !mod.HasRole(role) {
				p.errorf(v, f.field("role"), "unknown role %q (module %s has roles: %s)", role, mod.Name, strings.Join(mod.Roles, ", "))
			}
		}
	}
	g.Params = p.params(f.get("params"), f.field("params"))
	if !namesOK {
		return nil, nameNode
	}
	return g, nameNode
}

// network parses the network section (n nil: absent).
func (p *parser) network(s *Scenario, n *yaml.Node, nodesOK bool) {
	s.Network.Latency = Latency{Min: DefaultLatency, Max: DefaultLatency}
	if n == nil {
		return
	}
	f := p.mapping(n, "network", "a network mapping", networkKeys...)
	if f == nil {
		return
	}
	if v := f.get("latency"); v != nil {
		if l, ok := p.latency(v, f.field("latency")); ok {
			s.Network.Latency = l
		}
	}
	if v := f.get("loss"); v != nil {
		s.Network.Loss, _ = p.probability(v, f.field("loss"))
	}
	if v := f.get("duplicate"); v != nil {
		s.Network.Duplicate, _ = p.probability(v, f.field("duplicate"))
	}
	if v := f.get("reorder"); v != nil {
		s.Network.Reorder, _ = p.probability(v, f.field("reorder"))
	}
	v := f.get("links")
	if v == nil {
		return
	}
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, f.field("links"), "expected a sequence of links, got %s", describe(v))
		return
	}
	nodes := map[string]bool{"*": true}
	for _, n := range s.Nodes {
		nodes[n.Name] = true
	}
	seen := map[[2]string]int{}
	for i, item := range v.Content {
		path := index(f.field("links"), i)
		lf := p.mapping(item, path, "a link mapping with from, to and latency or loss", linkKeys...)
		if lf == nil {
			continue
		}
		l := Link{Line: lf.node.Line}
		ends := [2]string{}
		endsOK := true
		for j, key := range []string{"from", "to"} {
			en := p.required(lf, key)
			if en == nil {
				endsOK = false
				continue
			}
			name, ok := p.nonEmpty(en, lf.field(key))
			if !ok {
				endsOK = false
				continue
			}
			ends[j] = name
			if nodesOK && !nodes[name] {
				p.errorf(en, lf.field(key), "unknown node %q (use a node name or \"*\")", name)
				endsOK = false
			}
		}
		l.From, l.To = ends[0], ends[1]
		if endsOK {
			if line, dup := seen[ends]; dup {
				p.errorf(lf.node, path, "duplicate link from %q to %q (first at line %d)", l.From, l.To, line)
			}
			seen[ends] = l.Line
		}
		if lv := lf.get("latency"); lv != nil {
			if lat, ok := p.latency(lv, lf.field("latency")); ok {
				l.Latency = &lat
			}
		}
		if lv := lf.get("loss"); lv != nil {
			if loss, ok := p.probability(lv, lf.field("loss")); ok {
				l.Loss = &loss
			}
		}
		for _, k := range []struct {
			key string
			dst **float64
		}{{"duplicate", &l.Duplicate}, {"reorder", &l.Reorder}} {
			if lv := lf.get(k.key); lv != nil {
				if v, ok := p.probability(lv, lf.field(k.key)); ok {
					*k.dst = &v
				}
			}
		}
		if !lf.has("latency") && !lf.has("loss") && !lf.has("duplicate") && !lf.has("reorder") {
			p.errorf(lf.node, path, "a link must override latency, loss, duplicate or reorder")
		}
		s.Network.Links = append(s.Network.Links, l)
	}
}

// latency parses a constant duration, a {min, max} range, or a
// distribution {dist: normal|exponential|uniform|constant, ...}.
func (p *parser) latency(n *yaml.Node, field string) (Latency, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		d, ok := p.duration(n, field)
		return Latency{Min: d, Max: d}, ok
	case yaml.MappingNode:
	default:
		p.errorf(n, field, "expected a duration or a mapping with min and max, got %s", describe(n))
		return Latency{}, false
	}
	f := p.mapping(n, field, "a latency range", latencyKeys...)
	if f == nil {
		return Latency{}, false
	}
	var l Latency
	dist := "uniform"
	if v := f.get("dist"); v != nil {
		d, ok := p.nonEmpty(v, f.field("dist"))
		if !ok {
			return Latency{}, false
		}
		if !contains([]string{"constant", "uniform", "normal", "exponential"}, d) {
			p.errorf(v, f.field("dist"), "unknown distribution %q (known: constant, uniform, normal, exponential)", d)
			return Latency{}, false
		}
		l.Dist, dist = d, d
	}
	get := func(key string, required bool) (time.Duration, bool) {
		var v *yaml.Node
		if required {
			v = p.required(f, key)
		} else {
			v = f.get(key)
		}
		if v == nil {
			return 0, !required
		}
		return p.duration(v, f.field(key))
	}
	ok := true
	need := map[string][]string{"constant": {"min"}, "uniform": {"min", "max"}, "normal": {"mean", "stddev"}, "exponential": {"mean"}}[dist]
	for _, key := range latencyKeys[1:] {
		d, good := get(key, contains(need, key))
		ok = ok && good
		switch key {
		case "min":
			l.Min = d
		case "max":
			l.Max = d
		case "mean":
			l.Mean = d
		case "stddev":
			l.Stddev = d
		}
	}
	if !ok {
		return Latency{}, false
	}
	switch {
	case dist == "constant":
		l.Max = l.Min
	case l.Max != 0 && l.Min > l.Max, dist == "uniform" && l.Min > l.Max:
		p.errorf(f.get("max"), f.field("max"), "must not be less than min (%s), got %s", l.Min, l.Max)
		return Latency{}, false
	}
	return l, true
}

// workload parses the workload section (n nil: absent).
func (p *parser) workload(s *Scenario, n *yaml.Node, nodesOK bool) {
	w := &s.Workload
	*w = Workload{Type: WorkloadNone, Interval: DefaultInterval, Timeout: DefaultTimeout, Params: json.RawMessage("{}")}
	defer func() {
		if w.Targets == nil {
			w.Targets = s.NodeNames()
		}
	}()
	if n == nil {
		return
	}
	f := p.mapping(n, "workload", "a workload mapping", workloadKeys...)
	if f == nil {
		return
	}
	w.Line = f.node.Line
	w.Clients = 1
	if v := p.required(f, "type"); v != nil {
		if t, ok := p.nonEmpty(v, f.field("type")); ok {
			w.Type = t
			if reg := p.opts.Workloads; reg != nil && t != WorkloadNone && !contains(reg, t) {
				if !contains(reg, WorkloadNone) {
					reg = append(append([]string(nil), reg...), WorkloadNone)
				}
				p.errorf(v, f.field("type"), "unknown workload type %q (%s)", t, known(reg))
			}
		}
	}
	if v := f.get("clients"); v != nil {
		c, _ := p.intRange(v, f.field("clients"), 1, MaxNodes)
		w.Clients = int(c)
	}
	if v := f.get("interval"); v != nil {
		w.Interval, _ = p.positiveDuration(v, f.field("interval"))
	}
	if v := f.get("start"); v != nil {
		w.Start, _ = p.duration(v, f.field("start"))
	}
	if v := f.get("ops"); v != nil {
		o, _ := p.intRange(v, f.field("ops"), 0, 1<<62)
		w.Ops = int(o)
	}
	if v := f.get("timeout"); v != nil {
		w.Timeout, _ = p.positiveDuration(v, f.field("timeout"))
	}
	if e, ok := f.m["targets"]; ok && !isNull(e.val) {
		targets, good := p.stringList(e.val, f.field("targets"), "target")
		switch {
		case !good:
		case len(targets) == 0:
			p.errorf(e.val, f.field("targets"), "must list at least one node (omit targets to use every node)")
		default:
			w.Targets = targets
			if nodesOK {
				items := deref(e.val).Content
				for i, t := range targets {
					if s.Node(t) == nil {
						p.errorf(deref(items[i]), index(f.field("targets"), i), "unknown node %q (nodes: %s)", t, strings.Join(abbreviate(s.NodeNames()), ", "))
					}
				}
			}
		}
	}
	w.Params = p.params(f.get("params"), f.field("params"))
}

// abbreviate shortens a long list of names for messages.
func abbreviate(names []string) []string {
	const limit = 10
	if len(names) <= limit {
		return names
	}
	return append(names[:limit:limit], fmt.Sprintf("... (%d more)", len(names)-limit))
}

// checks parses the checks section (n nil: absent).
func (p *parser) checks(s *Scenario, n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "checks", "expected a sequence of checks, got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		item = deref(item)
		path := index("checks", i)
		c := Check{Line: item.Line, Params: json.RawMessage("{}")}
		nameNode := item
		nameField := path
		switch item.Kind {
		case yaml.ScalarNode:
		case yaml.MappingNode:
			f := p.mapping(item, path, "a check mapping", checkKeys...)
			nameField = f.field("name")
			nameNode = p.required(f, "name")
			c.Params = p.params(f.get("params"), f.field("params"))
		default:
			p.errorf(item, path, "expected a check name or a mapping with name and params, got %s", describe(item))
			continue
		}
		if nameNode == nil {
			continue
		}
		name, ok := p.nonEmpty(nameNode, nameField)
		if !ok {
			continue
		}
		c.Name = name
		if reg := p.opts.Checks; reg != nil && !contains(reg, name) {
			p.errorf(nameNode, nameField, "unknown check %q (%s)", name, known(reg))
		}
		s.Checks = append(s.Checks, c)
	}
}

// limits parses the limits section (n nil: absent).
func (p *parser) limits(s *Scenario, n *yaml.Node) {
	if n == nil {
		return
	}
	f := p.mapping(n, "limits", "a limits mapping", limits.Names()...)
	if f == nil {
		return
	}
	for _, lf := range limits.Fields() {
		if v := f.get(lf.Name); v != nil {
			n, _ := p.intRange(v, f.field(lf.Name), lf.Min, lf.Max)
			s.Limits = s.Limits.With(lf, n)
		}
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
