package fuel

import (
	"fmt"
	"math"
)

// The checks in this file walk the sections Instrument copies unchanged
// (type, table, memory, tag, element, data count, data and the name
// section) far enough to verify that every vector count and byte length
// they declare is backed by bytes of the section.
//
// Instrumentation itself does not need them. They exist because wazero
// v1.12 allocates memory for a vector before reading its elements, so a
// module of a few bytes declaring billions of entries makes CompileModule
// allocate gigabytes and can kill the host process. With these checks, and
// the limits of limits.go, a module Instrument accepts cannot make the
// runtime's decoder allocate far more than the module's own size.

// readCount reads a vector count and checks that each element can have at
// least minSize bytes in what is left of b.
func readCount(b []byte, p, minSize int, what string) (uint32, int, error) {
	count, n, err := readU32(b[p:])
	if err != nil {
		return 0, 0, fmt.Errorf("%s count: %w", what, err)
	}
	p += n
	if uint64(count)*uint64(minSize) > uint64(len(b)-p) {
		return 0, 0, malformedf("%s count %d exceeds the %d bytes left", what, count, len(b)-p)
	}
	return count, p, nil
}

// checkTypes walks the type section: function types only.
func checkTypes(b []byte) error {
	count, p, err := readCount(b, 0, 3, "type")
	if err != nil {
		return err
	}
	for i := uint32(0); i < count; i++ {
		if p >= len(b) {
			return malformedf("unexpected end of section reading type %d", i)
		}
		switch form := b[p]; form {
		case 0x60:
		case 0x4e, 0x4f, 0x50, 0x5e, 0x5f:
			return unsupportedf("type %d: garbage collection type form %#x", i, form)
		default:
			return malformedf("type %d: invalid type form %#x", i, form)
		}
		p++
		for _, what := range []string{"parameter", "result"} {
			var n uint32
			if n, p, err = readCount(b, p, 1, what); err != nil {
				return fmt.Errorf("type %d: %w", i, err)
			}
			for j := uint32(0); j < n; j++ {
				if p, err = skipValType(b, p); err != nil {
					return fmt.Errorf("type %d: %w", i, err)
				}
			}
		}
	}
	return trailing(b, p)
}

// skipRefType skips a reference type: funcref, externref, exnref or
// (ref null? ht).
func skipRefType(b []byte, p int) (int, error) {
	if p < len(b) {
		switch b[p] {
		case 0x70, 0x6f, 0x69, 0x63, 0x64:
			return skipValType(b, p)
		}
	}
	return 0, malformedf("invalid reference type")
}

// checkTables walks the table section and returns each table's initial
// size. Table initializer expressions come before the global section, so
// they cannot name the fuel counter.
func checkTables(b []byte) ([]uint32, error) {
	count, p, err := readCount(b, 0, 3, "table")
	if err != nil {
		return nil, err
	}
	mins := make([]uint32, 0, count)
	for i := uint32(0); i < count; i++ {
		withInit := p+1 < len(b) && b[p] == 0x40 && b[p+1] == 0x00
		if withInit {
			p += 2
		}
		var lo uint32
		if p, err = skipRefType(b, p); err == nil {
			lo, p, err = readLimits(b, p)
		}
		if err == nil && withInit {
			p, err = skipConstExpr(b, p, math.MaxUint32)
		}
		if err != nil {
			return nil, fmt.Errorf("table %d: %w", i, err)
		}
		mins = append(mins, lo)
	}
	return mins, trailing(b, p)
}

// checkMemories walks the memory section and returns each memory's initial
// size in pages.
func checkMemories(b []byte) ([]uint32, error) {
	count, p, err := readCount(b, 0, 2, "memory")
	if err != nil {
		return nil, err
	}
	mins := make([]uint32, 0, count)
	for i := uint32(0); i < count; i++ {
		var lo uint32
		if lo, p, err = readLimits(b, p); err != nil {
			return nil, fmt.Errorf("memory %d: %w", i, err)
		}
		mins = append(mins, lo)
	}
	return mins, trailing(b, p)
}

// checkTags walks the tag section.
func checkTags(b []byte) error {
	count, p, err := readCount(b, 0, 2, "tag")
	if err != nil {
		return err
	}
	for i := uint32(0); i < count; i++ {
		if p >= len(b) || b[p] != 0 {
			return malformedf("tag %d: invalid attribute", i)
		}
		if p, err = skipU32(b, p+1); err != nil {
			return fmt.Errorf("tag %d: %w", i, err)
		}
	}
	return trailing(b, p)
}

// checkElements walks the element section (all eight segment encodings).
// Constant expressions must not name the fuel counter. The segments
// together may hold at most maxEntries entries; *total counts them.
func checkElements(b []byte, numGlobals uint32, maxEntries int, total *int) error {
	count, p, err := readCount(b, 0, 3, "element segment")
	if err != nil {
		return err
	}
	for i := uint32(0); i < count; i++ {
		if p, err = skipElement(b, p, numGlobals, maxEntries, total); err != nil {
			return fmt.Errorf("element segment %d: %w", i, err)
		}
	}
	return trailing(b, p)
}

func skipElement(b []byte, p int, numGlobals uint32, maxEntries int, total *int) (int, error) {
	flags, n, err := readU32(b[p:])
	if err != nil {
		return 0, fmt.Errorf("flags: %w", err)
	}
	p += n
	if flags > 7 {
		return 0, malformedf("invalid flags %d", flags)
	}
	if flags&3 == 2 { // explicit table index
		if p, err = skipU32(b, p); err != nil {
			return 0, err
		}
	}
	if flags&1 == 0 { // active: offset expression
		if p, err = skipConstExpr(b, p, numGlobals); err != nil {
			return 0, err
		}
	}
	exprs := flags&4 != 0
	if flags&3 != 0 { // element kind or reference type
		if exprs {
			p, err = skipRefType(b, p)
		} else if p >= len(b) || b[p] != 0 {
			err = malformedf("invalid element kind")
		} else {
			p++
		}
		if err != nil {
			return 0, err
		}
	}
	minSize := 1 // a function index
	if exprs {
		minSize = 2 // an instruction and end
	}
	count, p, err := readCount(b, p, minSize, "initializer")
	if err != nil {
		return 0, err
	}
	*total += int(count)
	if *total > maxEntries {
		return 0, limitf("more than %d entries in the module's element segments (Limits.ElementEntries)", maxEntries)
	}
	for i := uint32(0); i < count; i++ {
		if exprs {
			p, err = skipConstExpr(b, p, numGlobals)
		} else {
			p, err = skipU32(b, p)
		}
		if err != nil {
			return 0, err
		}
	}
	return p, nil
}

// checkData walks the data section. Offset expressions must not name the
// fuel counter. An active segment at a constant offset must lie within the
// initial memory (memBytes): one that does not can only fail to
// instantiate, and the memory image built from the segments (ExtractData)
// would otherwise be as large as the offset, whatever the module's size.
func checkData(b []byte, numGlobals uint32, memBytes uint64) error {
	count, p, err := readCount(b, 0, 2, "data segment")
	if err != nil {
		return err
	}
	for i := uint32(0); i < count; i++ {
		if p, err = skipData(b, p, numGlobals, memBytes); err != nil {
			return fmt.Errorf("data segment %d: %w", i, err)
		}
	}
	return trailing(b, p)
}

func skipData(b []byte, p int, numGlobals uint32, memBytes uint64) (int, error) {
	flags, n, err := readU32(b[p:])
	if err != nil {
		return 0, fmt.Errorf("flags: %w", err)
	}
	p += n
	offset, constant := uint64(0), false
	switch flags {
	case 0:
		offset, constant = constOffset(b, p)
		p, err = skipConstExpr(b, p, numGlobals)
	case 1:
	case 2:
		var mem uint32
		mem, n, err = readU32(b[p:])
		p += n
		if err == nil && mem != 0 {
			err = unsupportedf("data segment for memory %d (multiple memories are not supported)", mem)
		}
		if err == nil {
			offset, constant = constOffset(b, p)
			p, err = skipConstExpr(b, p, numGlobals)
		}
	default:
		err = malformedf("invalid flags %d", flags)
	}
	if err != nil {
		return 0, err
	}
	size, p, err := readCount(b, p, 1, "data byte")
	if err != nil {
		return 0, err
	}
	if constant && offset+uint64(size) > memBytes {
		return 0, limitf("%d bytes at offset %d lie outside the initial memory of %d bytes", size, offset, memBytes)
	}
	return p + int(size), nil
}

// constOffset reads an offset expression of the form i32.const k; end and
// returns k as the unsigned offset it denotes.
func constOffset(b []byte, p int) (uint64, bool) {
	if p >= len(b) || b[p] != opI32Const {
		return 0, false
	}
	k, n, err := readS32(b[p+1:])
	if err != nil || p+1+n >= len(b) || b[p+1+n] != opEnd {
		return 0, false
	}
	return uint64(uint32(k)), true
}

// checkDataCount checks the data count section.
func checkDataCount(b []byte) error {
	p, err := skipU32(b, 0)
	if err != nil {
		return fmt.Errorf("data count: %w", err)
	}
	return trailing(b, p)
}

// checkCustom checks a custom section's name and, for the name section, the
// subsections the runtime decodes (module, function and local names).
func checkCustom(b []byte) error {
	name, p, err := readName(b, 0)
	if err != nil {
		return fmt.Errorf("custom section name: %w", err)
	}
	if string(name) != "name" {
		return nil
	}
	for p < len(b) {
		id := b[p]
		size, n, err := readU32(b[p+1:])
		if err != nil {
			return fmt.Errorf("name subsection %d size: %w", id, err)
		}
		p += 1 + n
		switch id {
		case 0: // module name
			_, p, err = readName(b, p)
		case 1: // function names
			p, err = skipNameMap(b, p)
		case 2: // local names
			var count uint32
			if count, p, err = readCount(b, p, 2, "local name map"); err != nil {
				break
			}
			for i := uint32(0); i < count && err == nil; i++ {
				if p, err = skipU32(b, p); err == nil {
					p, err = skipNameMap(b, p)
				}
			}
		default:
			if uint64(size) > uint64(len(b)-p) {
				err = malformedf("size %d exceeds the section", size)
			}
			p += int(size)
		}
		if err != nil {
			return fmt.Errorf("name subsection %d: %w", id, err)
		}
	}
	return nil
}

// skipNameMap skips a vector of (index, name) pairs.
func skipNameMap(b []byte, p int) (int, error) {
	count, p, err := readCount(b, p, 2, "name map")
	if err != nil {
		return 0, err
	}
	for i := uint32(0); i < count; i++ {
		if p, err = skipU32(b, p); err != nil {
			return 0, err
		}
		if _, p, err = readName(b, p); err != nil {
			return 0, err
		}
	}
	return p, nil
}
