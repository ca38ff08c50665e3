package fuel

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

const benchIterations = 1_000_000

// benchLoop calls count(1e6) from loopModule (a 7-instruction loop body) on
// the compiler engine, instrumented or not.
func benchLoop(b *testing.B, instrumented bool) {
	bin := loopModule()
	if instrumented {
		bin = mustInstrument(b, bin)
	}
	ctx := context.Background()
	// Not newRuntime: closing on context cancellation adds checks of its
	// own to loops.
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	mod := instantiate(b, r, bin)
	count := mod.ExportedFunction("count")
	call := func() {
		res, err := count.Call(ctx, benchIterations)
		if err != nil || res[0] != benchIterations {
			b.Fatalf("count: %v %v", res, err)
		}
	}
	setFuel := func(api.Module) {}
	if instrumented {
		setFuel = func(m api.Module) {
			if err := Set(m, 1<<40); err != nil {
				b.Fatal(err)
			}
		}
	}
	setFuel(mod)
	call() // warm up
	for b.Loop() {
		setFuel(mod)
		call()
	}
	if instrumented {
		left, err := Remaining(mod)
		require.NoError(b, err)
		require.Equal(b, int64(1+7*benchIterations), int64(1<<40)-left)
	}
}

// BenchmarkPlainLoop is the uninstrumented baseline for BenchmarkFueledLoop.
func BenchmarkPlainLoop(b *testing.B) { benchLoop(b, false) }

// BenchmarkFueledLoop measures the overhead of the fuel checks on a tight
// loop of 1e6 iterations.
func BenchmarkFueledLoop(b *testing.B) { benchLoop(b, true) }
