package wasmhost

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/fuel"
	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/runtime/gobuild"
)

// realGuests builds guests as their toolchains make them: Go (a reactor
// plugin and a command guest), Rust, AssemblyScript and WAT, plus every
// module under build/plugins (make plugins) if it exists.
func realGuests(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	echo, err := gobuild.Build(context.Background(), "../../plugins/echo")
	require.NoError(t, err)
	out["go echo plugin"] = echo
	cmd, err := cmdBuild()
	require.NoError(t, err)
	out["go command guest"] = cmd
	as, err := testguests.AssemblyScript("../../plugins/examples/assemblyscript/echo.ts")
	require.NoError(t, err)
	out["assemblyscript echo"] = as
	src, err := os.ReadFile("../../plugins/examples/wat/echo.wat")
	require.NoError(t, err)
	wat, err := testguests.Wat2Wasm(src)
	require.NoError(t, err)
	out["wat echo"] = wat
	rs := filepath.Join(t.TempDir(), "rust.wasm")
	if msg, err := exec.Command("rustc", "--target", "wasm32-wasip1", "-O", "-o", rs, "../../plugins/maelstrom/stdio/rust-echo/main.rs").CombinedOutput(); err == nil {
		out["rust echo"], err = os.ReadFile(rs)
		require.NoError(t, err)
	} else {
		t.Logf("no Rust guest (rustc --target wasm32-wasip1: %v %.200s)", err, msg)
	}
	built, _ := filepath.Glob("../../build/plugins/*.wasm")
	more, _ := filepath.Glob("../../build/plugins/*/*.wasm")
	for _, f := range append(built, more...) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out[f] = b
	}
	return out
}

// Every real guest passes every bound of fuel.Limits with at least four
// times room, and Validate accepts it. The figures logged are those of
// docs/ABI.md, "Module bounds".
func TestRealGuestsFitTheBoundsWithRoom(t *testing.T) {
	const room = 4
	lim := fuel.DefaultLimits()
	for name, wasm := range realGuests(t) {
		fig, err := fuel.Measure(wasm)
		require.NoError(t, err, name)
		t.Logf("%s (%d bytes): %+v", name, len(wasm), fig)
		for _, c := range []struct {
			what          string
			figure, bound int
		}{
			{"types", fig.Types, lim.Types},
			{"imports", fig.Imports, lim.Imports},
			{"functions", fig.Functions, lim.Functions},
			{"globals", fig.Globals, lim.Globals},
			{"exports", fig.Exports, lim.Exports},
			{"tables", fig.Tables, lim.Tables},
			{"table elements", fig.TableElements, lim.TableElements},
			{"element entries", fig.ElementEntries, lim.ElementEntries},
			{"element segments", fig.ElementSegments, lim.ElementSegments},
			{"data segments", fig.DataSegments, lim.DataSegments},
			{"function locals", fig.FunctionLocals, lim.FunctionLocals},
			{"locals", fig.Locals, lim.Locals},
			{"body bytes", fig.BodyBytes, lim.BodyBytes},
			{"depth", fig.Depth, lim.Depth},
			{"br_table labels", fig.BrTableLabels, lim.BrTableLabels},
			{"nesting work", fig.NestingWork, lim.NestingWork},
			{"module br_table labels", fig.ModuleBrTableLabels, lim.ModuleBrTableLabels},
		} {
			assert.LessOrEqual(t, c.figure*room, c.bound, "%s: %s", name, c.what)
		}
		_, err = Validate(context.Background(), wasm, 0)
		assert.NoError(t, err, name)
	}
}
