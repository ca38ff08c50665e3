package yamlcheck

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxParamsBytes bounds the JSON encoding of one params mapping, which
// guards against alias expansion blowing up.
const maxParamsBytes = 1 << 20

// maxParamsDepth bounds the nesting of params values.
const maxParamsDepth = 1000

// Params converts the params mapping n (nil: absent) to a JSON object with
// sorted keys.
func (c *Checker) Params(n *yaml.Node, field string) json.RawMessage {
	if IsNull(n) {
		return json.RawMessage("{}")
	}
	n = Deref(n)
	if n.Kind != yaml.MappingNode {
		c.Errorf(n, field, "expected a mapping, got %s", Describe(n))
		return nil
	}
	enc := &jsonEncoder{c: c, root: n, field: field}
	if !enc.encode(n, field) {
		return nil
	}
	return json.RawMessage(enc.buf.Bytes())
}

// jsonEncoder converts a YAML tree to JSON, reporting what JSON cannot hold.
type jsonEncoder struct {
	c      *Checker
	root   *yaml.Node // the params mapping, where size problems are reported
	field  string     // root's field path
	buf    bytes.Buffer
	open   []*yaml.Node // the collections being encoded, to catch recursive aliases
	tooBig bool         // the size limit was hit and reported
}

// encode appends n's JSON encoding to e.buf.
func (e *jsonEncoder) encode(n *yaml.Node, field string) bool {
	if e.tooBig {
		return false
	}
	if e.buf.Len() > maxParamsBytes {
		e.c.Errorf(e.root, e.field, "larger than %d bytes as JSON (check for aliases expanding too much)", maxParamsBytes)
		e.tooBig = true
		return false
	}
	if n.Kind == yaml.AliasNode {
		target := Deref(n)
		for _, o := range e.open {
			if o == target {
				e.c.Errorf(n, field, "alias *%s refers to a value that contains it", n.Value)
				return false
			}
		}
		n = target
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		if len(e.open) >= maxParamsDepth {
			e.c.Errorf(n, field, "params are nested more than %d levels deep", maxParamsDepth)
			return false
		}
		e.open = append(e.open, n)
		defer func() { e.open = e.open[:len(e.open)-1] }()
		if n.Kind == yaml.MappingNode {
			return e.mapping(n, field)
		}
		ok := true
		e.buf.WriteByte('[')
		for i, v := range n.Content {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			ok = e.encode(v, Index(field, i)) && ok
		}
		e.buf.WriteByte(']')
		return ok
	case yaml.ScalarNode:
		return e.scalar(n, field)
	}
	e.c.Errorf(n, field, "unsupported YAML node")
	return false
}

// mapping appends the JSON object for the mapping n, keys sorted.
func (e *jsonEncoder) mapping(n *yaml.Node, field string) bool {
	type kv struct {
		key string
		val *yaml.Node
	}
	var kvs []kv
	seen := map[string]*yaml.Node{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, good := e.c.Key(k, field)
		if !good {
			ok = false
			continue
		}
		if prev, dup := seen[name]; dup {
			e.c.Errorf(k, Join(field, name), "duplicate key %q (first at line %d)", name, prev.Line)
			ok = false
			continue
		}
		seen[name] = k
		kvs = append(kvs, kv{name, v})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].key < kvs[j].key })
	e.buf.WriteByte('{')
	for i, kv := range kvs {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		writeJSONString(&e.buf, kv.key)
		e.buf.WriteByte(':')
		ok = e.encode(kv.val, Join(field, kv.key)) && ok
	}
	e.buf.WriteByte('}')
	return ok
}

// scalar appends the JSON value of the scalar n.
func (e *jsonEncoder) scalar(n *yaml.Node, field string) bool {
	switch n.ShortTag() {
	case "!!null":
		e.buf.WriteString("null")
	case "!!int":
		plain := strings.ReplaceAll(n.Value, "_", "")
		if v, err := strconv.ParseInt(plain, 0, 64); err == nil {
			e.buf.WriteString(strconv.FormatInt(v, 10))
			return true
		}
		if v, err := strconv.ParseUint(plain, 0, 64); err == nil {
			e.buf.WriteString(strconv.FormatUint(v, 10))
			return true
		}
		fallthrough // not a 64-bit integer (explicitly tagged !!int): let yaml/v3 decode or reject it
	case "!!bool":
		var v any
		if err := n.Decode(&v); err != nil {
			e.c.Errorf(n, field, "invalid value %s: %v", Describe(n), err)
			return false
		}
		b, err := json.Marshal(v)
		if err != nil {
			e.c.Errorf(n, field, "invalid value %s: %v", Describe(n), err)
			return false
		}
		e.buf.Write(b)
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			e.c.Errorf(n, field, "invalid number %s: %v", n.Value, err)
			return false
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			e.c.Errorf(n, field, "%s cannot be represented in JSON", n.Value)
			return false
		}
		b, _ := json.Marshal(f) // finite floats always marshal
		e.buf.Write(b)
	default: // strings, timestamps, binary and custom tags keep their text
		writeJSONString(&e.buf, n.Value)
	}
	return true
}

// writeJSONString appends s as a JSON string without HTML escaping.
func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // strings always encode
	buf.Truncate(buf.Len() - 1) // Encode appends a newline
}
