package fuel

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/terrarium-sim/terrarium/internal/testguests"
)

// globalsWAT has an imported global, a constant one and two mutable ones
// between them; bump changes only the mutable ones.
const globalsWAT = `(module
  (import "env" "g" (global $imp i32))
  (global $c i32 (i32.const 7))
  (global $a (mut i32) (i32.const 1))
  (global $b (mut i64) (i64.const 2))
  (func (export "bump") (global.set $a (i32.add (global.get $a) (i32.const 10)))
                        (global.set $b (i64.add (global.get $b) (i64.const 20)))))`

// ExportGlobals exports the module's mutable globals, and only those, in
// index order under reserved names; the module behaves as before, and
// the host sees (and may set) what it does to them.
func TestExportGlobals(t *testing.T) {
	orig, err := testguests.Wat2Wasm([]byte(globalsWAT))
	require.NoError(t, err)
	bin, err := InstrumentWithOptions(orig, Options{ExportGlobals: true})
	require.NoError(t, err)
	plain, err := InstrumentWithOptions(orig, Options{})
	require.NoError(t, err)
	ctx := context.Background()
	r := newRuntime(t, wazero.NewRuntimeConfigInterpreter())
	env, err := testguests.Wat2Wasm([]byte(`(module (global (export "g") i32 (i32.const 3)))`))
	require.NoError(t, err)
	_, err = r.InstantiateWithConfig(ctx, env, wazero.NewModuleConfig().WithName("env"))
	require.NoError(t, err)
	mod, err := r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName("m"))
	require.NoError(t, err)
	a, ok := mod.ExportedGlobal(GlobalExportPrefix + "0").(api.MutableGlobal)
	require.True(t, ok, "the first mutable global is exported, mutable")
	b, ok := mod.ExportedGlobal(GlobalExportPrefix + "1").(api.MutableGlobal)
	require.True(t, ok)
	assert.Nil(t, mod.ExportedGlobal(GlobalExportPrefix+"2"), "the constant and imported globals are not")
	assert.Equal(t, uint64(1), a.Get())
	assert.Equal(t, uint64(2), b.Get())
	require.NoError(t, Set(mod, 1000))
	_, err = mod.ExportedFunction("bump").Call(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(11), a.Get())
	assert.Equal(t, uint64(22), b.Get())
	a.Set(100)
	_, err = mod.ExportedFunction("bump").Call(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(110), a.Get(), "a value the host sets is the guest's")

	pm, err := r.InstantiateWithConfig(ctx, plain, wazero.NewModuleConfig().WithName("p"))
	require.NoError(t, err)
	assert.Nil(t, pm.ExportedGlobal(GlobalExportPrefix+"0"), "without the option nothing more is exported")
}

// A module that already exports a name with the reserved prefix is
// rejected when its globals are to be exported, with the name.
func TestExportGlobalsRejectsTheReservedPrefix(t *testing.T) {
	orig, err := testguests.Wat2Wasm([]byte(`(module (global $a (export "terrarium_global_0") (mut i32) (i32.const 1)))`))
	require.NoError(t, err)
	_, err = InstrumentWithOptions(orig, Options{ExportGlobals: true})
	require.ErrorContains(t, err, `the module exports "terrarium_global_0", a name with the prefix "terrarium_global_" reserved for its globals`)
	_, err = InstrumentWithOptions(orig, Options{})
	require.NoError(t, err, "without the option the name is the module's to use")
}
