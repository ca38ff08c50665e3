package scenario_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// valid is a minimal valid scenario that error cases extend; its lines are
// 1-3.
const valid = "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n"

// TestParseErrors is TestParseErrorScripts for inputs that do not fit in
// a text file.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // every problem, rendered, one per line
	}{
		// Inputs a script in testdata/errors cannot hold (bytes that are
		// not text, lines past its reader's limit); the rest are there.
		{name: "invalid UTF-8", src: valid + "description: ok\nname: \"a\xffb\"\n",
			want: `s.yaml:5:9: invalid YAML: invalid leading UTF-8 octet (byte 0xff)`},
		{name: "control character", src: valid + "name: a\x01b\n",
			want: `s.yaml:4:8: invalid YAML: control characters are not allowed (U+0001)`},
		{name: "nesting past the parser's limit", src: valid + "description: " + strings.Repeat("[", 10001) + "\n",
			want: `s.yaml:4: invalid YAML: exceeded max depth of 10000`},
		{name: "larger than the bound", src: valid + "description: " + strings.Repeat("x", scenario.MaxBytes) + "\n",
			want: `s.yaml: the scenario is larger than 1048576 bytes (scenario.MaxBytes)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := scenario.Parse("s.yaml", []byte(tt.src))
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Equal(t, tt.want, err.Error())

			var errs scenario.Errors
			require.True(t, errors.As(err, &errs), "error is %T, want scenario.Errors", err)
			require.Len(t, errs, strings.Count(tt.want, "\n")+1)
			for _, e := range errs {
				assert.Equal(t, "s.yaml", e.File)
			}
		})
	}
}

func TestParseErrorFields(t *testing.T) {
	// The spec's example, checked field by field rather than rendered.
	src := "name: echo\nduration: 10s\nmodules:\n  echo: {go: ., roles: [server]}\nnodes:\n  - {name: a, module: echo}\n  - {name: b, role: leader, module: echo}\n"
	_, err := scenario.Parse("plugins/echo/scenario.yaml", []byte(src))
	var e *scenario.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, &scenario.Error{
		File: "plugins/echo/scenario.yaml", Line: 7, Column: 21,
		Field: "nodes[1].role", Msg: `unknown role "leader" (module echo has roles: server)`,
	}, e)
	assert.Equal(t, `plugins/echo/scenario.yaml:7:21: nodes[1].role: unknown role "leader" (module echo has roles: server)`, e.Error())
}
