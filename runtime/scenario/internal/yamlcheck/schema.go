package yamlcheck

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// At is where a field was written.
type At struct {
	Node *yaml.Node // the value, aliases followed; nil when absent
	Key  *yaml.Node // its key as written; nil when absent or an item of a sequence
	Path string     // its field path
	OK   bool       // read without a problem

	tag reflect.StructTag // the field's tags
}

// Present reports whether the key was written, even with a null value.
func (a *At) Present() bool { return a.Node != nil }

// Set reports whether a value other than null was written.
func (a *At) Set() bool { return a.Node != nil && !IsNull(a.Node) }

// Reader reads YAML mappings into schema structs: Go structs whose yaml
// tags are the mapping's keys and whose other tags are the rules of their
// values. Where each field was written is kept beside the struct, keyed by
// the field's address (At).
//
// The rules, read by Struct for every scalar field in declaration order:
// check:"required" (the key must be set), check:"positive" (a duration
// > 0), check:"signed" (a duration that may be negative), min:"D,NAME" and max:"D,NAME" (a duration's bounds, NAME the
// constant D is), check:"str" (a string that may be empty; other
// strings must not be), range:"lo,hi" (an integer in [lo, hi]), item:"what" (a list of
// unique strings, what naming one in messages), check:"manual" (read by
// the caller with Get), oneof:"G" (exactly one of the two or more fields
// tagged G must be set, else none of them is read); a field tagged pos:"line" (and
// yaml:"-") is set to the mapping's line, a position field (a struct
// with int fields Line and Column) tagged pos:"" to
// its position and one tagged pos:"k1,k2,..." to the position of the
// first of those keys set. A struct with a field tagged short:"" may be
// written as a scalar instead of a mapping: the scalar is that field's
// value, read by its rules (even if manual) at the struct's path. A duration field is a Go duration >= 0, a float
// a probability, a json.RawMessage a params mapping. Fields of struct,
// map or struct-slice type are left to the caller, who reads them (with
// Struct, Items, Mapping) in the order it wants problems found.
type Reader struct {
	Checker
	at map[any]*At
}

// At returns where the field ptr points to was written (a zero At if the
// reader never saw it).
func (r *Reader) At(ptr any) *At {
	if a, ok := r.at[ptr]; ok {
		return a
	}
	if r.at == nil {
		r.at = map[any]*At{}
	}
	a := &At{}
	r.at[ptr] = a
	return a
}

// Get reads the field ptr points to if it is set, reporting whether it was
// read without a problem (false when absent or null).
func (r *Reader) Get(ptr any) bool {
	if a := r.At(ptr); a.Set() {
		a.OK = r.decode(a.Node, a.Path, reflect.ValueOf(ptr).Elem(), a.tag)
	}
	return r.At(ptr).OK
}

// Need is Get for a field of the struct m points to that must be set: it
// reports the field if it is absent or null.
func (r *Reader) Need(m, ptr any) bool {
	return r.Required(*r.At(m), *r.At(ptr)) && r.Get(ptr)
}

// Required reports the field f of the mapping m unless it is set.
func (r *Reader) Required(m, f At) bool {
	switch {
	case !f.Present():
		r.Errorf(m.Node, f.Path, "missing required field")
		return false
	case !f.Set():
		r.Errorf(f.Key, f.Path, "missing value")
		return false
	}
	return true
}

// Filled is Required for the collection field f of the mapping m, which
// must also have entries: a null value, or one of the kind it should be
// without entries, is reported with the message empty.
func (r *Reader) Filled(m, f *At, kind yaml.Kind, empty string) bool {
	switch {
	case !f.Present():
		r.Errorf(m.Node, f.Path, "missing required field")
	case !f.Set():
		r.Errorf(f.Key, f.Path, "%s", empty)
	case f.Node.Kind == kind && len(f.Node.Content) == 0:
		r.Errorf(f.Node, f.Path, "%s", empty)
	default:
		return true
	}
	return false
}

// Fail records a problem at the field ptr points to.
func (r *Reader) Fail(ptr any, format string, args ...any) {
	a := r.At(ptr)
	r.Errorf(a.Node, a.Path, format, args...)
}

// Place records err, a problem that a check outside the schema (another
// package's, judging a typed value) found with the field ptr points to,
// at the field, less the field's key if err starts with it; it reports
// whether there was none.
func (r *Reader) Place(ptr any, err error) bool {
	if a := r.At(ptr); err != nil {
		r.Errorf(a.Node, a.Path, "%s", strings.TrimPrefix(err.Error(), a.Name()+": "))
	}
	return err == nil
}

// Name returns the field's key: the last part of its path.
func (a *At) Name() string { return a.Path[strings.LastIndexByte(a.Path, '.')+1:] }

// Items checks that the node at is a sequence (what names its items in
// the message) and returns its items as written; ok is false if it is not
// a sequence.
func (r *Reader) Items(at *At, what string) ([]*yaml.Node, bool) {
	if at.Node.Kind != yaml.SequenceNode {
		r.Errorf(at.Node, at.Path, "expected a sequence of %s, got %s", what, Describe(at.Node))
		return nil, false
	}
	return at.Node.Content, true
}

// Each calls fn with every item of the sequence field ptr points to, as
// written, and the item's path, if the field is set; a value that is not
// a sequence is reported (Items; what names its items).
func (r *Reader) Each(ptr any, what string, fn func(item *yaml.Node, path string)) {
	if at := r.At(ptr); at.Set() {
		items, _ := r.Items(at, what)
		for i, item := range items {
			fn(item, Index(at.Path, i))
		}
	}
}

// Nested reads the mapping field ptr points to, if it is set, into itself
// with Struct (what names it in the message if it is not a mapping).
func (r *Reader) Nested(ptr any, what string, then func(field any)) {
	if at := r.At(ptr); at.Set() {
		r.Struct(at.Node, at.Path, what, ptr, then)
	}
}

// Keys returns the keys of the schema struct type t: its fields' yaml
// tags in declaration order (those of an inline field in its place),
// except that a field tagged docafter:"k" is listed right after key k.
func Keys(t reflect.Type) []string {
	var keys []string
	moved := map[string]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			switch {
			case opts == "inline":
				walk(f.Type)
			case name == "" || name == "-":
			case f.Tag.Get("docafter") != "":
				moved[f.Tag.Get("docafter")] = name
			default:
				keys = append(keys, name)
			}
		}
	}
	walk(t)
	out := make([]string, 0, len(keys)+len(moved))
	for _, k := range keys {
		out = append(out, k)
		if m, ok := moved[k]; ok {
			out = append(out, m)
		}
	}
	return out
}

// Struct reads the mapping n into the schema struct dst points to (what
// names it in the message if n is not a mapping): it reports keys that
// are not dst's, records where every field was written (present or not),
// then goes through the fields in declaration order, reading each scalar
// field by its rules and calling then (if not nil) with every field's
// address, so that the caller checks a field (or reads a manual or
// structured one) where the schema lists it and problems are found in
// that order. It returns false if n is not a mapping.
func (r *Reader) Struct(n *yaml.Node, path, what string, dst any, then func(field any)) bool {
	fields, ok := r.locate(n, path, what, dst)
	one := map[string]bool{"": true} // oneof groups: exactly one set
	for i, f := range fields {
		g := f.at.tag.Get("oneof")
		if _, seen := one[g]; !seen {
			one[g] = r.one(r.At(dst), fields[i:], g)
		}
		switch {
		case !one[g]:
		case f.short: // written as the struct's scalar, null or not
			f.at.OK = r.decode(f.at.Node, f.at.Path, reflect.ValueOf(f.ptr).Elem(), f.at.tag)
		case f.read && (!strings.Contains(f.at.tag.Get("check"), "required") || r.Required(*r.At(dst), *f.at)):
			r.Get(f.ptr)
		}
		if then != nil {
			then(f.ptr)
		}
	}
	return ok
}

// locate checks the mapping n's keys against dst's (n may be a scalar if
// dst has a short field) and locates dst and its fields.
func (r *Reader) locate(n *yaml.Node, path, what string, dst any) ([]field, bool) {
	v := reflect.ValueOf(dst).Elem()
	m := &Map{Node: Deref(n), Path: path}
	scalar := m.Node.Kind == yaml.ScalarNode && shorthand(v.Type())
	if !scalar {
		if m = r.Mapping(n, path, what, Keys(v.Type())); m == nil {
			return nil, false
		}
	}
	self := r.At(dst)
	self.Node, self.Path, self.OK = m.Node, path, true
	fields := r.fields(m, self, v, nil)
	for i := range fields {
		if _, ok := fields[i].at.tag.Lookup("short"); ok && scalar {
			fields[i].short, fields[i].at.Node, fields[i].at.Path = true, m.Node, path
		}
	}
	return fields, true
}

// shorthand reports whether the struct type t has a field tagged short:"".
func shorthand(t reflect.Type) bool {
	for i := range t.NumField() {
		if _, ok := t.Field(i).Tag.Lookup("short"); ok {
			return true
		}
	}
	return false
}

type field struct {
	ptr   any
	at    *At
	read  bool // Struct reads it
	short bool // it was written as its struct's scalar
}

// fields locates the fields of the struct v (those of an inline field in
// its place) and appends them to out.
func (r *Reader) fields(m *Map, self *At, v reflect.Value, out []field) []field {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		manual := strings.Contains(f.Tag.Get("check"), "manual")
		if opts == "inline" {
			n := len(out)
			out = r.fields(m, self, fv, out)
			for j := n; manual && j < len(out); j++ {
				out[j].read = false
			}
			continue
		}
		if keys, ok := f.Tag.Lookup("pos"); ok {
			setPos(fv, m, keys)
		}
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		ptr := fv.Addr().Interface()
		a := r.At(ptr)
		*a = At{Path: Join(self.Path, name), tag: f.Tag}
		if e := m.Get(name); e != nil {
			a.Node, a.Key = e.Val, e.Key
		}
		out = append(out, field{ptr: ptr, at: a, read: !manual && scalar(f.Type)})
	}
	return out
}

// setPos sets the position field v to the position of the mapping m
// (keys "" or "line") or of the value of the first of keys set in it.
func setPos(v reflect.Value, m *Map, keys string) {
	at := m.Node
	if keys != "" && keys != "line" {
		at = nil
		for k := range strings.SplitSeq(keys, ",") {
			if e := m.Get(k); at == nil && e != nil && !IsNull(e.Val) {
				at = e.Val
			}
		}
	}
	if at == nil {
		return
	}
	if v.Kind() == reflect.Struct { // a position: int fields Line and Column
		v.FieldByName("Line").SetInt(int64(at.Line))
		v.FieldByName("Column").SetInt(int64(at.Column))
	} else {
		v.SetInt(int64(at.Line))
	}
}

// one reports whether exactly one of fields tagged oneof:"g" is set,
// reporting the mapping self if not.
func (r *Reader) one(self *At, fields []field, g string) bool {
	var keys, set []string
	for _, f := range fields {
		if f.at.tag.Get("oneof") == g {
			key, _, _ := strings.Cut(f.at.tag.Get("yaml"), ",")
			keys = append(keys, key)
			if f.at.Set() {
				set = append(set, key)
			}
		}
	}
	alts := strings.Join(keys[:len(keys)-1], ", ") + " or " + keys[len(keys)-1]
	switch {
	case len(set) > 1:
		r.Errorf(self.Node, self.Path, "%s are set; use exactly one of %s", strings.Join(set, " and "), alts)
	case len(set) == 0:
		r.Errorf(self.Node, self.Path, "one of %s is required", alts)
	default:
		return true
	}
	return false
}

var (
	rawType = reflect.TypeFor[json.RawMessage]()
	durType = reflect.TypeFor[time.Duration]()
)

// scalar reports whether Struct reads fields of type t itself.
func scalar(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return false
	case reflect.Slice:
		return t == rawType || t.Elem().Kind() == reflect.String
	}
	return true
}

// decode reads n into v by v's type and the field's rules; on a problem v
// is left at its zero value (or, for a list, holds the items that were
// good) and a pointer is left alone.
func (r *Reader) decode(n *yaml.Node, path string, v reflect.Value, tag reflect.StructTag) bool {
	if v.Kind() == reflect.Pointer {
		p := reflect.New(v.Type().Elem())
		ok := r.decode(n, path, p.Elem(), tag)
		if ok {
			v.Set(p)
		}
		return ok
	}
	rules := tag.Get("check")
	var x any
	ok := false
	switch {
	case v.Type() == rawType:
		raw := r.Params(n, path)
		x, ok = raw, raw != nil
	case v.Type() == durType:
		read := r.Duration
		if strings.Contains(rules, "signed") {
			read = r.SignedDuration
		}
		var d time.Duration
		d, ok = read(n, path)
		if ok && (strings.Contains(rules, "positive") && !r.Positive(n, path, d) || !r.bounded(n, path, d, tag)) {
			d, ok = 0, false
		}
		x = d
	case tag.Get("range") != "":
		lo, hi, _ := strings.Cut(tag.Get("range"), ",")
		x, ok = r.IntRange(n, path, atoi(lo), atoi(hi))
	case v.Kind() == reflect.String && strings.Contains(rules, "str"):
		x, ok = r.Str(n, path)
	case v.Kind() == reflect.String:
		x, ok = r.NonEmpty(n, path)
	case v.Kind() == reflect.Bool:
		x, ok = r.Bool(n, path)
	case v.Kind() == reflect.Uint64:
		x, ok = r.Uint(n, path)
	case v.Kind() == reflect.Float64:
		x, ok = r.Prob(n, path)
	case v.Kind() == reflect.Slice:
		x, ok = r.StringList(n, path, tag.Get("item"))
	default:
		x, ok = r.Int(n, path)
	}
	set(v, reflect.ValueOf(x))
	return ok
}

// bounded reports the duration d read from n unless it is within the
// field's bounds: min:"D,NAME" and max:"D,NAME", NAME naming the
// constant D is, for the message.
func (r *Reader) bounded(n *yaml.Node, path string, d time.Duration, tag reflect.StructTag) bool {
	for _, b := range [][2]string{{"min", "least"}, {"max", "most"}} {
		text, name, found := strings.Cut(tag.Get(b[0]), ",")
		bound, err := time.ParseDuration(text)
		if found && err != nil {
			panic("yamlcheck: bad " + b[0] + " tag " + text)
		}
		if found && (b[0] == "min" && d < bound || b[0] == "max" && d > bound) {
			r.Errorf(n, path, "must be at %s %s (%s), got %s", b[1], bound, name, n.Value)
			return false
		}
	}
	return true
}

// set stores x in v, converting between integer kinds.
func set(v, x reflect.Value) {
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		v.SetInt(x.Int())
	case reflect.Uint64:
		if x.CanInt() {
			v.SetUint(uint64(x.Int()))
		} else {
			v.SetUint(x.Uint())
		}
	default:
		v.Set(x.Convert(v.Type()))
	}
}

func atoi(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic("yamlcheck: bad range tag " + s)
	}
	return v
}
