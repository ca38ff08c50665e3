package fuel

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wabin/binary"
	"github.com/tetratelabs/wabin/leb128"
	"github.com/tetratelabs/wabin/wasm"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// engines are the wazero runtime configurations every behavioural test runs
// under. Fuel accounting must not depend on the engine.
var engines = []struct {
	name string
	cfg  func() wazero.RuntimeConfig
}{
	{"compiler", wazero.NewRuntimeConfigCompiler},
	{"interpreter", wazero.NewRuntimeConfigInterpreter},
}

// allFeatures enables everything the instrumenter understands that wazero
// supports, so feature-rich test modules validate.
const allFeatures = api.CoreFeaturesV2 | experimental.CoreFeaturesTailCall |
	experimental.CoreFeaturesExtendedConst | experimental.CoreFeaturesExceptionHandling

// newRuntime returns a runtime closed when the test ends.
func newRuntime(t testing.TB, cfg wazero.RuntimeConfig) wazero.Runtime {
	t.Helper()
	ctx := context.Background()
	// Closing on context cancellation lets tests bound a guest that fuel
	// failed to stop, instead of hanging.
	r := wazero.NewRuntimeWithConfig(ctx, cfg.WithCoreFeatures(allFeatures).WithCloseOnContextDone(true))
	t.Cleanup(func() { _ = r.Close(ctx) })
	return r
}

// instantiate compiles and instantiates bin in r under a unique name.
func instantiate(t testing.TB, r wazero.Runtime, bin []byte) api.Module {
	t.Helper()
	ctx := context.Background()
	mod, err := r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName(""))
	require.NoError(t, err)
	return mod
}

// mustInstrument instruments bin and fails the test on error.
func mustInstrument(t testing.TB, bin []byte) []byte {
	t.Helper()
	out, err := Instrument(bin)
	require.NoError(t, err)
	return out
}

// Helpers for hand-assembling code.

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func u32(v uint32) []byte { return leb128.EncodeUint32(v) }

func i32c(v int32) []byte { return cat([]byte{opI32Const}, leb128.EncodeInt32(v)) }

func i64c(v int64) []byte { return cat([]byte{opI64Const}, leb128.EncodeInt64(v)) }

func str(s string) []byte { return cat(u32(uint32(len(s))), []byte(s)) }

// vec encodes a vector: the element count followed by the elements.
func vec(items ...[]byte) []byte { return cat(u32(uint32(len(items))), cat(items...)) }

// sec encodes a section.
func sec(id byte, payload ...[]byte) []byte {
	p := cat(payload...)
	return cat([]byte{id}, u32(uint32(len(p))), p)
}

// rawModule assembles a binary from encoded sections.
func rawModule(sections ...[]byte) []byte {
	return cat(wasmMagic, wasmVersion, cat(sections...))
}

// funcBody encodes a code section entry without locals.
func funcBody(code ...[]byte) []byte {
	b := cat([]byte{0}, cat(code...))
	return cat(u32(uint32(len(b))), b)
}

// meter is the fuel check Instrument inserts for global index g.
func meter(g uint32, cost int64) []byte { return appendMeter(nil, g, cost) }

var (
	i32 = wasm.ValueTypeI32
	i64 = wasm.ValueTypeI64
)

// funcsModule builds a module with one mutable i32 global (exported as
// "counter"), one page of memory and the given functions. Function i has type
// types[i] and is exported as names[i].
func funcsModule(types []*wasm.FunctionType, names []string, bodies [][]byte, locals [][]wasm.ValueType) []byte {
	m := &wasm.Module{
		TypeSection:   types,
		MemorySection: &wasm.Memory{Min: 1, Max: 1, IsMaxEncoded: true},
		GlobalSection: []*wasm.Global{{
			Type: &wasm.GlobalType{ValType: i32, Mutable: true},
			Init: &wasm.ConstantExpression{Opcode: wasm.OpcodeI32Const, Data: leb128.EncodeInt32(0)},
		}},
		ExportSection: []*wasm.Export{{Name: "counter", Type: wasm.ExternTypeGlobal, Index: 0}},
	}
	for i, body := range bodies {
		m.FunctionSection = append(m.FunctionSection, wasm.Index(i))
		code := &wasm.Code{Body: body}
		if locals != nil {
			code.LocalTypes = locals[i]
		}
		m.CodeSection = append(m.CodeSection, code)
		if names[i] != "" {
			m.ExportSection = append(m.ExportSection, &wasm.Export{Name: names[i], Type: wasm.ExternTypeFunc, Index: wasm.Index(i)})
		}
	}
	return binary.EncodeModule(m)
}

// loopModule exports:
//
//	count(n i32) i32: counts a local up to n in a loop; costs 1 + 7n fuel.
//	spin(): increments global "counter" forever; costs 1 + 5 per iteration.
func loopModule() []byte {
	count := cat(
		[]byte{opLoop, blockTypeEmpty},
		[]byte{opLocalGet, 1}, i32c(1), []byte{opI32Add, opLocalTee, 1},
		[]byte{opLocalGet, 0, 0x49 /* i32.lt_u */, opBrIf, 0},
		[]byte{opEnd},
		[]byte{opLocalGet, 1, opEnd},
	)
	spin := cat(
		[]byte{opLoop, blockTypeEmpty},
		[]byte{opGlobalGet, 0}, i32c(1), []byte{opI32Add, opGlobalSet, 0},
		[]byte{opBr, 0},
		[]byte{opEnd, opEnd},
	)
	return funcsModule(
		[]*wasm.FunctionType{{Params: []wasm.ValueType{i32}, Results: []wasm.ValueType{i32}}, {}},
		[]string{"count", "spin"},
		[][]byte{count, spin},
		[][]wasm.ValueType{{i32}, nil},
	)
}
