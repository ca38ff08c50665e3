// Package rules holds tests of the module's shape: which packages may
// depend on which.
package rules

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/terrarium-sim/terrarium/"

// engineFree are the vocabularies and leaves an embedder or a checker
// compiles against: none may reach the Wasm engine or the store.
var engineFree = []string{
	"runtime/check",
	"runtime/history",
	"runtime/trace",
	"runtime/fault",
	"runtime/runfolder",
	"runtime/workload",
	"runtime/abi",
	"runtime/abi/jsonscan",
	"runtime/limits",
	"runtime/scenario",
	"runtime/keys",
}

// engineModules are the third-party modules that make the engine.
var engineModules = []string{"github.com/tetratelabs/wazero", "github.com/dgraph-io/badger"}

// deps lists every package pkg (a path below the module) depends on.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
	require.NoError(t, err, "go list -deps %s", pkg)
	return strings.Fields(string(out))
}

// engineIn returns pkg's dependencies that belong to the engine.
func engineIn(t *testing.T, pkg string) []string {
	var hit []string
	for _, d := range deps(t, pkg) {
		for _, m := range engineModules {
			if d == m || strings.HasPrefix(d, m+"/") {
				hit = append(hit, d)
			}
		}
	}
	return hit
}

func TestLeavesDoNotReachTheEngine(t *testing.T) {
	for _, pkg := range engineFree {
		t.Run(pkg, func(t *testing.T) {
			assert.Empty(t, engineIn(t, pkg), "%s must not depend on wazero or badger", pkg)
		})
	}
}

func TestEngineInSeesTheEngine(t *testing.T) {
	assert.NotEmpty(t, engineIn(t, "internal/wasmhost"), "the rule must catch a package that does reach the engine")
}

// nodes/ owns a node's lifecycle and its Badger store; its guest engine is
// injected (nodes.Engine), so it must not reach wazero or the Wasm host.
func TestNodesTakeTheirEngine(t *testing.T) {
	for _, d := range deps(t, "nodes") {
		assert.False(t, d == module+"internal/wasmhost" || strings.HasPrefix(d, "github.com/tetratelabs/wazero"),
			"nodes must not depend on %s", d)
	}
}
