package yamlcheck

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// At is where a value was written. Every position-carrying type embeds
// one; a schema struct holds one tagged yaml:"-" for its own mapping.
type At struct {
	Node *yaml.Node `yaml:"-"` // the value, aliases followed; nil when absent
	Key  *yaml.Node `yaml:"-"` // its key as written; nil when absent or an item of a sequence
	Path string     `yaml:"-"` // its field path
	OK   bool       `yaml:"-"` // read (Get) without a problem

	tag reflect.StructTag // the field's tags
}

func (a *At) loc() *At { return a }

// Present reports whether the key was written, even with a null value.
func (a At) Present() bool { return a.Node != nil }

// Set reports whether a value other than null was written.
func (a At) Set() bool { return a.Node != nil && !IsNull(a.Node) }

type located interface{ loc() *At }

// Scalar is a position-carrying type a reader reads with Get or Need.
type Scalar interface {
	located
	decode(c *Checker, n *yaml.Node, path string, tag reflect.StructTag) bool
}

// Get reads x if it is set, reporting whether it was read without a
// problem (false when absent or null).
func (c *Checker) Get(x Scalar) bool {
	if a := x.loc(); a.Set() {
		a.OK = x.decode(c, a.Node, a.Path, a.tag)
	}
	return x.loc().OK
}

// Need is Get for a field of the mapping m that must be set: it reports
// the field if it is absent or null.
func (c *Checker) Need(m At, x Scalar) bool {
	return c.Required(m, *x.loc()) && c.Get(x)
}

// Required reports the field f of the mapping m unless it is set.
func (c *Checker) Required(m, f At) bool {
	switch {
	case !f.Present():
		c.Errorf(m.Node, f.Path, "missing required field")
		return false
	case !f.Set():
		c.Errorf(f.Key, f.Path, "missing value")
		return false
	}
	return true
}

// Str is a string.
type Str struct {
	V string
	At
}

// Name is a non-empty string.
type Name struct {
	V string
	At
}

// Int is an integer; its range is checked by the reader (InRange).
type Int struct {
	V int64
	At
}

// Uint is a non-negative integer.
type Uint struct {
	V uint64
	At
}

// Bool is true or false.
type Bool struct {
	V bool
	At
}

// Prob is a probability in [0, 1].
type Prob struct {
	V float64
	At
}

// Dur is a non-negative Go duration such as 250ms; it is written back as
// time.Duration.String does.
type Dur struct {
	V time.Duration
	At
}

// List is a sequence of unique non-empty strings; the field's item tag
// names one of them in messages.
type List struct {
	V []string
	At
}

// Params is a mapping, held as a JSON object with sorted keys ("{}" when
// absent).
type Params struct {
	V json.RawMessage
	At
}

func (s *Str) decode(c *Checker, n *yaml.Node, p string, _ reflect.StructTag) (ok bool) {
	s.V, ok = c.Str(n, p)
	return ok
}

func (s *Name) decode(c *Checker, n *yaml.Node, p string, _ reflect.StructTag) (ok bool) {
	s.V, ok = c.NonEmpty(n, p)
	return ok
}

func (i *Int) decode(c *Checker, n *yaml.Node, p string, _ reflect.StructTag) (ok bool) {
	i.V, ok = c.Int(n, p)
	return ok
}

func (u *Uint) decode(c *Checker, n *yaml.Node, p string, _ reflect.StructTag) (ok bool) {
	u.V, ok = c.Uint(n, p)
	return ok
}

func (b *Bool) decode(c *Checker, n *yaml.Node, p string, _ reflect.StructTag) (ok bool) {
	b.V, ok = c.Bool(n, p)
	return ok
}

func (f *Prob) decode(c *Checker, n *yaml.Node, p string, _ reflect.StructTag) (ok bool) {
	f.V, ok = c.Prob(n, p)
	return ok
}

func (d *Dur) decode(c *Checker, n *yaml.Node, p string, _ reflect.StructTag) (ok bool) {
	d.V, ok = c.Duration(n, p)
	return ok
}

func (l *List) decode(c *Checker, n *yaml.Node, p string, tag reflect.StructTag) (ok bool) {
	l.V, ok = c.StringList(n, p, tag.Get("item"))
	return ok
}

func (m *Params) decode(c *Checker, n *yaml.Node, p string, _ reflect.StructTag) bool {
	m.V = c.Params(n, p)
	return m.V != nil
}

// MarshalYAML writes the string.
func (s Str) MarshalYAML() (any, error) { return s.V, nil }

// MarshalYAML writes the string.
func (s Name) MarshalYAML() (any, error) { return s.V, nil }

// MarshalYAML writes the integer.
func (i Int) MarshalYAML() (any, error) { return i.V, nil }

// MarshalYAML writes the integer.
func (u Uint) MarshalYAML() (any, error) { return u.V, nil }

// MarshalYAML writes the boolean.
func (b Bool) MarshalYAML() (any, error) { return b.V, nil }

// MarshalYAML writes the number.
func (f Prob) MarshalYAML() (any, error) { return f.V, nil }

// MarshalYAML writes the duration as time.Duration.String does.
func (d Dur) MarshalYAML() (any, error) { return d.V.String(), nil }

// MarshalYAML writes the sequence.
func (l List) MarshalYAML() (any, error) { return l.V, nil }

// MarshalYAML writes the mapping (nothing for "{}").
func (m Params) MarshalYAML() (any, error) {
	if m.IsZero() {
		return nil, nil
	}
	var v any
	err := json.Unmarshal(m.V, &v)
	return v, err
}

// IsZero reports an empty mapping, for omitempty.
func (m Params) IsZero() bool { return len(m.V) == 0 || string(m.V) == "{}" }

// Seq is a sequence of schema structs, read by the caller item by item
// (Items); it is written back as its items.
type Seq[T any] struct {
	V []T
	At
}

// MarshalYAML writes the items.
func (s Seq[T]) MarshalYAML() (any, error) { return s.V, nil }

// Items checks that the node at is a sequence (what names its items in
// the message) and returns its items as written; ok is false if it is not
// a sequence.
func (c *Checker) Items(at At, what string) ([]*yaml.Node, bool) {
	if at.Node.Kind != yaml.SequenceNode {
		c.Errorf(at.Node, at.Path, "expected a sequence of %s, got %s", what, Describe(at.Node))
		return nil, false
	}
	return at.Node.Content, true
}

// Keys returns the keys of the schema struct type t: its fields' yaml
// tags in declaration order, except that a field tagged docafter:"k" is
// listed right after key k.
func Keys(t reflect.Type) []string {
	var keys []string
	moved := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		if after := f.Tag.Get("docafter"); after != "" {
			moved[after] = name
			continue
		}
		keys = append(keys, name)
	}
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
// names it in the message if n is not a mapping). It reports keys that
// are not dst's and sets the location of every field, present or not;
// the reader then reads the fields (Get, Need, Struct, Items) in its own
// order, so that problems are found in the order it checks them. It
// returns false if n is not a mapping.
func (c *Checker) Struct(n *yaml.Node, path, what string, dst any) bool {
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	m := c.Mapping(n, path, what, Keys(t))
	if m == nil {
		return false
	}
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" && f.Type == reflect.TypeFor[At]() {
			a := fv.Addr().Interface().(*At)
			a.Node, a.Path, a.OK = m.Node, path, true
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		at := At{Path: Join(path, name)}
		e := m.Get(name)
		if e != nil {
			at.Node, at.Key = e.Val, e.Key
			if fv.Kind() == reflect.Pointer {
				fv.Set(reflect.New(f.Type.Elem()))
			}
		}
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		}
		l, ok := fv.Addr().Interface().(located)
		if !ok {
			continue
		}
		at.tag = f.Tag
		*l.loc() = at
	}
	return true
}
