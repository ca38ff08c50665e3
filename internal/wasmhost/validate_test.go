package wasmhost_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/internal/wasmhost"
)

// guest builds a reactor module from the ABI's required exports plus extra
// module fields; drop removes one of the defaults by its export name.
func guest(t *testing.T, extra string, drop ...string) []byte {
	t.Helper()
	fields := map[string]string{
		"memory":           `(memory (export "memory") 1)`,
		"terrarium_abi_v1": `(func (export "terrarium_abi_v1"))`,
		"alloc":            `(func (export "alloc") (param i32) (result i32) (i32.const 1024))`,
		"on_init":          `(func (export "on_init") (param i32 i32))`,
		"on_message":       `(func (export "on_message") (param i32 i32 i32))`,
	}
	for _, d := range drop {
		delete(fields, d)
	}
	src := "(module\n" + extra + "\n"
	for _, k := range []string{"memory", "terrarium_abi_v1", "alloc", "on_init", "on_message"} {
		src += fields[k] + "\n"
	}
	b, err := testguests.Wat2Wasm([]byte(src + ")"))
	require.NoError(t, err)
	return b
}

func TestValidateAcceptsTheTestGuests(t *testing.T) {
	for _, name := range []string{"echo", "counter", "spin", "hog", "trap"} {
		t.Run(name, func(t *testing.T) {
			b, err := testguests.Wasm(name)
			require.NoError(t, err)
			info, err := wasmhost.Validate(context.Background(), b, 0)
			require.NoError(t, err)
			assert.Len(t, info.SHA256, 64)
			assert.Equal(t, len(b), info.Size)
			assert.Contains(t, info.Exports, "on_message")
		})
	}
	b, err := testguests.Wasm("echo")
	require.NoError(t, err)
	info, err := wasmhost.Validate(context.Background(), b, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"terrarium.send"}, info.Imports)
}

func TestValidateRejects(t *testing.T) {
	good := guest(t, "")
	truncated := good[:len(good)-3]
	// wat2wasm refuses to write a body that does not type-check, so write a
	// good one and turn its (i32.const 5) into (i64.const 5).
	badBody := guest(t, `(func (export "bad") (result i32) (i32.const 5))`)
	i := bytes.Index(badBody, []byte{0x41, 0x05, 0x0b})
	require.Positive(t, i)
	badBody[i] = 0x42
	cases := []struct {
		name    string
		wasm    []byte
		max     int
		kind    error
		message string
	}{
		{"too large", good, len(good) - 1, wasmhost.ErrModuleTooLarge, "the limit is"},
		{"empty", nil, 0, wasmhost.ErrMalformed, "not a WebAssembly binary"},
		{"text not binary", []byte("(module)"), 0, wasmhost.ErrMalformed, "not a WebAssembly binary"},
		{"bad version", []byte("\x00asm\x02\x00\x00\x00"), 0, wasmhost.ErrMalformed, "version"},
		{"truncated", truncated, 0, wasmhost.ErrMalformed, "malformed"},
		{"body does not validate", badBody, 0, wasmhost.ErrMalformed, "malformed"},
		{"missing on_message", guest(t, "", "on_message"), 0, wasmhost.ErrABI, `missing export "on_message"`},
		{"missing abi marker", guest(t, "", "terrarium_abi_v1"), 0, wasmhost.ErrABI, `missing export "terrarium_abi_v1"`},
		{"missing memory", guest(t, "", "memory"), 0, wasmhost.ErrABI, `missing export "memory"`},
		{"alloc signature", guest(t, `(func (export "alloc") (param i64) (result i32) (i32.const 0))`, "alloc"), 0, wasmhost.ErrABI, `export "alloc" has type (i64) -> (i32)`},
		{"on_timer signature", guest(t, `(func (export "on_timer") (param i32))`), 0, wasmhost.ErrABI, `export "on_timer" has type`},
		{"on_envelope signature", guest(t, `(func (export "on_envelope") (param i32 i32 i32 i64 i64 i64 i64 i64))`), 0, wasmhost.ErrABI, `export "on_envelope" has type`},
		{"unknown host function", guest(t, `(import "terrarium" "exec" (func (param i32)))`), 0, wasmhost.ErrABI, "import terrarium.exec is not a host function"},
		{"host function signature", guest(t, `(import "terrarium" "send" (func (param i32)))`), 0, wasmhost.ErrABI, "import terrarium.send has type"},
		{"socket import", guest(t, `(import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))`), 0, wasmhost.ErrABI, "import wasi_snapshot_preview1.sock_accept is not allowed"},
		{"foreign module", guest(t, `(import "env" "system" (func))`), 0, wasmhost.ErrABI, "import env.system"},
		{"imported memory", guest(t, `(import "env" "mem" (memory 1)) (export "memory" (memory 0))`, "memory"), 0, wasmhost.ErrABI, "import env.mem"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := wasmhost.Validate(context.Background(), c.wasm, c.max)
			require.Error(t, err)
			assert.ErrorIs(t, err, c.kind)
			assert.Contains(t, err.Error(), c.message)
		})
	}
}

// The same module the engine refuses, Validate refuses, with the same words.
func TestValidateAgreesWithCompile(t *testing.T) {
	ctx := context.Background()
	e, err := wasmhost.NewEngine(ctx, wasmhost.NewConfig().WithCacheDir(""))
	require.NoError(t, err)
	defer e.Close(ctx)
	for _, name := range []string{"badimport", "noexport", "echo"} {
		b, err := testguests.Wasm(name)
		require.NoError(t, err)
		_, cerr := e.Compile(ctx, name, b)
		_, verr := wasmhost.Validate(ctx, b, 0)
		if cerr == nil {
			assert.NoError(t, verr, name)
			continue
		}
		require.Error(t, verr, name)
		assert.True(t, strings.HasSuffix(cerr.Error(), verr.Error()), "%s: compile says %q, validate says %q", name, cerr, verr)
	}
}

// Validate and Compile run one pipeline: the bounds are checked before
// wazero compiles the module or the ABI is looked at, and both report the
// bounds' words (Validate as ErrModuleTooLarge).
func TestValidateAndCompileCheckBoundsFirst(t *testing.T) {
	ctx := context.Background()
	e, err := wasmhost.NewEngine(ctx, wasmhost.NewConfig().WithCacheDir(""))
	require.NoError(t, err)
	defer e.Close(ctx)
	past := `(data (i32.const 65535) "xy")` // one byte past the one-page memory
	for name, wasm := range map[string][]byte{
		"data past the memory":   guest(t, past),
		"that and no on_message": guest(t, past, "on_message"),
	} {
		t.Run(name, func(t *testing.T) {
			const want = "fuel: data section at offset "
			_, verr := wasmhost.Validate(ctx, wasm, 0)
			require.ErrorIs(t, verr, wasmhost.ErrModuleTooLarge)
			assert.Contains(t, verr.Error(), want)
			_, cerr := e.Compile(ctx, "m", wasm)
			require.Error(t, cerr)
			assert.True(t, strings.HasPrefix(cerr.Error(), "module m: "+want), cerr.Error())
			assert.True(t, strings.HasSuffix(verr.Error(), strings.TrimPrefix(cerr.Error(), "module m: ")), "%s\n%s", verr, cerr)
		})
	}
}
