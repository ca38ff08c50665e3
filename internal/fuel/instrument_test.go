package fuel

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wabin/binary"
	"github.com/tetratelabs/wabin/wasm"
	"github.com/tetratelabs/wazero"
)

func TestInstrumentLayout(t *testing.T) {
	body := cat(i32c(7), []byte{opDrop, opLoop, blockTypeEmpty, opBr, 0, opEnd, opEnd})
	orig := funcsModule([]*wasm.FunctionType{{}}, []string{"f"}, [][]byte{body}, nil)
	snapshot := bytes.Clone(orig)
	out := mustInstrument(t, orig)
	require.Equal(t, snapshot, orig, "Instrument must not modify its input")

	m, err := binary.DecodeModule(out, wasm.CoreFeaturesV2)
	require.NoError(t, err)

	// The counter is appended after the existing global, so it is global 1.
	require.Len(t, m.GlobalSection, 4)
	assert.Equal(t, wasm.ValueTypeI32, m.GlobalSection[0].Type.ValType, "existing global unchanged")
	fuelGlobal := m.GlobalSection[1]
	assert.Equal(t, &wasm.GlobalType{ValType: wasm.ValueTypeI64, Mutable: true}, fuelGlobal.Type)
	assert.Equal(t, &wasm.ConstantExpression{Opcode: wasm.OpcodeI64Const, Data: []byte{0}}, fuelGlobal.Init)

	require.Len(t, m.ExportSection, 4)
	assert.Equal(t, &wasm.Export{Name: GlobalName, Type: wasm.ExternTypeGlobal, Index: 1}, m.ExportSection[2])
	assert.Equal(t, &wasm.Export{Name: MemoryRequestName, Type: wasm.ExternTypeGlobal, Index: 3}, m.ExportSection[3])

	// Entry: i32.const, drop, loop = 3. Loop head: br = 1.
	want := cat(meter(1, 3), i32c(7), []byte{opDrop, opLoop, blockTypeEmpty}, meter(1, 1), []byte{opBr, 0, opEnd, opEnd})
	require.Len(t, m.CodeSection, 1)
	assert.Equal(t, want, m.CodeSection[0].Body)

	// The exact check sequence from the package documentation.
	assert.Equal(t, []byte{
		0x23, 0x01, // global.get 1
		0x42, 0x03, // i64.const 3
		0x7d,       // i64.sub
		0x24, 0x01, // global.set 1
		0x23, 0x01, // global.get 1
		0x42, 0x00, // i64.const 0
		0x53,       // i64.lt_s
		0x04, 0x40, // if (empty)
		0x00, // unreachable
		0x0b, // end
	}, meter(1, 3))
}

func TestInstrumentInsertsMissingSections(t *testing.T) {
	tests := []struct {
		name string
		bin  []byte
	}{
		{"empty module", rawModule()},
		{"functions only", rawModule(
			sec(secType, vec([]byte{0x60, 0, 0})),
			sec(secFunction, vec(u32(0))),
			sec(secCode, vec(funcBody([]byte{opNop, opEnd}))),
		)},
		{"custom sections everywhere", rawModule(
			sec(secCustom, str("a"), []byte{1, 2, 3}),
			sec(secType, vec([]byte{0x60, 0, 0})),
			sec(secCustom, str("b")),
			sec(secFunction, vec(u32(0))),
			sec(secCustom, str("c")),
			sec(secCode, vec(funcBody([]byte{opEnd}))),
			sec(secCustom, str("d"), []byte{4}),
		)},
		{"start section without globals", rawModule(
			sec(secType, vec([]byte{0x60, 0, 0})),
			sec(secFunction, vec(u32(0))),
			sec(secStart, u32(0)),
			sec(secCode, vec(funcBody([]byte{opEnd}))),
		)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := mustInstrument(t, tc.bin)
			// wazero accepts the result and the counter is there.
			r := newRuntime(t, wazero.NewRuntimeConfigInterpreter())
			mod := instantiate(t, r, out)
			require.NoError(t, Set(mod, 7))
			left, err := Remaining(mod)
			require.NoError(t, err)
			assert.Equal(t, int64(7), left)

			// Every original section except code is carried over byte for
			// byte and in order.
			in, err := splitSections(tc.bin)
			require.NoError(t, err)
			res, err := splitSections(out)
			require.NoError(t, err)
			var kept [][]byte
			for _, s := range res {
				if s.id != secGlobal && s.id != secExport && s.id != secCode {
					kept = append(kept, s.raw)
				}
			}
			var orig [][]byte
			for _, s := range in {
				if s.id != secCode {
					orig = append(orig, s.raw)
				}
			}
			assert.Equal(t, orig, kept)
		})
	}
}

func TestInstrumentTwiceFails(t *testing.T) {
	out := mustInstrument(t, loopModule())
	_, err := Instrument(out)
	require.ErrorIs(t, err, ErrMalformed)
	assert.ErrorContains(t, err, "already exports")
}

// featuresModule exercises the instruction decoder: sign extension,
// saturating truncation, bulk memory (with a data count section and passive
// segments), reference types and table instructions, typed select, SIMD
// (including a two-byte opcode), multi-value block types, br_table,
// call_indirect, tail calls and memory.size/grow. features() returns 149.
func featuresModule() []byte {
	fd := func(b ...byte) []byte { return append([]byte{opPrefixSIMD}, b...) }
	fc := func(b ...byte) []byte { return append([]byte{opPrefixMisc}, b...) }
	v128 := func(a, b, c, d byte) []byte {
		return cat(fd(0x0c), []byte{a, 0, 0, 0, b, 0, 0, 0, c, 0, 0, 0, d, 0, 0, 0})
	}
	lanes := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	f0 := cat(
		// sign extension and saturating truncation
		i32c(0x80), []byte{0xc0 /* i32.extend8_s */, opLocalSet, 0},
		[]byte{opF32Const, 0xf9, 0x02, 0x15, 0x50 /* 1e10 */}, fc(0x00), []byte{opDrop},
		// bulk memory
		i32c(100), i32c(0), i32c(4), fc(0x08, 1, 0), // memory.init 1
		fc(0x09, 1),                                   // data.drop 1
		i32c(200), i32c(100), i32c(4), fc(0x0a, 0, 0), // memory.copy
		i32c(300), i32c(7), i32c(4), fc(0x0b, 0), // memory.fill
		// reference types and tables
		i32c(1), []byte{opRefFunc, 3, opTableSet, 0},
		i32c(1), []byte{opTableGet, 0, opRefIsNull, opDrop},
		[]byte{opRefNull, 0x70}, i32c(1), fc(0x0f, 0), []byte{opDrop}, // table.grow
		fc(0x10, 0), []byte{opDrop}, // table.size
		i32c(0), []byte{opRefNull, 0x70}, i32c(0), fc(0x11, 0), // table.fill
		i32c(1), i32c(0), i32c(1), fc(0x0c, 1, 0), // table.init 1 0
		fc(0x0d, 1),                               // elem.drop 1
		i32c(0), i32c(0), i32c(0), fc(0x0e, 0, 0), // table.copy
		[]byte{opRefNull, 0x70, opRefFunc, 3}, i32c(1), []byte{opSelectT, 1, 0x70, opDrop},
		// SIMD
		v128(1, 2, 3, 4), v128(5, 6, 7, 8), fd(0x0d), lanes, []byte{opLocalSet, 1},
		[]byte{opLocalGet, 1}, fd(0x1b, 2), []byte{opLocalSet, 0}, // i32x4.extract_lane 2 = 3
		i32c(400), []byte{opLocalGet, 1}, fd(0x0b, 4, 0), // v128.store
		i32c(400), fd(0x00, 4, 0), fd(0x80, 0x01), []byte{opLocalSet, 1}, // v128.load, i16x8.abs
		i32c(400), []byte{opLocalGet, 1}, fd(0x56, 2, 0, 1), []byte{opLocalSet, 1}, // v128.load32_lane
		[]byte{opLocalGet, 1}, fd(0x53), []byte{opDrop}, // v128.any_true
		// multi-value block type (type 3: [i32 i32] -> [i32]) and if/else
		i32c(2), i32c(3), []byte{opBlock, 3, opI32Add, opEnd}, // 5
		[]byte{opIf, 0x7f}, i32c(10), []byte{opElse}, i32c(20), []byte{opEnd}, // 10
		// br_table
		[]byte{opBlock, blockTypeEmpty, opBlock, blockTypeEmpty}, i32c(1),
		[]byte{opBrTable, 2, 0, 1, 0, opEnd, opEnd},
		// call_indirect (type 1) through table slot 0 = f2, then a tail call
		i32c(0), []byte{opCallIndirect, 1, 0}, // 11
		[]byte{opCall, 1}, // 12
		// read back memory written above
		i32c(203), []byte{0x2d, 0, 0, opI32Add}, // + 'z'
		i32c(300), []byte{0x2d, 0, 0, opI32Add}, // + 7
		[]byte{opLocalGet, 0, opI32Add}, // + 3
		i64c(-1), []byte{opI64Extend32S, opDrop},
		// a loop
		[]byte{opLoop, blockTypeEmpty, opGlobalGet, 0}, i32c(1), []byte{opI32Add, opGlobalSet, 0, opGlobalGet, 0},
		i32c(3), []byte{0x48, opBrIf, 0, opEnd},
		[]byte{opGlobalGet, 0, opI32Add},           // + 3
		[]byte{opMemorySize, 0, opI32Add},          // + 1
		i32c(0), []byte{opMemoryGrow, 0, opI32Add}, // + 1
		[]byte{opBlock, blockTypeEmpty, opBr, 0, opUnreachable, opEnd},
		[]byte{opEnd},
	)
	f0Entry := entry(cat(vec([]byte{1, 0x7f}, []byte{1, 0x7b}), f0))
	return rawModule(
		sec(secType, vec(
			[]byte{0x60, 0, 1, 0x7f},             // 0: [] -> [i32]
			[]byte{0x60, 1, 0x7f, 1, 0x7f},       // 1: [i32] -> [i32]
			[]byte{0x60, 0, 0},                   // 2: [] -> []
			[]byte{0x60, 2, 0x7f, 0x7f, 1, 0x7f}, // 3: [i32 i32] -> [i32]
		)),
		sec(secFunction, vec(u32(0), u32(1), u32(1), u32(2))),
		sec(secTable, vec([]byte{0x70, 0, 2})),
		sec(secMemory, vec([]byte{0, 1})),
		sec(secGlobal, vec(cat([]byte{0x7f, 1}, i32c(0), []byte{opEnd}))),
		sec(secExport, vec(cat(str("features"), []byte{kindFunc, 0}))),
		sec(secElement, vec(
			cat([]byte{0}, i32c(0), []byte{opEnd}, vec(u32(2))), // active: table[0] = f2
			cat([]byte{1, 0}, vec(u32(3))),                      // passive: [f3]
		)),
		sec(secDataCount, u32(2)),
		sec(secCode, vec(
			f0Entry,
			funcBody([]byte{opLocalGet, 0, opReturnCall, 2, opEnd}),           // f1: tail call f2
			funcBody([]byte{opLocalGet, 0}, i32c(1), []byte{opI32Add, opEnd}), // f2: x+1
			funcBody([]byte{opEnd}), // f3
		)),
		sec(secData, vec(
			cat([]byte{0}, i32c(0), []byte{opEnd}, str("abcd")),
			cat([]byte{1}, str("wxyz")),
		)),
	)
}

func TestFeaturesModule(t *testing.T) {
	orig := featuresModule()
	bin := mustInstrument(t, orig)
	ctx := context.Background()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			r := newRuntime(t, e.cfg())
			plain := instantiate(t, r, orig)
			want, err := plain.ExportedFunction("features").Call(ctx)
			require.NoError(t, err)
			require.Equal(t, uint64(149), want[0])

			mod := instantiate(t, r, bin)
			require.NoError(t, Set(mod, 1_000_000))
			got, err := mod.ExportedFunction("features").Call(ctx)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			left, err := Remaining(mod)
			require.NoError(t, err)
			assert.Less(t, left, int64(1_000_000))
			assert.Positive(t, left)
		})
	}
}

// ehModule exports f() -> i32: block (result i32) try_table (result i32)
// (catch 0 0) i32.const 42 throw 0 end end. The catch delivers 42 to the
// block.
func ehModule() []byte {
	return rawModule(
		sec(secType, vec([]byte{0x60, 0, 1, 0x7f}, []byte{0x60, 1, 0x7f, 0})),
		sec(secFunction, vec(u32(0))),
		sec(secTag, vec([]byte{0, 1})),
		sec(secExport, vec(cat(str("f"), []byte{kindFunc, 0}))),
		sec(secCode, vec(funcBody(
			[]byte{opBlock, 0x7f, opTryTable, 0x7f, 1, 0x00, 0, 0},
			i32c(42), []byte{opThrow, 0, opEnd, opEnd, opEnd},
		))),
	)
}

func TestExceptionHandlingModule(t *testing.T) {
	orig := ehModule()
	bin := mustInstrument(t, orig)
	ctx := context.Background()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			r := newRuntime(t, e.cfg())
			plain := instantiate(t, r, orig)
			want, err := plain.ExportedFunction("f").Call(ctx)
			require.NoError(t, err)
			require.Equal(t, uint64(42), want[0])

			mod := instantiate(t, r, bin)
			require.NoError(t, Set(mod, 100))
			got, err := mod.ExportedFunction("f").Call(ctx)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			left, err := Remaining(mod)
			require.NoError(t, err)
			// Entry: block = 1. Nothing else is metered.
			assert.Equal(t, int64(99), left)
		})
	}
}

// entry encodes a code section entry from its content (locals and code).
func entry(content []byte) []byte { return cat(u32(uint32(len(content))), content) }

func TestInstrumentRejects(t *testing.T) {
	valid := func(code ...[]byte) []byte {
		return rawModule(
			sec(secType, vec([]byte{0x60, 0, 0})),
			sec(secFunction, vec(u32(0))),
			sec(secMemory, vec([]byte{0, 1})),
			sec(secGlobal, vec(cat([]byte{0x7f, 1}, i32c(0), []byte{opEnd}))),
			sec(secCode, vec(funcBody(code...))),
		)
	}
	tests := []struct {
		name    string
		bin     []byte
		kind    error
		message string
	}{
		{"nil", nil, ErrMalformed, "bad magic"},
		{"bad magic", []byte("\x00asn\x01\x00\x00\x00"), ErrMalformed, "bad magic"},
		{"bad version", []byte("\x00asm\x02\x00\x00\x00"), ErrMalformed, "unknown binary version"},
		{"component", []byte("\x00asm\x0d\x00\x01\x00"), ErrUnsupported, "components"},
		{"truncated section size", cat(wasmMagic, wasmVersion, []byte{secType, 0x80}), ErrMalformed, "truncated LEB128"},
		{"section larger than input", cat(wasmMagic, wasmVersion, []byte{secType, 5, 0}), ErrMalformed, "exceeds the remaining"},
		{"unknown section", rawModule(sec(14)), ErrMalformed, "unknown section id 14"},
		{"sections out of order", rawModule(sec(secFunction, vec()), sec(secType, vec())), ErrMalformed, "out of order"},
		{"duplicate section", rawModule(sec(secType, vec()), sec(secType, vec())), ErrMalformed, "duplicated"},
		{"trailing bytes in section", rawModule(sec(secImport, vec(), []byte{0})), ErrMalformed, "unexpected bytes"},
		{"functions without code", rawModule(
			sec(secType, vec([]byte{0x60, 0, 0})), sec(secFunction, vec(u32(0)))), ErrMalformed, "no code section"},
		{"code count mismatch", rawModule(
			sec(secType, vec([]byte{0x60, 0, 0})), sec(secFunction, vec(u32(0))),
			sec(secCode, vec(funcBody([]byte{opEnd}), funcBody([]byte{opEnd})))), ErrMalformed, "2 function bodies for 1"},
		{"empty body", rawModule(
			sec(secType, vec([]byte{0x60, 0, 0})), sec(secFunction, vec(u32(0))),
			sec(secCode, vec([]byte{0}))), ErrMalformed, "local declaration count"},
		{"body without end", valid([]byte{opNop}), ErrMalformed, "not terminated by end"},
		{"unclosed block", valid([]byte{opBlock, blockTypeEmpty, opEnd}), ErrMalformed, "not terminated by end"},
		{"bytes after end", valid([]byte{opEnd, opNop}), ErrMalformed, "after the end of the function"},
		{"else outside if", valid([]byte{opBlock, blockTypeEmpty, opElse, opEnd, opEnd}), ErrMalformed, "else outside"},
		{"double else", valid(i32c(0), []byte{opIf, blockTypeEmpty, opElse, opElse, opEnd, opEnd}), ErrMalformed, "else outside"},
		{"unknown opcode", valid([]byte{0x16, opEnd}), ErrMalformed, "unknown opcode 0x16"},
		{"legacy exception handling", valid([]byte{0x06, blockTypeEmpty, opEnd, opEnd}), ErrUnsupported, "legacy exception"},
		{"gc prefix", valid([]byte{opPrefixGC, 0, opEnd}), ErrUnsupported, "garbage collection"},
		{"invalid block type", valid([]byte{opBlock, 0x50, opEnd, opEnd}), ErrMalformed, "invalid block type"},
		{"overlong i32.const", valid([]byte{opI32Const, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, opDrop, opEnd}), ErrMalformed, "too long"},
		{"overflowing i32.const", valid([]byte{opI32Const, 0x80, 0x80, 0x80, 0x80, 0x10, opDrop, opEnd}), ErrMalformed, "overflows"},
		{"overflowing local index", valid([]byte{opLocalGet, 0xff, 0xff, 0xff, 0xff, 0x1f, opDrop, opEnd}), ErrMalformed, "overflows"},
		{"truncated immediate", valid([]byte{opI64Const, 0x80}), ErrMalformed, "truncated"},
		{"truncated f64.const", valid([]byte{opF64Const, 0, 0, 0}), ErrMalformed, "unexpected end"},
		{"huge br_table", valid([]byte{opBrTable, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, opEnd}), ErrMalformed, "br_table label count"},
		{"global.get of the reserved index", valid([]byte{opGlobalGet, 1, opDrop, opEnd}), ErrMalformed, "global index 1 out of range"},
		{"global.set of the reserved index", valid(i64c(1<<40), []byte{opGlobalSet, 1, opEnd}), ErrMalformed, "global index 1 out of range"},
		{"initializer naming the reserved index", rawModule(
			sec(secGlobal, vec(cat([]byte{0x7e, 1, opGlobalGet, 1, opEnd})))), ErrMalformed, "global index 1 out of range"},
		{"export of the reserved index", rawModule(
			sec(secExport, vec(cat(str("x"), []byte{kindGlobal, 0})))), ErrMalformed, "global index 0 out of range"},
		{"export named like the counter", rawModule(
			sec(secType, vec([]byte{0x60, 0, 0})), sec(secFunction, vec(u32(0))),
			sec(secExport, vec(cat(str(GlobalName), []byte{kindFunc, 0}))),
			sec(secCode, vec(funcBody([]byte{opEnd})))), ErrMalformed, "already exports"},
		{"memory index in memory.size", valid([]byte{opMemorySize, 1, opDrop, opEnd}), ErrUnsupported, "multiple memories"},
		{"multi-memory memarg", valid(i32c(0), []byte{0x28, 0x42, 0, 0, opDrop, opEnd}), ErrUnsupported, "multiple memories"},
		{"memarg alignment too large", valid(i32c(0), []byte{0x28, 32, 0, opDrop, opEnd}), ErrMalformed, "alignment"},
		{"memory64", rawModule(sec(secImport, vec(cat(str("m"), str("m"), []byte{kindMemory, 4, 1})))), ErrUnsupported, "64-bit"},
		{"non-minimal SIMD opcode", valid([]byte{opPrefixSIMD, 0x8c, 0x00}, make([]byte, 16), []byte{opDrop, opEnd}), ErrMalformed, "0xfd sub-opcode"},
		{"unknown SIMD opcode", valid([]byte{opPrefixSIMD, 0x9a, 0x01, opEnd}), ErrMalformed, "unknown 0xfd"},
		{"unknown 0xfc opcode", valid([]byte{opPrefixMisc, 18, opEnd}), ErrMalformed, "unknown 0xfc"},
		{"unknown atomic opcode", valid([]byte{opPrefixAtomic, 0x04, opEnd}), ErrMalformed, "unknown 0xfe"},
		{"typed select with two types", valid([]byte{opSelectT, 2, 0x7f, 0x7f, opEnd}), ErrMalformed, "exactly one type"},
		{"invalid local type", rawModule(
			sec(secType, vec([]byte{0x60, 0, 0})), sec(secFunction, vec(u32(0))),
			sec(secCode, vec(entry([]byte{1, 1, 0x40, opEnd})))), ErrMalformed, "invalid value type"},
		{"too many locals", rawModule(
			sec(secType, vec([]byte{0x60, 0, 0})), sec(secFunction, vec(u32(0))),
			sec(secCode, vec(entry(cat([]byte{2}, u32(50_000), []byte{0x7f}, u32(1), []byte{0x7e, opEnd}))))), ErrLimit, "more than 50000 locals"},
		{"two billion locals", rawModule(
			sec(secType, vec([]byte{0x60, 0, 0})), sec(secFunction, vec(u32(0))),
			sec(secCode, vec(entry(cat([]byte{1}, u32(0x7fffffff), []byte{0x7e, opEnd}))))), ErrLimit, "more than 50000 locals"},
		// Declared sizes the runtime would allocate before reading.
		{"huge import count", rawModule(sec(secImport, u32(0x7fffffff), []byte{0})), ErrMalformed, "import count 2147483647 exceeds"},
		{"huge type count", rawModule(sec(secType, u32(0xffffffff))), ErrMalformed, "type count 4294967295 exceeds"},
		{"huge parameter count", rawModule(sec(secType, vec(cat([]byte{0x60}, u32(1<<30), []byte{0x7f})))), ErrMalformed, "parameter count"},
		{"huge table count", rawModule(sec(secTable, u32(1<<20), []byte{0x70, 0, 0})), ErrMalformed, "table count"},
		{"huge element count", rawModule(sec(secElement, u32(0x30adad))), ErrMalformed, "element segment count"},
		{"huge element initializer count", rawModule(sec(secElement, vec(cat([]byte{1, 0}, u32(1<<31))))), ErrMalformed, "initializer count"},
		{"huge data length", rawModule(sec(secData, vec(cat([]byte{1}, u32(0xffffffff))))), ErrMalformed, "data byte count"},
		{"huge function name count", rawModule(sec(secCustom, str("name"), []byte{1, 5}, u32(0xffffffff))), ErrMalformed, "name map count"},
		{"huge local name count", rawModule(sec(secCustom, str("name"), []byte{2, 8, 1, 0}, u32(0xffffffff))), ErrMalformed, "name map count"},
		{"custom section name too long", rawModule(sec(secCustom, u32(0xffffffff))), ErrMalformed, "custom section name"},
		{"gc type", rawModule(sec(secType, vec([]byte{0x5f, 0, 0}))), ErrUnsupported, "garbage collection"},
		{"element offset naming the reserved index", rawModule(
			sec(secTable, vec([]byte{0x70, 0, 1})),
			sec(secElement, vec(cat([]byte{0, opGlobalGet, 0, opEnd}, vec())))), ErrMalformed, "global index 0 out of range"},
		{"data offset naming the reserved index", rawModule(
			sec(secMemory, vec([]byte{0, 1})),
			sec(secData, vec(cat([]byte{0, opGlobalGet, 0, opEnd}, str("x"))))), ErrMalformed, "global index 0 out of range"},
		{"data for a second memory", rawModule(
			sec(secMemory, vec([]byte{0, 1})),
			sec(secData, vec(cat([]byte{2, 1}, i32c(0), []byte{opEnd}, str("x"))))), ErrUnsupported, "multiple memories"},
		{"invalid import kind", rawModule(sec(secImport, vec(cat(str("m"), str("n"), []byte{5})))), ErrMalformed, "invalid import kind"},
		{"invalid global mutability", rawModule(sec(secGlobal, vec(cat([]byte{0x7f, 2}, i32c(0), []byte{opEnd})))), ErrMalformed, "mutability"},
		{"non-constant initializer", rawModule(sec(secGlobal, vec(cat([]byte{0x7f, 0, opNop}, i32c(0), []byte{opEnd})))), ErrMalformed, "constant expression"},
		{"name longer than section", rawModule(sec(secExport, vec(cat(u32(50), []byte("xyz"))))), ErrMalformed, "name length"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Instrument(tc.bin)
			require.Error(t, err)
			assert.Nil(t, out)
			assert.ErrorIs(t, err, tc.kind)
			assert.True(t, strings.HasPrefix(err.Error(), "fuel: "), err.Error())
			assert.Contains(t, err.Error(), tc.message)
		})
	}

	// The base module of the table is itself accepted, so each case fails
	// for the reason it names.
	_, err := Instrument(valid([]byte{opEnd}))
	require.NoError(t, err)
}
