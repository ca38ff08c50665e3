package fuel

import "fmt"

// Opcodes the instrumenter emits or treats specially. The names follow the
// WebAssembly text format.
const (
	opUnreachable  = 0x00
	opNop          = 0x01
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opElse         = 0x05
	opThrow        = 0x08
	opThrowRef     = 0x0a
	opEnd          = 0x0b
	opBr           = 0x0c
	opBrIf         = 0x0d
	opBrTable      = 0x0e
	opReturn       = 0x0f
	opCall         = 0x10
	opCallIndirect = 0x11
	opReturnCall   = 0x12
	opReturnCallI  = 0x13
	opCallRef      = 0x14
	opReturnCallR  = 0x15
	opDrop         = 0x1a
	opSelect       = 0x1b
	opSelectT      = 0x1c
	opTryTable     = 0x1f
	opLocalGet     = 0x20
	opLocalSet     = 0x21
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opTableGet     = 0x25
	opTableSet     = 0x26
	opI32Load      = 0x28
	opI64Store32   = 0x3e
	opMemorySize   = 0x3f
	opMemoryGrow   = 0x40
	opI32Const     = 0x41
	opI64Const     = 0x42
	opF32Const     = 0x43
	opF64Const     = 0x44
	opI32Eqz       = 0x45
	opI64LtS       = 0x53
	opI32Add       = 0x6a
	opI32Sub       = 0x6b
	opI32Mul       = 0x6c
	opI64Add       = 0x7c
	opI64Sub       = 0x7d
	opI64Mul       = 0x7e
	opI64Extend32S = 0xc4
	opRefNull      = 0xd0
	opRefIsNull    = 0xd1
	opRefFunc      = 0xd2
	opRefAsNonNull = 0xd4
	opBrOnNull     = 0xd5
	opBrOnNonNull  = 0xd6
	opPrefixGC     = 0xfb
	opPrefixMisc   = 0xfc
	opPrefixSIMD   = 0xfd
	opPrefixAtomic = 0xfe

	blockTypeEmpty = 0x40
	valTypeI64     = 0x7e
	valTypeI32     = 0x7f
)

// Heap and value type codes as decoded by readS33 (negative single-byte
// encodings).
const (
	heapFunc    = -0x10 // 0x70 funcref
	heapExtern  = -0x11 // 0x6f externref
	heapExn     = -0x17 // 0x69 exnref
	refNullable = -0x1d // 0x63 (ref null ht)
	refNonNull  = -0x1c // 0x64 (ref ht)
	blockEmpty  = -0x40 // 0x40
	valI32      = -0x01 // 0x7f
	valV128     = -0x05 // 0x7b
)

// meterPoint is a place in a function body where a fuel check is inserted.
type meterPoint struct {
	off  int   // offset in the instruction sequence; the check goes before it
	cost int64 // fuel charged by the check
}

// bodyScanner decodes function bodies instruction by instruction. It is
// reused across the bodies of one module to avoid allocations.
type bodyScanner struct {
	// numGlobals is the size of the original global index space. Index
	// numGlobals is the fuel counter, which guest code must not name.
	numGlobals uint32
	model      CostModel
	frames     []byte
	points     []meterPoint
	regions    []region
	bulk       []bulkPoint

	// limits (Limits.Depth, BrTableLabels, NestingWork, ModuleBrTableLabels)
	// and the figures seen over all bodies scanned: the deepest nesting and
	// largest br_table, and the module-wide sums
	maxDepth, maxLabels      int
	maxNesting, maxModLabels int64
	depth, labels            int
	nesting, modLabels       int64
}

// bulkKind tells what an instruction recorded as a bulkPoint does with its
// operands (see bulk.go).
type bulkKind byte

const (
	bulkMemory     bulkKind = iota + 1 // memory.fill, memory.copy, memory.init: n bytes
	bulkTable                          // table.fill, table.copy, table.init: n elements
	bulkTableGrow                      // table.grow: n elements more
	bulkMemoryGrow                     // memory.grow: n pages more
)

// bulkPoint is an instruction whose cost depends on an operand, at offset
// off of the instruction sequence; instrumentBody inserts code before it.
type bulkPoint struct {
	off  int
	kind bulkKind
}

// region is a metering region of the CostRegion model that is still open:
// the function body or a loop body, excluding nested loops.
type region struct {
	point int   // index in points of the region's check
	count int64 // instructions seen so far
}

// scan decodes the instruction sequence of one function body (what follows
// the local declarations, up to and including the final end), checks that
// its block structure is well nested and that it ends exactly at the end of
// code, and records the metering points in s.points, ordered by offset.
//
// A metering point is placed at the first instruction and right after each
// loop's block type. Its cost depends on s.model; see CostModel.
//
// base is the offset of code in the module, used in error messages.
func (s *bodyScanner) scan(code []byte, base int) error {
	s.frames = s.frames[:0]
	s.points = s.points[:0]
	s.regions = s.regions[:0]
	s.bulk = s.bulk[:0]
	byRegion := s.model == CostRegion
	// State of the CostToNextControl model: whether a segment is open,
	// where it starts and how many instructions it has so far.
	open := true
	segStart := 0
	var count int64
	if byRegion {
		s.openRegion(0)
	}
	p := 0
	for p < len(code) {
		start := p
		op := code[p]
		p++
		if byRegion {
			s.regions[len(s.regions)-1].count++
		} else if open {
			count++
		}
		if op >= opI32Eqz && op <= opI64Extend32S {
			continue // numeric instructions have no immediates
		}
		control, funcEnd, closed := false, false, byte(0)
		var err error
		switch op {
		case opUnreachable, opReturn, opThrowRef:
			control = true
		case opNop, opDrop, opSelect, opRefIsNull, opRefAsNonNull:
		case opBlock, opLoop, opIf:
			control = true
			p, err = skipBlockType(code, p)
			err = s.push(op, err)
		case opTryTable:
			control = true
			p, err = skipTryTable(code, p)
			err = s.push(op, err)
		case opElse:
			control = true
			if n := len(s.frames); n == 0 || s.frames[n-1] != opIf {
				err = malformedf("else outside of an if block")
			} else {
				s.frames[n-1] = opElse
			}
		case opEnd:
			control = true
			if len(s.frames) == 0 {
				funcEnd = true
			} else {
				closed = s.frames[len(s.frames)-1]
				s.frames = s.frames[:len(s.frames)-1]
			}
		case opBr, opBrIf, opThrow, opCall, opReturnCall, opCallRef, opReturnCallR, opBrOnNull, opBrOnNonNull:
			control = true
			p, err = skipU32(code, p)
		case opCallIndirect, opReturnCallI:
			control = true
			if p, err = skipU32(code, p); err == nil {
				p, err = skipU32(code, p)
			}
		case opBrTable:
			control = true
			var labels uint32
			p, labels, err = skipBrTable(code, p)
			if err == nil {
				s.modLabels += int64(labels)
				s.labels = max(s.labels, int(labels))
				switch {
				case labels > uint32(s.maxLabels):
					err = limitf("br_table with %d labels exceeds the limit of %d (Limits.BrTableLabels)", labels, s.maxLabels)
				case s.modLabels > s.maxModLabels:
					err = limitf("more than %d br_table labels in the module (Limits.ModuleBrTableLabels)", s.maxModLabels)
				}
			}
		case opSelectT:
			p, err = skipTypedSelect(code, p)
		case opLocalGet, opLocalSet, opLocalTee, opTableGet, opTableSet, opRefFunc:
			p, err = skipU32(code, p)
		case opGlobalGet, opGlobalSet:
			var idx uint32
			var n int
			idx, n, err = readU32(code[p:])
			p += n
			if err == nil && idx >= s.numGlobals {
				err = malformedf("global index %d out of range (the module has %d globals)", idx, s.numGlobals)
			}
		case opMemorySize:
			p, err = skipZeroByte(code, p, "memory index")
		case opMemoryGrow:
			p, err = skipZeroByte(code, p, "memory index")
			s.bulk = append(s.bulk, bulkPoint{off: start, kind: bulkMemoryGrow})
		case opI32Const:
			var n int
			_, n, err = readS32(code[p:])
			p += n
		case opI64Const:
			var n int
			_, n, err = readS64(code[p:])
			p += n
		case opF32Const:
			p, err = skipBytes(code, p, 4)
		case opF64Const:
			p, err = skipBytes(code, p, 8)
		case opRefNull:
			p, err = skipRefNullType(code, p)
		case opPrefixMisc:
			if sub, _, e := readU32(code[p:]); e == nil {
				if k := miscBulk(sub); k != 0 {
					s.bulk = append(s.bulk, bulkPoint{off: start, kind: k})
				}
			}
			p, err = skipMisc(code, p)
		case opPrefixSIMD:
			p, err = skipSIMD(code, p)
		case opPrefixAtomic:
			p, err = skipAtomic(code, p)
		case 0x06, 0x07, 0x09, 0x18, 0x19:
			err = unsupportedf("legacy exception handling opcode %#x", op)
		case opPrefixGC, 0xd3:
			err = unsupportedf("garbage collection opcode %#x", op)
		default:
			if op >= opI32Load && op <= opI64Store32 {
				p, err = skipMemArg(code, p)
			} else {
				err = malformedf("unknown opcode %#x", op)
			}
		}
		if err != nil {
			return fmt.Errorf("offset %#x: %w", base+start, err)
		}
		if byRegion {
			if op == opLoop {
				s.openRegion(p)
			} else if closed == opLoop || funcEnd {
				s.closeRegion()
			}
		} else if control {
			if open {
				s.points = append(s.points, meterPoint{off: segStart, cost: count})
				open = false
			}
			if op == opLoop {
				open = true
				segStart = p
				count = 0
			}
		}
		if funcEnd {
			if p != len(code) {
				return fmt.Errorf("offset %#x: %w", base+p, malformedf("%d bytes after the end of the function", len(code)-p))
			}
			return nil
		}
	}
	return malformedf("function body is not terminated by end")
}

// push opens a block, loop, if or try_table frame unless err is set or the
// nesting would exceed the depth limit.
func (s *bodyScanner) push(op byte, err error) error {
	if err != nil {
		return err
	}
	s.frames = append(s.frames, op)
	s.depth = max(s.depth, len(s.frames))
	s.nesting += int64(len(s.frames))
	switch {
	case len(s.frames) > s.maxDepth:
		return limitf("blocks nested more than %d deep (Limits.Depth)", s.maxDepth)
	case s.nesting > s.maxNesting:
		return limitf("the module's nesting work (the depth of every block, loop, if and try_table, summed) exceeds the limit of %d (Limits.NestingWork)", s.maxNesting)
	}
	return nil
}

// miscBulk classifies a 0xFC sub-opcode: the bulk memory and table
// instructions whose cost grows with an operand, or 0.
func miscBulk(sub uint32) bulkKind {
	switch sub {
	case 8, 10, 11: // memory.init, memory.copy, memory.fill
		return bulkMemory
	case 12, 14, 17: // table.init, table.copy, table.fill
		return bulkTable
	case 15: // table.grow
		return bulkTableGrow
	}
	return 0
}

// openRegion starts a CostRegion region whose check goes at offset off.
func (s *bodyScanner) openRegion(off int) {
	s.points = append(s.points, meterPoint{off: off})
	s.regions = append(s.regions, region{point: len(s.points) - 1})
}

// closeRegion ends the innermost CostRegion region and sets its cost.
func (s *bodyScanner) closeRegion() {
	r := s.regions[len(s.regions)-1]
	s.regions = s.regions[:len(s.regions)-1]
	s.points[r.point].cost = r.count
}

// appendMeter appends the fuel check for one metering point:
//
//	global.get G; i64.const cost; i64.sub; global.set G
//	global.get G; i64.const 0; i64.lt_s; if unreachable end
func appendMeter(dst []byte, g uint32, cost int64) []byte {
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, g)
	dst = append(dst, opI64Const)
	dst = appendS64(dst, cost)
	dst = append(dst, opI64Sub, opGlobalSet)
	dst = appendU32(dst, g)
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, g)
	return append(dst, opI64Const, 0, opI64LtS, opIf, blockTypeEmpty, opUnreachable, opEnd)
}

// instrumentBody appends to dst the instruction sequence code with the fuel
// checks recorded by the last scan inserted, and the code of bc before each
// bulk instruction. Where a check and a bulk instruction share an offset,
// the check comes first.
func (s *bodyScanner) instrumentBody(dst, code []byte, g uint32, bc *bulkCode) []byte {
	last, j := 0, 0
	for _, pt := range s.points {
		for ; j < len(s.bulk) && s.bulk[j].off < pt.off; j++ {
			dst = append(dst, code[last:s.bulk[j].off]...)
			dst = bc.appendBulk(dst, s.bulk[j].kind)
			last = s.bulk[j].off
		}
		dst = append(dst, code[last:pt.off]...)
		dst = appendMeter(dst, g, max(pt.cost, 1))
		last = pt.off
	}
	for ; j < len(s.bulk); j++ {
		dst = append(dst, code[last:s.bulk[j].off]...)
		dst = bc.appendBulk(dst, s.bulk[j].kind)
		last = s.bulk[j].off
	}
	return append(dst, code[last:]...)
}

func skipBytes(b []byte, p, n int) (int, error) {
	if len(b)-p < n {
		return 0, malformedf("unexpected end of input reading %d bytes", n)
	}
	return p + n, nil
}

func skipU32(b []byte, p int) (int, error) {
	_, n, err := readU32(b[p:])
	return p + n, err
}

// skipZeroByte skips a reserved byte that must be 0x00 (for example the
// memory index of memory.size before multi-memory). The runtime reads it as
// a single byte too, so a LEB128 encoding is not accepted.
func skipZeroByte(b []byte, p int, what string) (int, error) {
	if p >= len(b) {
		return 0, malformedf("unexpected end of input reading %s", what)
	}
	if b[p] != 0 {
		return 0, unsupportedf("%s %#x is not the single byte 0x00 (multiple memories are not supported)", what, b[p])
	}
	return p + 1, nil
}

func skipMemArg(b []byte, p int) (int, error) {
	align, n, err := readU32(b[p:])
	if err != nil {
		return 0, fmt.Errorf("memarg alignment: %w", err)
	}
	if align&0x40 != 0 {
		return 0, unsupportedf("memarg with a memory index (multiple memories are not supported)")
	}
	if align >= 32 {
		return 0, malformedf("memarg alignment exponent %d too large", align)
	}
	p += n
	if _, n, err = readU32(b[p:]); err != nil {
		return 0, fmt.Errorf("memarg offset: %w", err)
	}
	return p + n, nil
}

// skipBlockType skips a block type: 0x40, a value type, (ref null? ht), or a
// non-negative s33 type index.
func skipBlockType(b []byte, p int) (int, error) {
	v, n, err := readS33(b[p:])
	if err != nil {
		return 0, fmt.Errorf("block type: %w", err)
	}
	p += n
	switch {
	case v >= 0, v == blockEmpty, v <= valI32 && v >= valV128, v == heapFunc, v == heapExtern, v == heapExn:
		return p, nil
	case v == refNullable, v == refNonNull:
		return skipHeapType(b, p)
	}
	return 0, malformedf("invalid block type %d", v)
}

func skipHeapType(b []byte, p int) (int, error) {
	v, n, err := readS33(b[p:])
	if err != nil {
		return 0, fmt.Errorf("heap type: %w", err)
	}
	if v >= 0 || v == heapFunc || v == heapExtern || v == heapExn {
		return p + n, nil
	}
	return 0, malformedf("invalid heap type %d", v)
}

// skipValType skips a value type: a single byte, or 0x63/0x64 followed by a
// heap type.
func skipValType(b []byte, p int) (int, error) {
	if p >= len(b) {
		return 0, malformedf("unexpected end of input reading a value type")
	}
	switch b[p] {
	case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69:
		return p + 1, nil
	case 0x63, 0x64:
		return skipHeapType(b, p+1)
	}
	return 0, malformedf("invalid value type %#x", b[p])
}

// skipRefNullType skips the immediate of ref.null: an abstract heap type
// byte, or a type index.
func skipRefNullType(b []byte, p int) (int, error) {
	if p >= len(b) {
		return 0, malformedf("unexpected end of input reading ref.null type")
	}
	switch b[p] {
	case 0x70, 0x6f, 0x69:
		return p + 1, nil
	}
	return skipU32(b, p)
}

// skipTypedSelect skips the immediate of select t*: exactly one value type.
// The runtime reads the count as a single byte, so only 0x01 is accepted.
func skipTypedSelect(b []byte, p int) (int, error) {
	if p >= len(b) {
		return 0, malformedf("unexpected end of input reading select types")
	}
	if b[p] != 1 {
		return 0, malformedf("typed select must have exactly one type (count byte %#x)", b[p])
	}
	return skipValType(b, p+1)
}

// skipBrTable skips the immediates of br_table and returns its label count
// (without the default).
func skipBrTable(b []byte, p int) (int, uint32, error) {
	count, n, err := readU32(b[p:])
	if err != nil {
		return 0, 0, fmt.Errorf("br_table label count: %w", err)
	}
	p += n
	if int64(count) >= int64(len(b)-p) {
		return 0, 0, malformedf("br_table label count %d exceeds the remaining body", count)
	}
	for i := uint32(0); i <= count; i++ { // count labels plus the default
		if p, err = skipU32(b, p); err != nil {
			return 0, 0, fmt.Errorf("br_table label: %w", err)
		}
	}
	return p, count, nil
}

func skipTryTable(b []byte, p int) (int, error) {
	p, err := skipBlockType(b, p)
	if err != nil {
		return 0, err
	}
	count, n, err := readU32(b[p:])
	if err != nil {
		return 0, fmt.Errorf("try_table catch count: %w", err)
	}
	p += n
	if int64(count) > int64(len(b)-p) {
		return 0, malformedf("try_table catch count %d exceeds the remaining body", count)
	}
	for i := uint32(0); i < count; i++ {
		if p >= len(b) {
			return 0, malformedf("unexpected end of input reading a catch clause")
		}
		kind := b[p]
		p++
		switch kind {
		case 0x00, 0x01: // catch / catch_ref: tag index, label
			if p, err = skipU32(b, p); err == nil {
				p, err = skipU32(b, p)
			}
		case 0x02, 0x03: // catch_all / catch_all_ref: label
			p, err = skipU32(b, p)
		default:
			err = malformedf("invalid catch clause kind %#x", kind)
		}
		if err != nil {
			return 0, err
		}
	}
	return p, nil
}

// skipMisc skips a 0xFC-prefixed instruction: saturating truncation, bulk
// memory and table instructions.
func skipMisc(b []byte, p int) (int, error) {
	sub, n, err := readU32(b[p:])
	if err != nil {
		return 0, fmt.Errorf("0xfc sub-opcode: %w", err)
	}
	p += n
	switch sub {
	case 0, 1, 2, 3, 4, 5, 6, 7: // i32/i64.trunc_sat_f32/f64_s/u
		return p, nil
	case 8: // memory.init data memory
		if p, err = skipU32(b, p); err != nil {
			return 0, err
		}
		return skipZeroByte(b, p, "memory index")
	case 9, 13, 15, 16, 17: // data.drop, elem.drop, table.grow, table.size, table.fill
		return skipU32(b, p)
	case 10: // memory.copy dst src
		if p, err = skipZeroByte(b, p, "memory index"); err != nil {
			return 0, err
		}
		return skipZeroByte(b, p, "memory index")
	case 11: // memory.fill
		return skipZeroByte(b, p, "memory index")
	case 12, 14: // table.init elem table, table.copy dst src
		if p, err = skipU32(b, p); err != nil {
			return 0, err
		}
		return skipU32(b, p)
	}
	return 0, malformedf("unknown 0xfc sub-opcode %d", sub)
}

// simdInvalid marks the unassigned opcodes of the 0xFD (SIMD) space.
var simdInvalid = func() (t [256]bool) {
	for _, op := range []byte{
		0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb,
		0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee,
	} {
		t[op] = true
	}
	return t
}()

// skipSIMD skips a 0xFD-prefixed instruction.
//
// The sub-opcode is a LEB128 u32 in the specification, but the runtime
// (wazero) reads it as one byte; for opcodes >= 0x80 it then decodes the
// LEB128 continuation byte 0x01 as a nop. To keep both views of instruction
// boundaries identical, only the minimal encodings are accepted: one byte
// below 0x80, or the byte followed by 0x01.
func skipSIMD(b []byte, p int) (int, error) {
	if p >= len(b) {
		return 0, malformedf("unexpected end of input reading a 0xfd sub-opcode")
	}
	sub := b[p]
	p++
	if sub >= 0x80 {
		if p >= len(b) || b[p] != 0x01 {
			return 0, malformedf("non-minimal or out-of-range 0xfd sub-opcode encoding")
		}
		p++
	}
	switch {
	case sub <= 0x0b, sub == 0x5c, sub == 0x5d: // loads, store, load_zero
		return skipMemArg(b, p)
	case sub == 0x0c, sub == 0x0d: // v128.const, i8x16.shuffle
		return skipBytes(b, p, 16)
	case sub >= 0x15 && sub <= 0x22: // extract/replace lane
		return skipBytes(b, p, 1)
	case sub >= 0x54 && sub <= 0x5b: // load/store lane
		p, err := skipMemArg(b, p)
		if err != nil {
			return 0, err
		}
		return skipBytes(b, p, 1)
	case simdInvalid[sub]:
		return 0, malformedf("unknown 0xfd sub-opcode %#x", sub)
	}
	return p, nil
}

// skipAtomic skips a 0xFE-prefixed (threads) instruction. Like the SIMD
// prefix, the runtime reads the sub-opcode as one byte; all assigned atomic
// opcodes are below 0x80.
func skipAtomic(b []byte, p int) (int, error) {
	if p >= len(b) {
		return 0, malformedf("unexpected end of input reading a 0xfe sub-opcode")
	}
	sub := b[p]
	p++
	switch {
	case sub <= 0x02, sub >= 0x10 && sub <= 0x4e: // notify, wait, loads, stores, rmw
		return skipMemArg(b, p)
	case sub == 0x03: // atomic.fence
		return skipZeroByte(b, p, "atomic.fence immediate")
	}
	return 0, malformedf("unknown 0xfe sub-opcode %#x", sub)
}

// skipConstExpr skips a constant expression (global initializer) up to and
// including its end, accepting the instructions the runtime accepts there.
// It rejects global.get of the index reserved for the fuel counter.
func skipConstExpr(b []byte, p int, numGlobals uint32) (int, error) {
	for {
		if p >= len(b) {
			return 0, malformedf("constant expression is not terminated by end")
		}
		op := b[p]
		p++
		var err error
		switch op {
		case opEnd:
			return p, nil
		case opI32Const:
			var n int
			_, n, err = readS32(b[p:])
			p += n
		case opI64Const:
			var n int
			_, n, err = readS64(b[p:])
			p += n
		case opF32Const:
			p, err = skipBytes(b, p, 4)
		case opF64Const:
			p, err = skipBytes(b, p, 8)
		case opGlobalGet:
			var idx uint32
			var n int
			idx, n, err = readU32(b[p:])
			p += n
			if err == nil && idx >= numGlobals {
				err = malformedf("global index %d out of range (the module has %d globals)", idx, numGlobals)
			}
		case opRefNull:
			p, err = skipRefNullType(b, p)
		case opRefFunc:
			p, err = skipU32(b, p)
		case opPrefixSIMD:
			if p >= len(b) || b[p] != 0x0c {
				err = malformedf("only v128.const may appear in a constant expression")
			} else {
				p, err = skipBytes(b, p+1, 16)
			}
		case opI32Add, opI32Sub, opI32Mul, opI64Add, opI64Sub, opI64Mul:
		default:
			err = malformedf("opcode %#x is not allowed in a constant expression", op)
		}
		if err != nil {
			return 0, err
		}
	}
}

// skipLocals skips the local declarations at the start of a function body,
// at most limit locals, and returns the offset of the first instruction and
// the number of locals.
func skipLocals(b []byte, limit int) (int, int, error) {
	count, p, err := readU32(b)
	if err != nil {
		return 0, 0, fmt.Errorf("local declaration count: %w", err)
	}
	var total uint64
	for i := uint32(0); i < count; i++ {
		n, k, err := readU32(b[p:])
		if err != nil {
			return 0, 0, fmt.Errorf("local count: %w", err)
		}
		total += uint64(n)
		if total > uint64(limit) {
			return 0, 0, limitf("more than %d locals in one function (Limits.FunctionLocals)", limit)
		}
		if p, err = skipValType(b, p+k); err != nil {
			return 0, 0, fmt.Errorf("local type: %w", err)
		}
	}
	return p, int(total), nil
}
