package yamlcheck_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	yc "github.com/terrarium-sim/terrarium/runtime/scenario/internal/yamlcheck"
)

type item struct {
	Name   string          `yaml:"name" check:"required"`
	Count  int             `yaml:"count,omitempty" range:"1,10"`
	Wait   *time.Duration  `yaml:"wait,omitempty" check:"positive"`
	Tags   []string        `yaml:"tags,omitempty" item:"tag"`
	Kind   string          `yaml:"kind,omitempty" check:"str" docafter:"name"`
	Later  string          `yaml:"later,omitempty" check:"manual"`
	Params json.RawMessage `yaml:"params,omitempty"`
	Skip   string          `yaml:"-"`
	Sub    *subItem        `yaml:"sub,omitempty"`
}

type subItem struct {
	On bool `yaml:"on"`
}

func root(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(src), &doc))
	return doc.Content[0]
}

func problems(c *yc.Checker) []string {
	var out []string
	for _, p := range c.Problems {
		out = append(out, p.Field+": "+p.Msg)
	}
	return out
}

func TestKeysFollowTheTags(t *testing.T) {
	assert.Equal(t, []string{"name", "kind", "count", "wait", "tags", "later", "params", "sub"}, yc.Keys(reflect.TypeFor[item]()))
}

// Struct reads the scalar fields by their rules, in declaration order,
// and leaves manual and struct fields to the caller.
func TestStructReadsByTheRules(t *testing.T) {
	r := &yc.Reader{Checker: yc.Checker{Max: 10}}
	it := item{Count: 1}
	var seen []string
	require.True(t, r.Struct(root(t, "count: 11\nwait: 0s\nbogus: 1\ntags: [a, a]\nlater: 5\nsub: {on: x}\nkind: ''\n"), "items[0]", "an item", &it, func(f any) {
		seen = append(seen, r.At(f).Path)
		if f == &it.Wait {
			r.Errorf(nil, "then", "after wait")
		}
	}))
	assert.Equal(t, []string{"items[0].name", "items[0].count", "items[0].wait", "items[0].tags", "items[0].kind", "items[0].later", "items[0].params", "items[0].sub"}, seen, "every field, in declaration order")
	assert.Equal(t, []string{
		`items[0].bogus: unknown field "bogus" (allowed: name, kind, count, wait, tags, later, params, sub)`,
		`items[0].name: missing required field`,
		`items[0].count: must be at most 10, got 11`,
		`items[0].wait: must be greater than 0, got 0s`,
		`then: after wait`,
		`items[0].tags[1]: duplicate tag "a" (first at line 4)`,
	}, problems(&r.Checker))
	assert.Equal(t, 0, it.Count, "a bad value reads as zero")
	assert.Nil(t, it.Wait, "a pointer is set only when its value is good")
	assert.Equal(t, []string{"a"}, it.Tags, "a list keeps its good items")
	assert.Equal(t, "", it.Later, "manual fields wait for Get")
	assert.True(t, r.At(&it.Kind).OK, "str allows an empty string")
	assert.Nil(t, it.Sub)
	assert.Equal(t, "items[0].sub", r.At(&it.Sub).Path)
	assert.Equal(t, 6, r.At(&it.Sub).Node.Line)
	assert.True(t, r.At(&it).OK, "the mapping's own location")
	assert.False(t, r.At(&it.Params).Present())

	assert.False(t, r.Get(&it.Later))
	assert.Equal(t, `items[0].later: expected a string, got integer 5 (quote it to make it a string)`, problems(&r.Checker)[6])
	assert.False(t, r.Need(&it, &it.Params))
	assert.Equal(t, `items[0].params: missing required field`, problems(&r.Checker)[7])
}

func TestStructRefusesWhatIsNotAMapping(t *testing.T) {
	r := &yc.Reader{Checker: yc.Checker{Max: 10}}
	var it item
	assert.False(t, r.Struct(root(t, "[1]"), "x", "an item", &it, nil))
	assert.Equal(t, []string{"x: expected an item, got a sequence"}, problems(&r.Checker))
}

func TestCheckerCapsProblems(t *testing.T) {
	c := &yc.Checker{Max: 2}
	for range 5 {
		c.Errorf(nil, "f", "bad")
	}
	assert.Len(t, c.Problems, 2)
	assert.Equal(t, 3, c.More)
}

func TestEncodeWritesTheTaggedFields(t *testing.T) {
	wait := time.Duration(0)
	it := item{Name: "n", Kind: "k", Wait: &wait, Tags: []string{"a"}, Params: json.RawMessage(`{"b":[1]}`), Skip: "x"}
	n, err := yc.Encode(it)
	require.NoError(t, err)
	b, err := yaml.Marshal(n)
	require.NoError(t, err)
	assert.Equal(t, "name: \"n\"\nwait: 0s\ntags:\n    - a\nkind: k\nparams:\n    b:\n        - 1\n", string(b), "declaration order; zero values omitted, but a set pointer is written")

	n, err = yc.Encode(item{Params: json.RawMessage("{}")})
	require.NoError(t, err)
	b, err = yaml.Marshal(n)
	require.NoError(t, err)
	assert.Equal(t, "name: \"\"\n", string(b), "empty params are left out")

	_, err = yc.Encode(item{Params: json.RawMessage("{")})
	assert.Error(t, err, "params that are not JSON")
}

// min and max tags bound a duration, naming the constant in the message;
// a value past either reads as zero.
func TestDurationBounds(t *testing.T) {
	type bounded struct {
		D time.Duration `yaml:"d" min:"1ms,pkg.Min" max:"1h,pkg.Max"`
	}
	for src, want := range map[string]string{
		"d: 1us": "d: must be at least 1ms (pkg.Min), got 1us",
		"d: 2h":  "d: must be at most 1h0m0s (pkg.Max), got 2h",
	} {
		r := &yc.Reader{Checker: yc.Checker{Max: 10}}
		b := bounded{D: 5}
		require.True(t, r.Struct(root(t, src), "", "a mapping", &b, nil))
		assert.Equal(t, []string{want}, problems(&r.Checker), src)
		assert.Zero(t, b.D, src)
	}
	r := &yc.Reader{Checker: yc.Checker{Max: 10}}
	var b bounded
	require.True(t, r.Struct(root(t, "d: 1h"), "", "a mapping", &b, nil))
	assert.Empty(t, r.Problems)
	assert.Equal(t, time.Hour, b.D, "the bounds are inclusive")
}

// Each visits a set sequence's items with their paths, skips an absent
// one and reports one that is not a sequence.
func TestEachVisitsTheItems(t *testing.T) {
	type list struct {
		Items []subItem `yaml:"items"`
		Other []subItem `yaml:"other"`
	}
	r := &yc.Reader{Checker: yc.Checker{Max: 10}}
	var l list
	require.True(t, r.Struct(root(t, "items: [{on: true}, {on: false}]\nother: 5\n"), "l", "a list", &l, nil))
	var paths []string
	r.Each(&l.Items, "things", func(item *yaml.Node, path string) { paths = append(paths, path+"@"+item.Content[1].Value) })
	assert.Equal(t, []string{"l.items[0]@true", "l.items[1]@false"}, paths)
	r.Each(&l.Other, "things", func(*yaml.Node, string) { t.Error("not a sequence: no items") })
	assert.Equal(t, []string{"l.other: expected a sequence of things, got integer 5"}, problems(&r.Checker))
	var absent list
	r.Each(&absent.Items, "things", func(*yaml.Node, string) { t.Error("absent: no items") })
}

// A field tagged pos:"line" gets the line of its struct's mapping; a
// value that is not a mapping leaves it alone.
func TestStructSetsTheLine(t *testing.T) {
	type placed struct {
		Name string `yaml:"name"`
		Line int    `yaml:"-" pos:"line"`
	}
	r := &yc.Reader{Checker: yc.Checker{Max: 10}}
	var p placed
	n := root(t, "items:\n  - x: 1\n  - name: b\n")
	require.True(t, r.Struct(n.Content[1].Content[1], "items[1]", "an item", &p, nil))
	assert.Equal(t, placed{Name: "b", Line: 3}, p)
	var q placed
	assert.False(t, r.Struct(n.Content[1], "items", "an item", &q, nil))
	assert.Zero(t, q.Line)
}

// check:"signed" reads a duration that may be negative; without it a
// negative duration is a problem.
func TestStructReadsSignedDurations(t *testing.T) {
	type skew struct {
		By   time.Duration `yaml:"by" check:"signed"`
		Wait time.Duration `yaml:"wait"`
	}
	r := &yc.Reader{Checker: yc.Checker{Max: 10}}
	var s skew
	require.True(t, r.Struct(root(t, "by: -5ms\nwait: -5ms\n"), "s", "a skew", &s, nil))
	assert.Equal(t, skew{By: -5 * time.Millisecond}, s)
	assert.Equal(t, []string{"s.wait: must not be negative, got -5ms"}, problems(&r.Checker))
}

// Nested reads a set mapping field into itself, leaves an absent or
// null one alone, and reports one that is not a mapping.
func TestNestedReadsASetMapping(t *testing.T) {
	type outer struct {
		Sub  subItem `yaml:"sub"`
		None subItem `yaml:"none"`
		Bad  subItem `yaml:"bad"`
	}
	r := &yc.Reader{Checker: yc.Checker{Max: 10}}
	var o outer
	require.True(t, r.Struct(root(t, "sub: {on: true}\nnone: ~\nbad: [1]\n"), "", "an outer", &o, func(f any) {
		r.Nested(f, "a sub mapping", nil)
	}))
	assert.Equal(t, outer{Sub: subItem{On: true}}, o)
	assert.Equal(t, []string{"bad: expected a sub mapping, got a sequence"}, problems(&r.Checker))
}

// A struct with a field tagged short:"" may be written as a scalar: the
// scalar is that field's value, read by its rules at the struct's path;
// a struct without one refuses a scalar.
func TestStructReadsTheShortForm(t *testing.T) {
	type named struct {
		Name string `yaml:"name" check:"required" short:""`
		N    int    `yaml:"n,omitempty"`
		Line int    `yaml:"-" pos:"line"`
	}
	r := &yc.Reader{Checker: yc.Checker{Max: 10}}
	n := root(t, "items:\n  - x\n  - {name: y, n: 2}\n  - ~\n  - 5\n")
	items := n.Content[1].Content
	var a, b, c, d named
	require.True(t, r.Struct(items[0], "items[0]", "a name or a mapping", &a, nil))
	require.True(t, r.Struct(items[1], "items[1]", "a name or a mapping", &b, nil))
	assert.Equal(t, named{Name: "x", Line: 2}, a)
	assert.Equal(t, "items[0]", r.At(&a.Name).Path)
	assert.Equal(t, named{Name: "y", N: 2, Line: 3}, b)
	assert.True(t, r.Struct(items[2], "items[2]", "a name or a mapping", &c, nil))
	assert.True(t, r.Struct(items[3], "items[3]", "a name or a mapping", &d, nil))
	assert.False(t, r.At(&c.Name).OK)
	var plain struct {
		Name string `yaml:"name"`
	}
	assert.False(t, r.Struct(items[0], "l", "a list mapping", &plain, nil))
	assert.Equal(t, []string{
		"items[2]: expected a string, got null",
		"items[3]: expected a string, got integer 5 (quote it to make it a string)",
		"l: expected a list mapping, got \"x\"",
	}, problems(&r.Checker))
}

// Exactly one of the fields tagged with one oneof group must be set:
// none or several is a problem at the mapping, and then none of them is
// read. A position field tagged with keys gets the first set one's position.
func TestStructReadsOneOf(t *testing.T) {
	type pos struct{ Line, Column int }
	type src struct {
		Go   string `yaml:"go,omitempty" oneof:"path"`
		Wasm string `yaml:"wasm,omitempty" oneof:"path"`
		Hash string `yaml:"hash,omitempty" oneof:"path"`
		Pos  pos    `yaml:"-" pos:"go,wasm,hash"`
		At   pos    `yaml:"-" pos:""`
	}
	r := &yc.Reader{Checker: yc.Checker{Max: 10}}
	n := root(t, "items:\n  - {wasm: a.wasm}\n  - {go: x, hash: 5}\n  - {}\n")
	items := n.Content[1].Content
	var a, b, c src
	require.True(t, r.Struct(items[0], "items[0]", "a source", &a, nil))
	require.True(t, r.Struct(items[1], "items[1]", "a source", &b, nil))
	require.True(t, r.Struct(items[2], "items[2]", "a source", &c, nil))
	assert.Equal(t, src{Wasm: "a.wasm", Pos: pos{Line: 2, Column: 12}, At: pos{Line: 2, Column: 5}}, a)
	assert.Equal(t, src{Pos: pos{Line: 3, Column: 10}, At: pos{Line: 3, Column: 5}}, b)
	assert.Equal(t, []string{
		"items[1]: go and hash are set; use exactly one of go, wasm or hash",
		"items[2]: one of go, wasm or hash is required",
	}, problems(&r.Checker))
}

// Filled wants a collection with entries, Fail and Place report at a
// field, Place without the field's key that the error repeats.
func TestFilledFailPlace(t *testing.T) {
	type doc struct {
		Items []string `yaml:"items" check:"manual"`
		More  []string `yaml:"more" check:"manual"`
		None  []string `yaml:"none" check:"manual"`
		Name  string   `yaml:"name"`
	}
	r := &yc.Reader{Checker: yc.Checker{Max: 10}}
	var d doc
	require.True(t, r.Struct(root(t, "items: []\nmore:\nname: x\n"), "d", "a doc", &d, nil))
	assert.False(t, r.Filled(r.At(&d), r.At(&d.Items), yaml.SequenceNode, "must list an item"))
	assert.False(t, r.Filled(r.At(&d), r.At(&d.More), yaml.SequenceNode, "must list more"))
	assert.False(t, r.Filled(r.At(&d), r.At(&d.None), yaml.SequenceNode, "must list none"))
	r.Fail(&d.Name, "bad %s", "name")
	assert.True(t, r.Place(&d.Name, nil))
	assert.False(t, r.Place(&d.Name, errors.New("name: too short")))
	assert.Equal(t, "name", r.At(&d.Name).Name())
	assert.Equal(t, []string{
		"d.items: must list an item", "d.more: must list more", "d.none: missing required field",
		"d.name: bad name", "d.name: too short",
	}, problems(&r.Checker))
	assert.Equal(t, 2, r.Problems[1].Line, "an empty value is reported at its key")
}
