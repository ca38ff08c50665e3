// Package yamlcheck reads a YAML node tree against a schema written as Go
// structs with yaml tags, collecting every problem with its line, column
// and field path instead of stopping at the first.
//
// A schema struct's tagged fields are its mapping's keys (Keys); its other
// tags are the rules of their values (see Reader). Reader.Struct checks a
// mapping's keys, records where each field was written (At, keyed by the
// field's address; a field tagged pos receives a position: the mapping's
// line, or a Pos),
// reads the scalar fields by their rules and hands every field to the
// caller in declaration order, which reads the rest (Get, Need, Nested,
// Each, Struct) and checks what the schema alone cannot (references,
// combinations) at the positions At keeps. Encode writes the same structs
// back as YAML, in declaration order.
package yamlcheck

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one problem, located by line and column (0 when unknown).
type Problem struct {
	Line, Column int
	Field, Msg   string
}

// Checker collects problems; past Max of them it only counts them.
type Checker struct {
	Max      int
	Problems []Problem
	More     int // problems past Max, counted only
}

// Add records a problem.
func (c *Checker) Add(p Problem) {
	if len(c.Problems) >= c.Max {
		c.More++
		return
	}
	c.Problems = append(c.Problems, p)
}

// Errorf records a problem at n's position (n nil: position unknown).
func (c *Checker) Errorf(n *yaml.Node, field, format string, args ...any) {
	p := Problem{Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	c.Add(p)
}

// Join appends key to a dotted field path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index appends an index to a field path.
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// Deref follows aliases to the node they refer to.
func Deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is an explicit or implicit null.
func IsNull(n *yaml.Node) bool {
	n = Deref(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Describe names what n is, for "expected X, got Y" messages.
func Describe(n *yaml.Node) string {
	n = Deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return strconv.Quote(v)
		case "!!int":
			return "integer " + v
		case "!!float":
			return "number " + v
		case "!!bool":
			return "boolean " + v
		default:
			return n.ShortTag() + " " + strconv.Quote(v)
		}
	}
	return "nothing"
}

// Key returns the text of a mapping key, reporting keys that are not
// scalars and merge keys.
func (c *Checker) Key(k *yaml.Node, path string) (string, bool) {
	k = Deref(k)
	switch {
	case k.Kind != yaml.ScalarNode:
		c.Errorf(k, path, "mapping keys must be scalars, got %s", Describe(k))
		return "", false
	case k.ShortTag() == "!!merge":
		c.Errorf(k, path, "merge keys (<<) are not supported")
		return "", false
	}
	return k.Value, true
}

// Entry is one checked key of a mapping: its name, its node as written
// and its value (aliases followed).
type Entry struct {
	Name     string
	Key, Val *yaml.Node
}

// Map is a checked mapping: its accepted entries in file order.
type Map struct {
	Node    *yaml.Node
	Path    string
	Entries []Entry
	BadKeys bool // some key was not a plain scalar
}

// Get returns the entry of key, or nil.
func (m *Map) Get(key string) *Entry {
	for i := range m.Entries {
		if m.Entries[i].Name == key {
			return &m.Entries[i]
		}
	}
	return nil
}

// Mapping checks that n is a mapping whose keys are unique and, unless
// allowed is nil, among allowed, reporting every other key. It returns
// nil if n is not a mapping.
func (c *Checker) Mapping(n *yaml.Node, path, what string, allowed []string) *Map {
	n = Deref(n)
	if n.Kind != yaml.MappingNode {
		c.Errorf(n, path, "expected %s, got %s", what, Describe(n))
		return nil
	}
	m := &Map{Node: n, Path: path}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := c.Key(k, path)
		switch {
		case !ok:
			m.BadKeys = true
		case allowed != nil && !slices.Contains(allowed, name):
			c.Errorf(k, Join(path, name), "unknown field %q (allowed: %s)", name, strings.Join(allowed, ", "))
		case seen[name] != nil:
			c.Errorf(k, Join(path, name), "duplicate field %q (first at line %d)", name, seen[name].Line)
		default:
			seen[name] = k
			m.Entries = append(m.Entries, Entry{Name: name, Key: k, Val: Deref(v)})
		}
	}
	return m
}
