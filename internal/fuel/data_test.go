package fuel

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

func seg(off int32, b ...byte) []byte {
	s := []byte{0, 0x41}
	s = appendS64(s, int64(off))
	s = append(s, 0x0b)
	s = appendU32(s, uint32(len(b)))
	return append(s, b...)
}

func dataSection(segs ...[]byte) []byte {
	out := appendU32(nil, uint32(len(segs)))
	for _, s := range segs {
		out = append(out, s...)
	}
	return out
}

func TestMergeData(t *testing.T) {
	// Out of order, a small gap, and one beyond mergeGap.
	in := dataSection(seg(10, 3, 4), seg(0, 1, 2), seg(20+mergeGap, 9))
	out, ok := mergeData(in)
	require.True(t, ok)
	want := dataSection(seg(0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4), seg(20+mergeGap, 9))
	assert.Equal(t, want, out)

	for name, bad := range map[string][]byte{
		"overlapping":   dataSection(seg(0, 1, 2, 3), seg(2, 9)),
		"passive":       dataSection(seg(0, 1), []byte{1, 1, 7}),
		"global offset": dataSection(seg(0, 1), []byte{0, 0x23, 0, 0x0b, 1, 7}),
		"truncated":     dataSection(seg(0, 1), seg(4, 2))[:9],
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := mergeData(bad)
			assert.False(t, ok)
			assert.Equal(t, bad, got, "left as it was")
		})
	}
}

// The Go module behaves the same with merged segments, and has far fewer.
func TestMergedGoModuleRunsTheSame(t *testing.T) {
	wasm := goHelloWasm(t)
	merged, err := Instrument(wasm)
	require.NoError(t, err)
	kept, err := InstrumentWithOptions(wasm, Options{StartFuel: DefaultStartFuel, KeepDataSegments: true})
	require.NoError(t, err)
	count := func(code []byte) uint32 {
		sections, err := splitSections(code)
		require.NoError(t, err)
		for _, s := range sections {
			if s.id == secData {
				n, _, err := readU32(s.payload)
				require.NoError(t, err)
				return n
			}
		}
		return 0
	}
	t.Logf("data segments: %d kept, %d merged; bytes %d kept, %d merged", count(kept), count(merged), len(kept), len(merged))
	assert.Greater(t, count(kept), uint32(10000))
	assert.Less(t, count(merged), count(kept)/100)
	for _, code := range [][]byte{merged, kept} {
		assert.Equal(t, helloOutput, runGo(t, code))
	}
}

func runGo(t testing.TB, code []byte) string {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	cm, err := r.CompileModule(ctx, code)
	require.NoError(t, err)
	var out bytesBuffer
	mod, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithStdout(&out).WithStartFunctions())
	require.NoError(t, err)
	require.NoError(t, Set(mod, 1<<40))
	_, err = mod.ExportedFunction("_start").Call(ctx)
	if err != nil {
		require.Contains(t, err.Error(), "exit_code(0)")
	}
	return out.String()
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *bytesBuffer) String() string              { return string(w.b) }

// BenchmarkInstantiateGo compares instantiating the Go module with its
// data segments kept and merged.
func BenchmarkInstantiateGo(b *testing.B) {
	wasm := goHelloWasm(b)
	for _, keep := range []bool{true, false} {
		name := "merged"
		if keep {
			name = "kept"
		}
		b.Run(name, func(b *testing.B) {
			code, err := InstrumentWithOptions(wasm, Options{StartFuel: DefaultStartFuel, KeepDataSegments: keep})
			require.NoError(b, err)
			ctx := context.Background()
			r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
			defer r.Close(ctx)
			wasi_snapshot_preview1.MustInstantiate(ctx, r)
			cm, err := r.CompileModule(ctx, code)
			require.NoError(b, err)
			b.ResetTimer()
			for range b.N {
				mod, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
				require.NoError(b, err)
				_ = mod.Close(ctx)
			}
		})
	}
}
