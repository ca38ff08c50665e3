package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// entry is one key/value pair of a YAML mapping.
type entry struct {
	key, val *yaml.Node
}

// fields holds the checked entries of one schema mapping.
type fields struct {
	node *yaml.Node // the mapping, where missing fields are reported
	path string     // the mapping's field path
	m    map[string]entry
}

// has reports whether key is present with a non-null value.
func (f *fields) has(key string) bool { return f.get(key) != nil }

// get returns the value of key, or nil if it is absent or null.
func (f *fields) get(key string) *yaml.Node {
	e, ok := f.m[key]
	if !ok || isNull(e.val) {
		return nil
	}
	return e.val
}

// field returns the path of key within f.
func (f *fields) field(key string) string { return join(f.path, key) }

// join appends key to a dotted field path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index appends an index to a field path.
func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// deref follows aliases to the node they refer to.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is an explicit or implicit null.
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what n is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	n = deref(n)
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

// parser walks a scenario's YAML tree, collecting problems.
type parser struct {
	file         string
	opts         Options
	errs         Errors
	more         int             // problems past MaxProblems, counted only
	rolesUnknown map[string]bool // modules whose roles could not be parsed
}

// add records a problem; past MaxProblems it only counts it.
func (p *parser) add(e *Error) {
	if len(p.errs) >= MaxProblems {
		p.more++
		return
	}
	p.errs = append(p.errs, e)
}

// problems returns the recorded problems sorted by position, ending with
// how many more were found, if any; nil if there were none.
func (p *parser) problems() Errors {
	if len(p.errs) == 0 {
		return nil
	}
	sortErrors(p.errs)
	if p.more > 0 {
		p.errs = append(p.errs, &Error{File: p.file, Msg: fmt.Sprintf("... and %d more problems (only the first %d are listed: scenario.MaxProblems)", p.more, MaxProblems)})
	}
	return p.errs
}

// checkAliases refuses a document whose aliases, expanded, would make more
// than MaxExpandedNodes nodes, naming the alias where the count passes it.
// The parser follows aliases wherever they are used, so without the bound a
// few nested aliases in a small file make it walk (and report on) billions
// of nodes. yaml/v3 bounds alias expansion only when decoding into Go
// values (decode.go, allowedAliasRatio), not into the yaml.Node tree the
// parser reads.
func (p *parser) checkAliases(root *yaml.Node) bool {
	sizes := map[*yaml.Node]int{}
	open := map[*yaml.Node]bool{}
	var size func(n *yaml.Node) int
	size = func(n *yaml.Node) int {
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil || open[n.Alias] {
				return 1 // recursive: reported where the value is read
			}
			return min(1+size(n.Alias), MaxExpandedNodes+1)
		}
		if v, ok := sizes[n]; ok {
			return v
		}
		open[n] = true
		total := 1
		for _, c := range n.Content {
			total = min(total+size(c), MaxExpandedNodes+1)
		}
		delete(open, n)
		sizes[n] = total
		return total
	}
	if size(root) <= MaxExpandedNodes {
		return true
	}
	// Find the alias, in document order, at which the count passes the bound.
	count := 0
	var at *yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if at != nil {
			return
		}
		if n.Kind == yaml.AliasNode {
			if count += size(n); count > MaxExpandedNodes {
				at = n
			}
			return
		}
		count++
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if at == nil {
		at = root
	}
	p.errorf(at, "", "aliases expand the scenario to more than %d YAML nodes (scenario.MaxExpandedNodes); alias *%s is where it passes that", MaxExpandedNodes, at.Value)
	return false
}

// errorf records a problem at n's position.
func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	e := &Error{File: p.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.add(e)
}

// mapping checks that n is a mapping whose keys are unique and among
// allowed, reporting every other key. It returns nil if n is not a mapping.
func (p *parser) mapping(n *yaml.Node, path, what string, allowed ...string) *fields {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "expected %s, got %s", what, describe(n))
		return nil
	}
	f := &fields{node: n, path: path, m: map[string]entry{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := p.key(k, path)
		if !ok {
			continue
		}
		if allowed != nil && !contains(allowed, name) {
			p.errorf(k, join(path, name), "unknown field %q (allowed: %s)", name, strings.Join(allowed, ", "))
			continue
		}
		if prev, dup := f.m[name]; dup {
			p.errorf(k, join(path, name), "duplicate field %q (first at line %d)", name, prev.key.Line)
			continue
		}
		f.m[name] = entry{key: k, val: deref(v)}
	}
	return f
}

// key returns the text of a mapping key, reporting keys that are not
// scalars and merge keys.
func (p *parser) key(k *yaml.Node, path string) (string, bool) {
	k = deref(k)
	switch {
	case k.Kind != yaml.ScalarNode:
		p.errorf(k, path, "mapping keys must be scalars, got %s", describe(k))
		return "", false
	case k.ShortTag() == "!!merge":
		p.errorf(k, path, "merge keys (<<) are not supported")
		return "", false
	}
	return k.Value, true
}

// required returns the value of key, reporting it if absent or null.
func (p *parser) required(f *fields, key string) *yaml.Node {
	e, ok := f.m[key]
	switch {
	case !ok:
		p.errorf(f.node, f.field(key), "missing required field")
		return nil
	case isNull(e.val):
		p.errorf(e.key, f.field(key), "missing value")
		return nil
	}
	return e.val
}

// str returns the string scalar n.
func (p *parser) str(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		hint := ""
		if n.Kind == yaml.ScalarNode && !isNull(n) {
			hint = " (quote it to make it a string)"
		}
		p.errorf(n, field, "expected a string, got %s%s", describe(n), hint)
		return "", false
	}
	return n.Value, true
}

// nonEmpty returns the non-empty string scalar n.
func (p *parser) nonEmpty(n *yaml.Node, field string) (string, bool) {
	s, ok := p.str(n, field)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(n, field, "must not be empty")
		return "", false
	}
	return s, ok
}

// integer returns the integer scalar n; integral floats such as 1e9 are
// accepted up to 2^53, beyond which floats no longer hold every integer.
func (p *parser) integer(n *yaml.Node, field string) (int64, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!int":
			v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
			if err == nil {
				return v, true
			}
			if errors.Is(err, strconv.ErrRange) {
				p.errorf(n, field, "integer %s is out of range", n.Value)
				return 0, false
			}
		case "!!float":
			if f, ok := integral(n); ok {
				if math.Abs(f) > 1<<53 {
					p.inexact(n, field, "integer %s is out of range")
					return 0, false
				}
				return int64(f), true
			}
		}
	}
	p.errorf(n, field, "expected an integer, got %s", describe(n))
	return 0, false
}

// inexact reports a float scalar too large to hold an exact integer: with
// outOfRange (a format taking n's text) if it is written as an integer
// that yaml/v3 resolved to a float because it overflows 64 bits.
func (p *parser) inexact(n *yaml.Node, field, outOfRange string) {
	if digitsRE.MatchString(n.Value) {
		p.errorf(n, field, outOfRange, n.Value)
		return
	}
	p.errorf(n, field, "%s is too large to be an exact integer in this notation; write the integer out in digits", n.Value)
}

// integral returns the value of the float scalar n if it is an integer.
func integral(n *yaml.Node) (float64, bool) {
	var f float64
	if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || f != math.Trunc(f) {
		return 0, false // NaN fails f == Trunc(f)
	}
	return f, true
}

// intRange returns the integer scalar n, reporting it unless min <= n <= max.
func (p *parser) intRange(n *yaml.Node, field string, lo, hi int64) (int64, bool) {
	v, ok := p.integer(n, field)
	switch {
	case !ok:
		return 0, false
	case v < lo:
		p.errorf(n, field, "must be at least %d, got %d", lo, v)
		return 0, false
	case v > hi:
		p.errorf(n, field, "must be at most %d, got %d", hi, v)
		return 0, false
	}
	return v, true
}

// uint64Val returns the non-negative integer scalar n.
func (p *parser) uint64Val(n *yaml.Node, field string) (uint64, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!int":
			plain := strings.ReplaceAll(n.Value, "_", "")
			if strings.HasPrefix(plain, "-") {
				p.errorf(n, field, "must not be negative, got %s", n.Value)
				return 0, false
			}
			v, err := strconv.ParseUint(strings.TrimPrefix(plain, "+"), 0, 64)
			if err == nil {
				return v, true
			}
			if errors.Is(err, strconv.ErrRange) {
				p.errorf(n, field, "integer %s is out of range (max %d)", n.Value, uint64(math.MaxUint64))
				return 0, false
			}
		case "!!float":
			if f, ok := integral(n); ok {
				switch {
				case f < 0:
					p.errorf(n, field, "must not be negative, got %s", n.Value)
					return 0, false
				case f > 1<<53:
					p.inexact(n, field, "integer %s is out of range (max 18446744073709551615)")
					return 0, false
				}
				return uint64(f), true
			}
		}
	}
	p.errorf(n, field, "expected a non-negative integer, got %s", describe(n))
	return 0, false
}

// boolean returns the boolean scalar n.
func (p *parser) boolean(n *yaml.Node, field string) (bool, bool) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		p.errorf(n, field, "expected true or false, got %s", describe(n))
		return false, false
	}
	return b, true
}

// probability returns the number scalar n, reporting it unless in [0, 1].
func (p *parser) probability(n *yaml.Node, field string) (float64, bool) {
	var f float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
		p.errorf(n, field, "expected a probability between 0 and 1, got %s", describe(n))
		return 0, false
	}
	if math.IsNaN(f) || f < 0 || f > 1 {
		p.errorf(n, field, "must be between 0 and 1, got %s", n.Value)
		return 0, false
	}
	return f, true
}

const durationHint = "use Go duration syntax such as 10s, 1m30s or 250ms; units: ns, us, ms, s, m, h"

// duration returns the duration scalar n, reporting negative durations.
func (p *parser) duration(n *yaml.Node, field string) (time.Duration, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.errorf(n, field, "expected a duration, got %s (%s)", describe(n), durationHint)
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		if tag := n.ShortTag(); (tag == "!!int" || tag == "!!float") && n.Value != "0" {
			p.errorf(n, field, "duration %s has no unit (%s)", n.Value, durationHint)
		} else {
			p.errorf(n, field, "invalid duration %q (%s)", n.Value, durationHint)
		}
		return 0, false
	}
	if d < 0 {
		p.errorf(n, field, "must not be negative, got %s", d)
		return 0, false
	}
	return d, true
}

// positiveDuration returns the duration scalar n, reporting it unless > 0.
func (p *parser) positiveDuration(n *yaml.Node, field string) (time.Duration, bool) {
	d, ok := p.duration(n, field)
	if ok && d == 0 {
		p.errorf(n, field, "must be greater than 0, got %s", n.Value)
		return 0, false
	}
	return d, ok
}

// maxParamsBytes bounds the JSON encoding of one params mapping, which
// guards against alias expansion blowing up.
const maxParamsBytes = 1 << 20

// maxParamsDepth bounds the nesting of params values.
const maxParamsDepth = 1000

// params converts the params mapping n (nil: absent) to a JSON object with
// sorted keys.
func (p *parser) params(n *yaml.Node, field string) json.RawMessage {
	if isNull(n) {
		return json.RawMessage("{}")
	}
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, field, "expected a mapping, got %s", describe(n))
		return nil
	}
	enc := &jsonEncoder{p: p, root: n, field: field}
	if !enc.encode(n, field) {
		return nil
	}
	return json.RawMessage(enc.buf.Bytes())
}

// jsonEncoder converts a YAML tree to JSON, reporting what JSON cannot hold.
type jsonEncoder struct {
	p      *parser
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
		e.p.errorf(e.root, e.field, "larger than %d bytes as JSON (check for aliases expanding too much)", maxParamsBytes)
		e.tooBig = true
		return false
	}
	if n.Kind == yaml.AliasNode {
		target := deref(n)
		for _, o := range e.open {
			if o == target {
				e.p.errorf(n, field, "alias *%s refers to a value that contains it", n.Value)
				return false
			}
		}
		n = target
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		if len(e.open) >= maxParamsDepth {
			e.p.errorf(n, field, "params are nested more than %d levels deep", maxParamsDepth)
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
			ok = e.encode(v, index(field, i)) && ok
		}
		e.buf.WriteByte(']')
		return ok
	case yaml.ScalarNode:
		return e.scalar(n, field)
	}
	e.p.errorf(n, field, "unsupported YAML node")
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
		name, good := e.p.key(k, field)
		if !good {
			ok = false
			continue
		}
		if prev, dup := seen[name]; dup {
			e.p.errorf(k, join(field, name), "duplicate key %q (first at line %d)", name, prev.Line)
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
		ok = e.encode(kv.val, join(field, kv.key)) && ok
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
			e.p.errorf(n, field, "invalid value %s: %v", describe(n), err)
			return false
		}
		b, err := json.Marshal(v)
		if err != nil {
			e.p.errorf(n, field, "invalid value %s: %v", describe(n), err)
			return false
		}
		e.buf.Write(b)
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			e.p.errorf(n, field, "invalid number %s: %v", n.Value, err)
			return false
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			e.p.errorf(n, field, "%s cannot be represented in JSON", n.Value)
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

var (
	yamlLineRE   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlAnchorRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
	digitsRE     = regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`)
)

// parserProblems are the problems the YAML parser (as opposed to its
// scanner) reports. yaml/v3 numbers their lines from 0 while it numbers the
// scanner's from 1, and leaves the line out when it is 0.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// syntaxError records a YAML parser error at the line yaml/v3 names,
// converted to 1-based for the parser's own problems.
func (p *parser) syntaxError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: p.file}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if contains(parserProblems, msg) {
		e.Line++
	}
	// At the end of the input the parser's marks can point past the last line.
	lines := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	e.Line = min(e.Line, max(lines, 1))
	if m := yamlAnchorRE.FindStringSubmatch(err.Error()); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			e.Line, e.Column = position(data, i)
		}
	}
	if e.Line == 0 || msg == "found unknown directive name" {
		// yaml/v3 names no line for these: find the offending byte.
		if i, what := locate(data, msg); i >= 0 {
			e.Line, e.Column = position(data, i)
			msg += what
		}
	}
	e.Msg = "invalid YAML: " + msg
	p.add(e)
}

// position returns the 1-based line and column (in bytes) of offset i.
func position(data []byte, i int) (line, col int) {
	return bytes.Count(data[:i], []byte("\n")) + 1, i - bytes.LastIndexByte(data[:i], '\n')
}

// locate finds the offset of the problem a line-less yaml/v3 error names
// (invalid UTF-8, a character YAML does not allow, an unknown directive),
// with a few words on what is there; -1 if it cannot.
func locate(data []byte, msg string) (int, string) {
	switch {
	case strings.Contains(msg, "UTF-8"), strings.Contains(msg, "UTF-16"):
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				return i, fmt.Sprintf(" (byte %#02x)", data[i])
			}
			i += n
		}
	case strings.Contains(msg, "control characters"):
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if !yamlPrintable(r) {
				return i, fmt.Sprintf(" (%U)", r)
			}
			i += n
		}
	case strings.Contains(msg, "directive"):
		for i := 0; i < len(data); {
			end := bytes.IndexByte(data[i:], '\n')
			if end < 0 {
				end = len(data) - i
			}
			line := data[i : i+end]
			if bytes.HasPrefix(line, []byte("%")) && !bytes.HasPrefix(line, []byte("%YAML ")) && !bytes.HasPrefix(line, []byte("%TAG ")) {
				name, _, _ := bytes.Cut(line[1:], []byte(" "))
				return i, fmt.Sprintf(" %%%s (only %%YAML and %%TAG exist)", name)
			}
			i += end + 1
		}
	}
	return -1, ""
}

// yamlPrintable reports whether YAML 1.2 allows r in a stream.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// known renders a registry for "unknown X" messages.
func known(list []string) string {
	if len(list) == 0 {
		return "none are registered"
	}
	sorted := append([]string(nil), list...)
	sort.Strings(sorted)
	return "known: " + strings.Join(sorted, ", ")
}
