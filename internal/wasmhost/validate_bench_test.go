package wasmhost

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// largestPlugin returns the largest module under build/plugins (make
// plugins); the benchmarks skip without one.
func largestPlugin(b *testing.B) (string, []byte) {
	b.Helper()
	files, _ := filepath.Glob("../../build/plugins/*.wasm")
	more, _ := filepath.Glob("../../build/plugins/*/*.wasm")
	files = append(files, more...)
	if len(files) == 0 {
		b.Skip("no build/plugins: run make plugins")
	}
	sizes := map[string]int64{}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		sizes[f] = st.Size()
	}
	sort.Slice(files, func(i, j int) bool { return sizes[files[i]] > sizes[files[j]] })
	wasm, err := os.ReadFile(files[0])
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Base(files[0]), wasm
}

// BenchmarkValidateLargestPlugin is what an upload costs: Validate of the
// largest bundled plugin.
func BenchmarkValidateLargestPlugin(b *testing.B) {
	name, wasm := largestPlugin(b)
	b.Logf("%s, %d bytes", name, len(wasm))
	b.SetBytes(int64(len(wasm)))
	for b.Loop() {
		if _, err := Validate(context.Background(), wasm, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileLargestPlugin is what a run start costs without a warm
// cache: Engine.Compile (compiler engine, no compilation cache) of the
// largest bundled plugin.
func BenchmarkCompileLargestPlugin(b *testing.B) {
	name, wasm := largestPlugin(b)
	b.Logf("%s, %d bytes", name, len(wasm))
	b.SetBytes(int64(len(wasm)))
	ctx := context.Background()
	for b.Loop() {
		e, err := NewEngine(ctx, NewConfig().WithCacheDir(""))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Compile(ctx, name, wasm); err != nil {
			b.Fatal(err)
		}
		_ = e.Close(ctx)
	}
}
