package fuel

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScanImmediates decodes one instruction of every immediate shape
// followed by the function's end. The immediates are built from 0x0b (end)
// and 0x8b (a LEB128 byte with a continuation bit) so that skipping too few
// bytes ends the function early and skipping too many swallows its end; both
// are errors, so only an exact decoder passes.
func TestScanImmediates(t *testing.T) {
	e16 := bytes.Repeat([]byte{0x0b}, 16)
	tests := []struct {
		name    string
		code    []byte // one instruction; the final end is appended
		control bool   // the instruction ends the entry segment itself
	}{
		{"nop", []byte{opNop}, false},
		{"i32.add", []byte{opI32Add}, false},
		{"i32.extend8_s", []byte{0xc0}, false},
		{"i32.const two-byte LEB", []byte{opI32Const, 0x8b, 0x0b}, false},
		{"i32.const five-byte LEB", []byte{opI32Const, 0x8b, 0x8b, 0x8b, 0x8b, 0x07}, false},
		{"i64.const ten-byte LEB", []byte{opI64Const, 0x8b, 0x8b, 0x8b, 0x8b, 0x8b, 0x8b, 0x8b, 0x8b, 0x8b, 0x00}, false},
		{"f32.const", []byte{opF32Const, 0x0b, 0x0b, 0x0b, 0x0b}, false},
		{"f64.const", cat([]byte{opF64Const}, e16[:8]), false},
		{"local.get", []byte{opLocalGet, 0x8b, 0x0b}, false},
		{"local.set", []byte{opLocalSet, 0x8b, 0x0b}, false},
		{"local.tee", []byte{opLocalTee, 0x8b, 0x0b}, false},
		{"global.get", []byte{opGlobalGet, 0x80, 0x00}, false},
		{"global.set", []byte{opGlobalSet, 0x00}, false},
		{"table.get", []byte{opTableGet, 0x8b, 0x0b}, false},
		{"table.set", []byte{opTableSet, 0x8b, 0x0b}, false},
		{"i32.load memarg", []byte{0x28, 0x8b, 0x00, 0x8b, 0x0b}, false},
		{"i64.store32 memarg", []byte{0x3e, 0x02, 0x8b, 0x8b, 0x0b}, false},
		{"memory.size", []byte{opMemorySize, 0x00}, false},
		{"memory.grow", []byte{opMemoryGrow, 0x00}, false},
		{"ref.null func", []byte{opRefNull, 0x70}, false},
		{"ref.null type index", []byte{opRefNull, 0x8b, 0x0b}, false},
		{"ref.is_null", []byte{opRefIsNull}, false},
		{"ref.func", []byte{opRefFunc, 0x8b, 0x0b}, false},
		{"ref.as_non_null", []byte{opRefAsNonNull}, false},
		{"select", []byte{opSelect}, false},
		{"typed select", []byte{opSelectT, 0x01, 0x7f}, false},
		{"typed select ref", []byte{opSelectT, 0x01, 0x63, 0x8b, 0x0b}, false},
		{"trunc_sat", []byte{opPrefixMisc, 0x07}, false},
		{"0xfc sub-opcode as two-byte LEB", []byte{opPrefixMisc, 0x8b, 0x00, 0x00}, false}, // memory.fill
		{"memory.init", []byte{opPrefixMisc, 0x08, 0x8b, 0x0b, 0x00}, false},
		{"data.drop", []byte{opPrefixMisc, 0x09, 0x8b, 0x0b}, false},
		{"memory.copy", []byte{opPrefixMisc, 0x0a, 0x00, 0x00}, false},
		{"memory.fill", []byte{opPrefixMisc, 0x0b, 0x00}, false},
		{"table.init", []byte{opPrefixMisc, 0x0c, 0x8b, 0x0b, 0x8b, 0x0b}, false},
		{"elem.drop", []byte{opPrefixMisc, 0x0d, 0x8b, 0x0b}, false},
		{"table.copy", []byte{opPrefixMisc, 0x0e, 0x8b, 0x0b, 0x8b, 0x0b}, false},
		{"table.grow", []byte{opPrefixMisc, 0x0f, 0x8b, 0x0b}, false},
		{"table.size", []byte{opPrefixMisc, 0x10, 0x8b, 0x0b}, false},
		{"table.fill", []byte{opPrefixMisc, 0x11, 0x8b, 0x0b}, false},
		{"v128.load", []byte{opPrefixSIMD, 0x00, 0x8b, 0x00, 0x8b, 0x0b}, false},
		{"v128.store", []byte{opPrefixSIMD, 0x0b, 0x04, 0x8b, 0x0b}, false},
		{"v128.const", cat([]byte{opPrefixSIMD, 0x0c}, e16), false},
		{"i8x16.shuffle", cat([]byte{opPrefixSIMD, 0x0d}, e16), false},
		{"i8x16.extract_lane_s", []byte{opPrefixSIMD, 0x15, 0x0b}, false},
		{"f64x2.replace_lane", []byte{opPrefixSIMD, 0x22, 0x01}, false},
		{"v128.any_true", []byte{opPrefixSIMD, 0x53}, false},
		{"v128.load8_lane", []byte{opPrefixSIMD, 0x54, 0x8b, 0x00, 0x8b, 0x0b, 0x0b}, false},
		{"v128.store64_lane", []byte{opPrefixSIMD, 0x5b, 0x03, 0x0b, 0x01}, false},
		{"v128.load32_zero", []byte{opPrefixSIMD, 0x5c, 0x02, 0x8b, 0x0b}, false},
		{"i16x8.abs two-byte opcode", []byte{opPrefixSIMD, 0x80, 0x01}, false},
		{"f64x2.convert_low_i32x4_u", []byte{opPrefixSIMD, 0xff, 0x01}, false},
		{"i32.atomic.load", []byte{opPrefixAtomic, 0x10, 0x02, 0x8b, 0x0b}, false},
		{"memory.atomic.notify", []byte{opPrefixAtomic, 0x00, 0x02, 0x0b}, false},
		{"atomic.fence", []byte{opPrefixAtomic, 0x03, 0x00}, false},
		{"unreachable", []byte{opUnreachable}, true},
		{"return", []byte{opReturn}, true},
		{"br", []byte{opBr, 0x8b, 0x0b}, true},
		{"br_if", []byte{opBrIf, 0x8b, 0x0b}, true},
		{"br_table", []byte{opBrTable, 0x02, 0x8b, 0x0b, 0x0b, 0x8b, 0x0b}, true},
		{"call", []byte{opCall, 0x8b, 0x0b}, true},
		{"call_indirect", []byte{opCallIndirect, 0x8b, 0x0b, 0x8b, 0x0b}, true},
		{"return_call", []byte{opReturnCall, 0x8b, 0x0b}, true},
		{"return_call_indirect", []byte{opReturnCallI, 0x8b, 0x0b, 0x00}, true},
		{"call_ref", []byte{opCallRef, 0x8b, 0x0b}, true},
		{"return_call_ref", []byte{opReturnCallR, 0x8b, 0x0b}, true},
		{"br_on_null", []byte{opBrOnNull, 0x8b, 0x0b}, true},
		{"br_on_non_null", []byte{opBrOnNonNull, 0x8b, 0x0b}, true},
		{"throw", []byte{opThrow, 0x8b, 0x0b}, true},
		{"throw_ref", []byte{opThrowRef}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testScanner()
			require.NoError(t, s.scan(cat(tc.code, []byte{opEnd}), 0))
			want := int64(2) // the instruction and the end
			if tc.control {
				want = 1
			}
			assert.Equal(t, []meterPoint{{off: 0, cost: want}}, s.points)
		})
	}
}

// TestScanBlocks checks block types, block structure and where checks go.
func TestScanBlocks(t *testing.T) {
	tests := []struct {
		name   string
		code   []byte
		points []meterPoint
		region []meterPoint
	}{
		{
			name:   "block with a type index",
			code:   []byte{opBlock, 0x8b, 0x0b, opNop, opEnd, opEnd},
			points: []meterPoint{{0, 1}},
			region: []meterPoint{{0, 4}},
		},
		{
			name:   "loop with a value type",
			code:   []byte{opLoop, 0x7f, opI32Const, 0x0b, opEnd, opEnd},
			points: []meterPoint{{0, 1}, {2, 2}},
			region: []meterPoint{{0, 2}, {2, 2}},
		},
		{
			name:   "loop with a nullable reference block type",
			code:   []byte{opLoop, 0x63, 0x8b, 0x0b, opRefNull, 0x70, opEnd, opEnd},
			points: []meterPoint{{0, 1}, {4, 2}},
			region: []meterPoint{{0, 2}, {4, 2}},
		},
		{
			name: "if else",
			code: []byte{opI32Const, 0, opIf, 0x40, opNop, opElse, opLoop, 0x40, opEnd, opEnd, opEnd},
			// The loop is inside the else arm; its body is just its end.
			points: []meterPoint{{0, 2}, {8, 1}},
			region: []meterPoint{{0, 7}, {8, 1}},
		},
		{
			name: "try_table with all catch kinds",
			code: []byte{opTryTable, 0x40, 0x04,
				0x00, 0x8b, 0x0b, 0x0b, // catch tag label
				0x01, 0x0b, 0x8b, 0x0b, // catch_ref tag label
				0x02, 0x0b, // catch_all label
				0x03, 0x8b, 0x0b, // catch_all_ref label
				opEnd, opEnd},
			points: []meterPoint{{0, 1}},
			region: []meterPoint{{0, 3}},
		},
		{
			name:   "nested loops",
			code:   []byte{opLoop, 0x40, opNop, opLoop, 0x40, opNop, opNop, opEnd, opNop, opEnd, opEnd},
			points: []meterPoint{{0, 1}, {2, 2}, {5, 3}},
			region: []meterPoint{{0, 2}, {2, 4}, {5, 3}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testScanner()
			require.NoError(t, s.scan(tc.code, 0))
			assert.Equal(t, tc.points, s.points, "CostToNextControl")

			s.model = CostRegion
			require.NoError(t, s.scan(tc.code, 0))
			assert.Equal(t, tc.region, s.points, "CostRegion")

			// Instrumenting inserts one check per point, in order.
			out := s.instrumentBody(nil, tc.code, 1, &bulkCode{})
			var want []byte
			last := 0
			for _, pt := range tc.region {
				want = append(want, tc.code[last:pt.off]...)
				want = append(want, meter(1, pt.cost)...)
				last = pt.off
			}
			want = append(want, tc.code[last:]...)
			assert.Equal(t, want, out)
		})
	}
}

// testScanner is a scanner for a module with one global and default limits.
func testScanner() bodyScanner {
	return bodyScanner{numGlobals: 1, maxDepth: DefaultMaxDepth, maxLabels: DefaultMaxBrTableLabels,
		maxNesting: DefaultMaxNestingWork, maxModLabels: DefaultMaxModuleBrTableLabels}
}
