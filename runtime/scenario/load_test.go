package scenario_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// writeFiles creates files (path -> content) under root; a path ending in
// "/" is created as a directory.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if name[len(name)-1] == '/' {
			require.NoError(t, os.MkdirAll(p, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

const loadScenario = `duration: 1s
modules:
  server:
    go: ./srv
  client:
    wasm: ../wasm/client.wasm
nodes:
  - {name: s, module: server}
  - {name: c, module: client}
`

func TestLoadResolvesModulePaths(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"plugins/echo/scenario.yaml": loadScenario,
		"plugins/echo/srv/main.go":   "package main\n",
		"plugins/wasm/client.wasm":   "\x00asm",
	})

	s, err := scenario.Load(filepath.Join(root, "plugins", "echo", "scenario.yaml"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "plugins", "echo"), s.Dir)
	assert.Equal(t, "scenario", s.Name)
	assert.Equal(t, filepath.Join(root, "plugins", "echo", "srv"), s.Module("server").Go)
	assert.Equal(t, filepath.Join(root, "plugins", "wasm", "client.wasm"), s.Module("client").Wasm)
	assert.Equal(t, 4, s.Module("server").Pos.Line)
	assert.Equal(t, 6, s.Module("client").Pos.Line)
}

func TestLoadRelativePath(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"sub/s.yaml":  "duration: 1s\nmodules: {echo: {go: .}}\nnodes: [{name: n, module: echo}]\n",
		"sub/main.go": "package main\n",
	})
	t.Chdir(root)

	s, err := scenario.Load(filepath.Join("sub", "s.yaml"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("sub", "s.yaml"), s.File)
	assert.Equal(t, filepath.Join(root, "sub"), s.Dir)
	assert.Equal(t, filepath.Join(root, "sub"), s.Modules[0].Go)
}

func TestLoadModuleErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // besides the scenario, which is s/scenario.yaml
		src   string
		want  func(dir string) string
	}{
		{
			name:  "wasm file missing",
			files: map[string]string{"s/srv/main.go": "package main\n"},
			src:   loadScenario,
			want: func(dir string) string {
				return "s/scenario.yaml:6:11: modules.client.wasm: file \"../wasm/client.wasm\" does not exist (resolved to " +
					filepath.Join(dir, "wasm", "client.wasm") + ")"
			},
		},
		{
			name:  "go directory missing",
			files: map[string]string{"wasm/client.wasm": "x"},
			src:   loadScenario,
			want: func(dir string) string {
				return "s/scenario.yaml:4:9: modules.server.go: directory \"./srv\" does not exist (resolved to " +
					filepath.Join(dir, "s", "srv") + ")"
			},
		},
		{
			name:  "go path is a file",
			files: map[string]string{"s/srv": "x", "wasm/client.wasm": "x"},
			src:   loadScenario,
			want: func(dir string) string {
				return "s/scenario.yaml:4:9: modules.server.go: \"./srv\" is not a directory (resolved to " +
					filepath.Join(dir, "s", "srv") + "): go: names a Go main package directory"
			},
		},
		{
			name:  "go directory without go files",
			files: map[string]string{"s/srv/main_test.go": "package main\n", "s/srv/sub.go/": "", "wasm/client.wasm": "x"},
			src:   loadScenario,
			want: func(dir string) string {
				return "s/scenario.yaml:4:9: modules.server.go: directory \"./srv\" holds no .go files (resolved to " +
					filepath.Join(dir, "s", "srv") + ")"
			},
		},
		{
			name:  "wasm path is a directory",
			files: map[string]string{"s/srv/main.go": "package main\n", "wasm/client.wasm/": ""},
			src:   loadScenario,
			want: func(dir string) string {
				return "s/scenario.yaml:6:11: modules.client.wasm: \"../wasm/client.wasm\" is a directory (resolved to " +
					filepath.Join(dir, "wasm", "client.wasm") + "), not a WebAssembly file"
			},
		},
		{
			name:  "both missing, reported in line order",
			files: map[string]string{},
			src:   loadScenario,
			want: func(dir string) string {
				return "s/scenario.yaml:4:9: modules.server.go: directory \"./srv\" does not exist (resolved to " +
					filepath.Join(dir, "s", "srv") + ")\n" +
					"s/scenario.yaml:6:11: modules.client.wasm: file \"../wasm/client.wasm\" does not exist (resolved to " +
					filepath.Join(dir, "wasm", "client.wasm") + ")"
			},
		},
		{
			name:  "parse errors come before existence checks",
			files: map[string]string{},
			src:   "duration: 1s\nmodules: {echo: {wasm: nope.wasm}}\nnodes: [{name: n, module: raft}]\n",
			want: func(string) string {
				return `s/scenario.yaml:3:27: nodes[0].module: unknown module "raft" (modules: echo)`
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			files := map[string]string{"s/scenario.yaml": tt.src}
			for k, v := range tt.files {
				files[k] = v
			}
			writeFiles(t, root, files)
			t.Chdir(root)

			s, err := scenario.Load("s/scenario.yaml")
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Equal(t, tt.want(root), err.Error())
			var e *scenario.Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, "s/scenario.yaml", e.File)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := scenario.Load(filepath.Join(t.TempDir(), "nope.yaml"))
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "nope.yaml")
}

func TestLoadWithRegistries(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"s.yaml":     "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\nworkload: {type: echo}\nchecks: [echo, lin]\n",
		"e.wasm":     "x",
		"unused.txt": "",
	})
	path := filepath.Join(root, "s.yaml")

	s, err := scenario.LoadWith(path, scenario.Options{Workloads: []string{"echo"}, Checks: []string{"echo", "lin"}})
	require.NoError(t, err)
	assert.Equal(t, "echo", s.Workload.Type)

	_, err = scenario.LoadWith(path, scenario.Options{Workloads: []string{"broadcast"}, Checks: []string{"lin"}})
	require.Error(t, err)
	assert.Equal(t, path+`:4:18: workload.type: unknown workload type "echo" (known: broadcast, none)`+"\n"+
		path+`:5:10: checks[0]: unknown check "echo" (known: lin)`, err.Error())

	s, err = scenario.Load(path)
	require.NoError(t, err, "Load checks no registry")
	assert.Len(t, s.Checks, 2)
}

// Reference: issue 7, "terrarium run /dev/zero reads until 8 GB": Load
// reads at most MaxBytes and says so.
func TestLoadReadsNoMoreThanTheBound(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := scenario.Load("/dev/zero")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/dev/zero: the scenario is larger than 1048576 bytes")
}
