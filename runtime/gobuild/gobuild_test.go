package gobuild_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/terrarium-sim/terrarium/runtime/gobuild"
)

// Reference: issue 10, "build options": a program with its own go.mod builds
// as it is, and ldflags and tags reach go build.
func TestOwnModuleBuildsAsItIsWithFlags(t *testing.T) {
	dir := t.TempDir()
	gomod := []byte("module example.com/prog\n\ngo 1.21\n")
	files := map[string]string{
		"go.mod":   string(gomod),
		"main.go":  "package main\n\nimport \"fmt\"\n\nvar greeting = \"plain\"\n\nfunc main() { fmt.Println(greeting, extra) }\n",
		"plain.go": "//go:build !fancy\n\npackage main\n\nconst extra = \"no tag\"\n",
		"fancy.go": "//go:build fancy\n\npackage main\n\nconst extra = \"tagged\"\n",
	}
	writeFiles(t, dir, files)
	ctx := context.Background()
	plain, err := gobuild.Build(ctx, dir)
	require.NoError(t, err)
	tagged, err := gobuild.BuildWith(ctx, dir, gobuild.Options{Tags: []string{"fancy"}})
	require.NoError(t, err)
	flagged, err := gobuild.BuildWith(ctx, dir, gobuild.Options{LDFlags: "-X main.greeting=hello-from-ldflags"})
	require.NoError(t, err)

	assert.True(t, bytes.Contains(plain, []byte("no tag")))
	assert.True(t, bytes.Contains(tagged, []byte("tagged")), "-tags chose fancy.go")
	assert.True(t, bytes.Contains(flagged, []byte("hello-from-ldflags")), "-ldflags set the variable")
	got, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	assert.Equal(t, gomod, got, "go.mod is not rewritten")
	_, err = os.Stat(filepath.Join(dir, "go.sum"))
	assert.True(t, os.IsNotExist(err), "no go.sum appears")

	_, err = gobuild.BuildWith(ctx, dir, gobuild.Options{LDFlags: "-X"})
	assert.EqualError(t, err, "gobuild: ldflags: -X needs importpath.name=value", "a bad flag is refused, naming the field")
}

// Reference: issue 11, "measure first": a package that speaks the ABI with
// its own go:wasmexport functions (no SDK) builds as a reactor when asked,
// and as a command when left to Detect.
func TestStyleOverridesDetect(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/bare\n\ngo 1.24\n",
		"main.go": "package main\n\n//go:wasmexport on_wake\nfunc onWake() {}\n\nfunc main() {}\n",
	}
	writeFiles(t, dir, files)
	ctx := context.Background()
	detected, err := gobuild.Build(ctx, dir)
	require.NoError(t, err)
	reactor, err := gobuild.BuildWith(ctx, dir, gobuild.Options{Style: gobuild.Reactor})
	require.NoError(t, err)
	assert.Contains(t, exports(t, detected), "_start", "Detect: a command")
	assert.NotContains(t, exports(t, detected), "_initialize")
	assert.Contains(t, exports(t, reactor), "_initialize", "Style: Reactor: a reactor")
	assert.NotContains(t, exports(t, reactor), "_start")
	assert.Contains(t, exports(t, reactor), "on_wake")

	_, err = gobuild.BuildWith(ctx, dir, gobuild.Options{Style: "library"})
	assert.ErrorContains(t, err, `unknown build style "library"`)
}

// exports lists a module's exported functions.
func exports(t *testing.T, wasm []byte) map[string]api.FunctionDefinition {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	m, err := r.CompileModule(ctx, wasm)
	require.NoError(t, err)
	return m.ExportedFunctions()
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
	}
}
