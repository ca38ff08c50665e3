package yamlcheck_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	yc "github.com/terrarium-sim/terrarium/runtime/scenario/internal/yamlcheck"
)

type item struct {
	yc.At `yaml:"-"`
	Name  yc.Name  `yaml:"name"`
	Count yc.Int   `yaml:"count,omitempty"`
	Wait  *yc.Dur  `yaml:"wait,omitempty"`
	Tags  yc.List  `yaml:"tags,omitempty" item:"tag"`
	Kind  yc.Str   `yaml:"kind,omitempty" docafter:"name"`
	Skip  string   `yaml:"-"`
	Sub   *subItem `yaml:"sub,omitempty"`
}

type subItem struct {
	yc.At `yaml:"-"`
	On    yc.Bool `yaml:"on"`
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
	assert.Equal(t, []string{"name", "kind", "count", "wait", "tags", "sub"}, yc.Keys(reflect.TypeFor[item]()))
}

func TestStructLocatesAndReportsKeys(t *testing.T) {
	c := &yc.Checker{Max: 10}
	var it item
	require.True(t, c.Struct(root(t, "name: n\ncount: x\nwait: ~\nbogus: 1\nsub: {on: true}\n"), "items[0]", "an item", &it))
	assert.Equal(t, []string{`items[0].bogus: unknown field "bogus" (allowed: name, kind, count, wait, tags, sub)`}, problems(c))
	assert.True(t, it.OK, "the mapping's own location")
	assert.Equal(t, 1, it.Node.Line)
	assert.Equal(t, "items[0].count", it.Count.Path)
	assert.Equal(t, 2, it.Count.Node.Line)
	assert.False(t, it.Count.OK, "nothing is read until the reader asks")
	require.NotNil(t, it.Wait, "a present pointer field is allocated")
	assert.True(t, it.Wait.Present())
	assert.False(t, it.Wait.Set(), "null")
	assert.False(t, it.Tags.Present())
	require.NotNil(t, it.Sub)
	assert.Equal(t, "items[0].sub", it.Sub.Path)

	assert.True(t, c.Get(&it.Name))
	assert.Equal(t, "n", it.Name.V)
	assert.False(t, c.Get(&it.Count))
	assert.False(t, c.Need(it.At, it.Wait))
	assert.False(t, c.Need(it.At, &it.Tags))
	assert.Equal(t, []string{
		`items[0].bogus: unknown field "bogus" (allowed: name, kind, count, wait, tags, sub)`,
		`items[0].count: expected an integer, got "x"`,
		`items[0].wait: missing value`,
		`items[0].tags: missing required field`,
	}, problems(c))
}

func TestStructRefusesWhatIsNotAMapping(t *testing.T) {
	c := &yc.Checker{Max: 10}
	var it item
	assert.False(t, c.Struct(root(t, "[1]"), "x", "an item", &it))
	assert.Equal(t, []string{"x: expected an item, got a sequence"}, problems(c))
}

func TestCheckerCapsProblems(t *testing.T) {
	c := &yc.Checker{Max: 2}
	for range 5 {
		c.Errorf(nil, "f", "bad")
	}
	assert.Len(t, c.Problems, 2)
	assert.Equal(t, 3, c.More)
}

func TestMarshalWritesTheValues(t *testing.T) {
	it := item{Name: yc.Name{V: "n"}, Kind: yc.Str{V: "k"}, Wait: &yc.Dur{}, Tags: yc.List{V: []string{"a"}}}
	b, err := yaml.Marshal(it)
	require.NoError(t, err)
	assert.Equal(t, "name: \"n\"\nwait: 0s\ntags:\n    - a\nkind: k\n", string(b), "declaration order; zero values omitted, but a set pointer is written")
}
