package fuel

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero/api"

	"github.com/terrarium-sim/terrarium/internal/testguests"
)

// bulkWAT exports one function per bulk instruction, each taking the
// instruction's length operand.
const bulkWAT = `(module
  (memory 1)
  (table $t 4 funcref)
  (table $u 4 funcref)
  (data $d "0123456789abcdef")
  (elem $e func $f $f $f $f)
  (func $f)
  (func (export "memory.fill") (param i32) (memory.fill (i32.const 0) (i32.const 1) (local.get 0)))
  (func (export "memory.copy") (param i32) (memory.copy (i32.const 100) (i32.const 0) (local.get 0)))
  (func (export "memory.init") (param i32) (memory.init $d (i32.const 0) (i32.const 0) (local.get 0)))
  (func (export "table.fill") (param i32) (table.fill $t (i32.const 0) (ref.null func) (local.get 0)))
  (func (export "table.copy") (param i32) (table.copy $u $t (i32.const 0) (i32.const 0) (local.get 0)))
  (func (export "table.init") (param i32) (table.init $t $e (i32.const 0) (i32.const 0) (local.get 0)))
  (func (export "table.grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "memory.grow") (param i32) (result i32) (memory.grow (local.get 0))))`

func bulkModule(t testing.TB) []byte {
	t.Helper()
	b, err := testguests.Wat2Wasm([]byte(bulkWAT))
	require.NoError(t, err)
	return b
}

// used calls f(n) with plenty of fuel and returns the fuel it used.
func used(t *testing.T, mod api.Module, f string, n uint64) int64 {
	t.Helper()
	const initial = 1 << 40
	require.NoError(t, Set(mod, initial))
	_, err := mod.ExportedFunction(f).Call(context.Background(), n)
	require.NoError(t, err, "%s(%d)", f, n)
	left, err := Remaining(mod)
	require.NoError(t, err)
	return initial - left
}

// Each bulk instruction costs its length operand times its factor on top
// of what the instruction itself costs; before, the length was free.
func TestBulkInstructionsCostTheirLength(t *testing.T) {
	for _, model := range []CostModel{CostToNextControl, CostRegion} {
		bin, err := InstrumentWithOptions(bulkModule(t), Options{Cost: model})
		require.NoError(t, err)
		for _, e := range engines {
			mod := instantiate(t, newRuntime(t, e.cfg()), bin)
			for _, c := range []struct {
				f      string
				n      uint64
				factor int64
			}{
				{"memory.fill", 60_000, MemoryByteFuel},
				{"memory.copy", 4_000, MemoryByteFuel},
				{"memory.init", 16, MemoryByteFuel},
				{"table.fill", 4, TableElementFuel},
				{"table.copy", 3, TableElementFuel},
				{"table.init", 4, TableElementFuel},
				{"table.grow", 100, TableElementFuel},
			} {
				t.Run(e.name+"/"+c.f, func(t *testing.T) {
					base := used(t, mod, c.f, 0)
					assert.Positive(t, base)
					assert.Equal(t, base+c.factor*int64(c.n), used(t, mod, c.f, c.n))
				})
			}
		}
	}
}

// A bulk instruction whose length costs more than the fuel left traps
// before it runs, as a fuel trap.
func TestBulkInstructionTrapsWhenTheLengthIsUnaffordable(t *testing.T) {
	bin := mustInstrument(t, bulkModule(t))
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			mod := instantiate(t, newRuntime(t, e.cfg()), bin)
			require.NoError(t, Set(mod, 1000))
			_, err := mod.ExportedFunction("memory.fill").Call(context.Background(), 5000)
			require.Error(t, err)
			assert.True(t, Exhausted(mod))
			first, ok := mod.Memory().ReadUint32Le(0)
			require.True(t, ok)
			assert.Zero(t, first, "the fill did not run")
		})
	}
}

// Tables count against the memory budget with the memory: table.grow past
// it traps and leaves the figure in the memory request global, and
// memory.grow past it fails as at the runtime's page limit.
func TestTablesShareTheMemoryBudget(t *testing.T) {
	// One page (65,536 bytes) and two tables of 4 elements (64 bytes).
	const budget = 3 * 65536
	bin, err := InstrumentWithOptions(bulkModule(t), Options{MemoryBytes: budget})
	require.NoError(t, err)
	ctx := context.Background()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			mod := instantiate(t, newRuntime(t, e.cfg()), bin)
			call := func(f string, n uint64) (uint64, error) {
				require.NoError(t, Set(mod, 1<<40))
				res, err := mod.ExportedFunction(f).Call(ctx, n)
				if err != nil {
					return 0, err
				}
				return res[0], nil
			}
			req := func() int64 { return int64(mod.ExportedGlobal(MemoryRequestName).Get()) }
			grew, err := call("memory.grow", 1)
			require.NoError(t, err)
			assert.Equal(t, uint64(1), grew, "two pages and 64 bytes fit")
			// Tables up to the budget: 2 pages + 8,192 elements of 8 bytes.
			grew, err = call("table.grow", 8192-8)
			require.NoError(t, err)
			assert.Equal(t, uint64(4), grew)
			assert.Equal(t, int64(budget), req())
			grew, err = call("memory.grow", 1)
			require.NoError(t, err)
			assert.Equal(t, uint64(0xffffffff), grew, "no room for another page")
			assert.Equal(t, uint32(2), mod.Memory().Size()/65536)

			_, err = call("table.grow", 1)
			require.Error(t, err, "one element more is over the budget")
			assert.False(t, Exhausted(mod), "not a fuel trap")
			assert.Equal(t, int64(budget+8), req())
		})
	}
}

// The initial tables count too, and a table.grow by 2^31-1 elements traps
// without allocating 16 GiB.
func TestHugeTableGrowTraps(t *testing.T) {
	bin := mustInstrument(t, bulkModule(t))
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			mod := instantiate(t, newRuntime(t, e.cfg()), bin)
			require.NoError(t, Set(mod, 1<<40))
			_, err := mod.ExportedFunction("table.grow").Call(context.Background(), 1<<31-1)
			require.Error(t, err)
			assert.False(t, Exhausted(mod))
			assert.Equal(t, int64((1<<31-1+8)*8+65536), int64(mod.ExportedGlobal(MemoryRequestName).Get()))
		})
	}
}

// Measure reports what the budget and limits are checked against.
func TestMeasureCountsBulkInstructions(t *testing.T) {
	fig, err := Measure(bulkModule(t))
	require.NoError(t, err)
	assert.Equal(t, 8, fig.BulkOps)
	assert.Equal(t, 2, fig.Tables)
	assert.Equal(t, 4, fig.TableElements)
	assert.Equal(t, 1, fig.MemoryPages)
	assert.Equal(t, 9, fig.Functions)
	_, err = Measure([]byte("\x00asm\x01\x00\x00\x00\x0a\x05\xff\xff\xff\xff\x0f"))
	assert.True(t, errors.Is(err, ErrMalformed), "%v", err)
}
