package fuel

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// helloProgram is a small Go program compiled to wasip1. Besides printing it
// exercises the allocator, maps, goroutines, channels and the scheduler so
// that a good part of the runtime is decoded and executed.
const helloProgram = `package main

import (
	"fmt"
	"sort"
	"strings"
)

func main() {
	words := strings.Fields("the quick brown fox jumps over the lazy dog")
	counts := map[string]int{}
	for _, w := range words {
		counts[w]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	results := make(chan int)
	for i := 1; i <= 4; i++ {
		go func(n int) {
			s := 0
			for j := 0; j < n*1000; j++ {
				s += j % 7
			}
			results <- s
		}(i)
	}
	total := 0
	for i := 0; i < 4; i++ {
		total += <-results
	}
	fmt.Println("hello from wasip1")
	fmt.Println(strings.Join(keys, ","), counts["the"], total)
}
`

const helloOutput = "hello from wasip1\nbrown,dog,fox,jumps,lazy,over,quick,the 2 29980\n"

var goWasm struct {
	once sync.Once
	dir  string
	bin  []byte
	err  error
}

// TestMain removes the directory holding the Go-built module.
func TestMain(m *testing.M) {
	code := m.Run()
	if goWasm.dir != "" {
		_ = os.RemoveAll(goWasm.dir)
	}
	os.Exit(code)
}

// goHelloWasm returns helloProgram compiled with GOOS=wasip1 GOARCH=wasm,
// building it once per test process. It skips the test if the go command is
// unavailable.
func goHelloWasm(t testing.TB) []byte {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not available:", err)
	}
	goWasm.once.Do(func() {
		goWasm.dir, goWasm.err = os.MkdirTemp("", "fuel-gowasm-")
		if goWasm.err != nil {
			return
		}
		dir := goWasm.dir
		if goWasm.err = os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.21\n"), 0o644); goWasm.err != nil {
			return
		}
		if goWasm.err = os.WriteFile(filepath.Join(dir, "main.go"), []byte(helloProgram), 0o644); goWasm.err != nil {
			return
		}
		out := filepath.Join(dir, "hello.wasm")
		cmd := exec.Command(goCmd, "build", "-o", out, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0",
			"GOWORK=off", "GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local")
		if msg, err := cmd.CombinedOutput(); err != nil {
			goWasm.err = errors.New(err.Error() + ": " + string(msg))
			return
		}
		goWasm.bin, goWasm.err = os.ReadFile(out)
	})
	require.NoError(t, goWasm.err, "building the wasip1 module")
	return goWasm.bin
}

// runWASI runs the _start function of a compiled WASI command with the given
// fuel (or without fuel if the module is not instrumented) and returns its
// stdout and the fuel left.
func runWASI(t *testing.T, r wazero.Runtime, c wazero.CompiledModule, units int64) (string, int64) {
	t.Helper()
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	cfg := wazero.NewModuleConfig().WithName("").WithStdout(&stdout).WithStderr(&stderr).
		WithStartFunctions() // call _start after setting the fuel
	mod, err := r.InstantiateModule(ctx, c, cfg)
	require.NoError(t, err)
	defer mod.Close(ctx)

	instrumented := mod.ExportedGlobal(GlobalName) != nil
	if instrumented {
		require.NoError(t, Set(mod, units))
	}
	_, err = mod.ExportedFunction("_start").Call(ctx)
	var exit *sys.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 0) {
		t.Fatalf("_start: %v (stderr: %s)", err, stderr.String())
	}
	left := int64(0)
	if instrumented {
		left, err = Remaining(mod)
		require.NoError(t, err)
	}
	return stdout.String(), left
}

func TestGoWasip1Module(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Go wasip1 module")
	}
	orig := goHelloWasm(t)
	bin := mustInstrument(t, orig)
	t.Logf("Go wasip1 module: %d bytes, instrumented %d bytes (+%.1f%%)",
		len(orig), len(bin), 100*float64(len(bin)-len(orig))/float64(len(orig)))
	ctx := context.Background()

	const initial = 1 << 40
	var consumed []int64
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			r := newRuntime(t, e.cfg())
			wasi_snapshot_preview1.MustInstantiate(ctx, r)

			if e.name == "interpreter" {
				// The uninstrumented module prints the same.
				c, err := r.CompileModule(ctx, orig)
				require.NoError(t, err)
				out, _ := runWASI(t, r, c, 0)
				require.Equal(t, helloOutput, out)
			}

			c, err := r.CompileModule(ctx, bin)
			require.NoError(t, err)
			runs := 1
			if e.name == "compiler" {
				runs = 2
			}
			for i := 0; i < runs; i++ {
				out, left := runWASI(t, r, c, initial)
				assert.Equal(t, helloOutput, out)
				require.Positive(t, left)
				consumed = append(consumed, initial-left)
			}
		})
	}
	t.Logf("fuel consumed per run: %v", consumed)
	require.Len(t, consumed, 3)
	assert.Greater(t, consumed[0], int64(10_000), "the Go runtime executes a lot of code")
	// wazero's default clocks and random source are deterministic, so the
	// Go runtime takes the same path on every run and engine.
	assert.Equal(t, consumed[0], consumed[1], "repeated runs")
	assert.Equal(t, consumed[0], consumed[2], "compiler vs interpreter")

	// Under CostRegion the fuel is an upper bound of the instructions run.
	regionBin, err := InstrumentWithOptions(orig, Options{Cost: CostRegion})
	require.NoError(t, err)
	r := newRuntime(t, wazero.NewRuntimeConfigInterpreter())
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	c, err := r.CompileModule(ctx, regionBin)
	require.NoError(t, err)
	out, left := runWASI(t, r, c, initial)
	assert.Equal(t, helloOutput, out)
	t.Logf("fuel consumed with CostRegion: %d", initial-left)
	assert.Greater(t, initial-left, consumed[0])

	// A budget well below what the program needs stops it with a fuel trap.
	c, err = r.CompileModule(ctx, bin)
	require.NoError(t, err)
	mod, err := r.InstantiateModule(ctx, c, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	require.NoError(t, err)
	require.NoError(t, Set(mod, consumed[0]/2))
	_, err = mod.ExportedFunction("_start").Call(ctx)
	require.Error(t, err)
	assert.True(t, Exhausted(mod))
}

func BenchmarkInstrument(b *testing.B) {
	bin := goHelloWasm(b)
	out, err := Instrument(bin)
	require.NoError(b, err)
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Instrument(bin); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(bin)), "in-bytes")
	b.ReportMetric(float64(len(out)), "out-bytes")
}
