package gobuild_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
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
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
	}
}

// Reference: issue 16, "Unchanged programs build, or say why not": a
// vendored logrus up to 1.9 fails for wasip1 (its terminal check has no
// wasip1 file) and builds with -tags appengine. termlog here has the same
// shape, in our own few lines; the error names the failure and its fix.
func TestKnownBuildFailureNamesItsFix(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/prog\n\ngo 1.21\n",
		"main.go": "package main\n\nimport \"example.com/prog/termlog\"\n\nfunc main() { println(termlog.Colored()) }\n",
		"termlog/terminal_check_notappengine.go": "//go:build !appengine && !js && !windows\n\npackage termlog\n\n" +
			"// Colored reports whether stderr is a terminal.\nfunc Colored() bool { return isTerminal(2) }\n",
		"termlog/terminal_check_unix.go":      "//go:build linux || darwin\n\npackage termlog\n\nfunc isTerminal(fd int) bool { return fd == 1 }\n",
		"termlog/terminal_check_appengine.go": "//go:build appengine\n\npackage termlog\n\n// Colored reports whether stderr is a terminal.\nfunc Colored() bool { return true }\n",
	})
	ctx := context.Background()
	_, err := gobuild.Build(ctx, dir)
	require.Error(t, err)
	assert.ErrorContains(t, err, "termlog/terminal_check_notappengine.go:6:30: undefined: isTerminal")
	assert.ErrorContains(t, err, "known wasip1 build failure: logrus (up to 1.9) has no terminal check for wasip1\n  fix: build with the appengine tag")
	_, err = gobuild.BuildWith(ctx, dir, gobuild.Options{Tags: []string{"appengine"}})
	assert.NoError(t, err, "the fix the hint names works")

	// a program that calls a syscall wasip1 lacks
	writeFiles(t, dir, map[string]string{"main.go": "package main\n\nimport \"syscall\"\n\nfunc main() { _ = syscall.Flock(0, 0) }\n"})
	_, err = gobuild.Build(ctx, dir)
	assert.ErrorContains(t, err, "known wasip1 build failure: a syscall that wasip1 does not have\n  fix: wasip1 has no process groups, file locks or memory maps: remove the call to syscall.Flock")
}

func TestDiagnose(t *testing.T) {
	assert.Empty(t, gobuild.Diagnose("./main.go:3:2: undefined: foo"))
	k := gobuild.Diagnose("package x\n\timports golang.org/x/sys/unix: build constraints exclude all Go files in /m/golang.org/x/sys@v0.1.0/unix")
	require.Len(t, k, 1, "the x/sys entry, not also the generic one")
	assert.Equal(t, "golang.org/x/sys/unix does not build for wasip1", k[0].Name)
	k = gobuild.Diagnose("build constraints exclude all Go files in /m/github.com/x/cgoonly")
	require.Len(t, k, 1)
	assert.True(t, strings.HasPrefix(k[0].Fix, "/m/github.com/x/cgoonly builds only for other systems or with cgo"), k[0].Fix)
}
