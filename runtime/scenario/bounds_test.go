package scenario_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// parseErrs parses src and returns its problems.
func parseErrs(t *testing.T, src string) scenario.Errors {
	t.Helper()
	_, err := scenario.Parse("s.yaml", []byte(src))
	require.Error(t, err)
	var es scenario.Errors
	require.True(t, errors.As(err, &es), "%v", err)
	return es
}

// A nemesis faster than the floor is refused where its every is written.
func TestParseNemesisEveryFloor(t *testing.T) {
	es := parseErrs(t, valid+"nemesis: [{kinds: [kill], every: 1us}]\n")
	assert.Equal(t, "s.yaml:4:34: nemesis[0].every: must be at least 1ms (scenario.MinNemesisEvery), got 1us", es.Error())
	_, err := scenario.Parse("s.yaml", []byte(valid+"nemesis: [{kinds: [kill], every: 1ms}]\n"))
	assert.NoError(t, err)
}

// dupKeys is a mapping with n copies of one key: n-1 problems wherever it
// is read.
func dupKeys(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("a: 1")
	}
	b.WriteString("}")
	return b.String()
}

// However many problems a file has, a parse lists MaxProblems and counts
// the rest.
func TestParseProblemsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n")
	for range 30 {
		fmt.Fprintf(&b, "  - %s\n", dupKeys(50))
	}
	es := parseErrs(t, b.String())
	require.Len(t, es, scenario.MaxProblems+1)
	assert.Equal(t, "s.yaml: ... and 1460 more problems (only the first 100 are listed: scenario.MaxProblems)", es[len(es)-1].Error())
	assert.Equal(t, "s.yaml:4:5: nodes[0].name: missing required field", es[0].Error())
	assert.Equal(t, "s.yaml:4:5: nodes[0].module: missing required field", es[1].Error())
	assert.Equal(t, `s.yaml:4:6: nodes[0].a: unknown field "a" (allowed: name, count, indexed, module, role, params)`, es[2].Error())
}

// Past MaxProblems the problems listed are the first found, and a
// mapping's checks are found in the order its schema lists its fields: a
// link's duplicate ends (checked once from and to are read) come before
// its loss, which is cut off here.
func TestParseProblemsCappedInSchemaOrder(t *testing.T) {
	var b strings.Builder
	b.WriteString("modules: {echo: {wasm: e.wasm}}\nnodes:\n") // duration is missing: 1 problem
	for range 49 {
		b.WriteString("  - {count: 2}\n") // name and module are missing: 2 problems
	}
	b.WriteString("network:\n  links:\n    - {from: a, to: b, loss: 0.1}\n    - {from: a, to: b, loss: 2}\n")
	es := parseErrs(t, b.String())
	require.Len(t, es, scenario.MaxProblems+1)
	assert.Equal(t, `s.yaml:55:7: network.links[1]: duplicate link from "a" to "b" (first at line 54)`, es[len(es)-2].Error())
	assert.Equal(t, "s.yaml: ... and 1 more problems (only the first 100 are listed: scenario.MaxProblems)", es[len(es)-1].Error())
}

// A small file of nested aliases that would expand past MaxExpandedNodes
// is refused at the alias where the count passes the bound, before the
// parser walks it.
func TestParseAliasExpansionBounded(t *testing.T) {
	src := "x0: &a0 " + dupKeys(100) + "\n"
	for i := 1; i <= 5; i++ {
		items := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", ")
		src += fmt.Sprintf("x%d: &a%d [%s]\n", i, i, items)
	}
	src += "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [*a5, *a5]\n"
	require.Less(t, len(src), 2048)
	es := parseErrs(t, src)
	require.Len(t, es, 1)
	assert.Equal(t, "s.yaml:5:30: aliases expand the scenario to more than 1048576 YAML nodes (scenario.MaxExpandedNodes); alias *a3 is where it passes that", es[0].Error())

	// Aliases within the bound are read as before.
	ok := "base: &g {name: n, module: echo}\nduration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [*g]\n"
	_, err := scenario.Parse("s.yaml", []byte(ok))
	var es2 scenario.Errors
	require.True(t, errors.As(err, &es2))
	assert.Contains(t, es2.Error(), `s.yaml:1:1: base: unknown field "base"`)
}

// Module names follow the node-name rule: they become file names.
func TestParseModuleNames(t *testing.T) {
	for _, name := range []string{`"../../x"`, `"a/b"`, `".hidden"`, `"a b"`} {
		src := "duration: 1s\nmodules: {" + name + ": {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n"
		es := parseErrs(t, src)
		assert.Contains(t, es[0].Error(), "s.yaml:2:11: modules.", name)
		assert.Contains(t, es[0].Error(), "invalid module name", name)
	}
	_, err := scenario.Parse("s.yaml", []byte("duration: 1s\nmodules: {my-mod_1.v2: {wasm: e.wasm}}\nnodes: [{name: n, module: my-mod_1.v2}]\n"))
	assert.NoError(t, err)
}

// A go: module's ldflags and tags are checked where they are written: no
// linker flag that names a file.
func TestParseBuildFlags(t *testing.T) {
	es := parseErrs(t, "duration: 1s\nmodules:\n  e: {go: ., ldflags: \"-X main.v=1 -o /tmp/x\", tags: [ok, \"a b\"]}\nnodes: [{name: n, module: e}]\n")
	assert.Equal(t, "s.yaml:3:23: modules.e.ldflags: \"-o\" is not allowed: only -X importpath.name=value, -s and -w are\n"+
		"s.yaml:3:54: modules.e.tags: \"a b\" is not a build tag (letters, digits, '_' and '.')", es.Error())
	_, err := scenario.Parse("s.yaml", []byte("duration: 1s\nmodules:\n  e: {go: ., ldflags: \"-s -w -X main.v=1\", tags: [fancy]}\nnodes: [{name: n, module: e}]\n"))
	assert.NoError(t, err)
}

// BenchmarkParseAliasBomb measures refusing the small file of
// nested aliases (10^5 copies of a mapping with 100 duplicate keys).
func BenchmarkParseAliasBomb(b *testing.B) {
	src := "x0: &a0 " + dupKeys(100) + "\n"
	for i := 1; i <= 5; i++ {
		src += fmt.Sprintf("x%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	src += "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [*a5]\n"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scenario.Parse("s.yaml", []byte(src)); err == nil {
			b.Fatal("parsed")
		}
	}
}
