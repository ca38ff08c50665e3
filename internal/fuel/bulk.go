package fuel

// Bulk instructions do work in proportion to an operand: memory.fill,
// memory.copy and memory.init touch n bytes; table.fill, table.copy,
// table.init touch n elements and table.grow allocates n. A fixed charge
// per instruction would let a short loop of them run for hours on a small
// budget, so Instrument inserts before each one code that charges its
// length operand (the top of the stack, an i32 in every case) times a
// factor, trapping like any other fuel check when the counter drops below
// zero. The charge depends only on the operand, so it is as deterministic
// as the rest of the meter.
//
// Tables are host memory too: before each table.grow the inserted code
// computes the bytes the node's memory and tables would hold after it
// (TableElementBytes an element) and, past the memory budget
// (Options.MemoryBytes), stores that figure in the global exported as
// MemoryRequestName and traps. A host reads the global after a trap to
// report the quota. memory.grow in a module with tables fails (returns -1,
// as it does at the runtime's own page limit) when memory and tables
// together would exceed the budget.

// Fuel factors of the bulk instructions. One unit of fuel is one guest
// instruction; a compiled instruction costs about as much as filling or
// copying a byte, so a byte costs a unit, and a table element, a
// pointer-sized slot, as much as its bytes.
const (
	// MemoryByteFuel is charged per byte of memory.fill, memory.copy and
	// memory.init.
	MemoryByteFuel = 1
	// TableElementFuel is charged per element of table.fill, table.copy,
	// table.init and table.grow.
	TableElementFuel = TableElementBytes
	// TableElementBytes is what one table element costs the host in memory:
	// wazero v1.12 keeps a table as a slice of pointer-sized references.
	TableElementBytes = 8
)

// MemoryRequestName is the export name of the i64 global in which the code
// Instrument inserts before table.grow stores the bytes of memory and
// tables the node would hold after it. It exceeds the memory budget only
// when that table.grow trapped for it.
const MemoryRequestName = "terrarium_memory_request"

// DefaultMemoryBytes is the memory budget when Options.MemoryBytes is 0:
// 4096 pages, the default of the host (wasmhost.DefaultMemoryPages).
const DefaultMemoryBytes = 4096 * pageBytes

// Opcodes used by the inserted code.
const (
	opI64ExtendI32U = 0xad
	opI64GtS        = 0x55
	miscTableSize   = 16
)

// bulkCode emits the code inserted before bulk instructions. g is the fuel
// counter's global index, scratch the i32 scratch global, request the
// global exported as MemoryRequestName.
type bulkCode struct {
	g, scratch, request uint32
	tables              uint32 // imported and defined tables
	memory              bool   // the module has a linear memory
	budget              int64
}

// appendCharge pops the length operand into the scratch global and charges
// it times factor.
func (c *bulkCode) appendCharge(dst []byte, factor int64) []byte {
	dst = append(dst, opGlobalSet)
	dst = appendU32(dst, c.scratch)
	return c.appendChargeScratch(dst, factor)
}

// appendChargeScratch charges the length in the scratch global times
// factor, trapping when the counter goes below zero.
func (c *bulkCode) appendChargeScratch(dst []byte, factor int64) []byte {
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, c.g)
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, c.scratch)
	dst = append(dst, opI64ExtendI32U)
	if factor != 1 {
		dst = append(dst, opI64Const)
		dst = appendS64(dst, factor)
		dst = append(dst, opI64Mul)
	}
	dst = append(dst, opI64Sub, opGlobalSet)
	dst = appendU32(dst, c.g)
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, c.g)
	return append(dst, opI64Const, 0, opI64LtS, opIf, blockTypeEmpty, opUnreachable, opEnd)
}

// appendTableElements pushes, as an i64, the elements of all tables.
func (c *bulkCode) appendTableElements(dst []byte) []byte {
	for i := uint32(0); i < c.tables; i++ {
		dst = append(dst, opPrefixMisc, miscTableSize)
		dst = appendU32(dst, i)
		dst = append(dst, opI64ExtendI32U)
		if i > 0 {
			dst = append(dst, opI64Add)
		}
	}
	return dst
}

// appendMemoryBytes pushes, as an i64, the bytes of the linear memory.
func appendMemoryBytes(dst []byte) []byte {
	dst = append(dst, opMemorySize, 0, opI64ExtendI32U, opI64Const)
	dst = appendS64(dst, pageBytes)
	return append(dst, opI64Mul)
}

// appendBulk appends the code inserted before a bulk instruction of kind k.
// It leaves the stack as it found it.
func (c *bulkCode) appendBulk(dst []byte, k bulkKind) []byte {
	switch k {
	case bulkMemory:
		dst = c.appendCharge(dst, MemoryByteFuel)
	case bulkTable:
		dst = c.appendCharge(dst, TableElementFuel)
	case bulkTableGrow:
		// The budget is checked before the fuel is charged, so a grow past
		// it is reported as the memory quota whatever fuel is left.
		dst = append(dst, opGlobalSet)
		dst = appendU32(dst, c.scratch)
		// request = (n + elements) * TableElementBytes + memory bytes
		dst = append(dst, opGlobalGet)
		dst = appendU32(dst, c.scratch)
		dst = append(dst, opI64ExtendI32U)
		if c.tables > 0 {
			dst = c.appendTableElements(dst)
			dst = append(dst, opI64Add)
		}
		dst = append(dst, opI64Const)
		dst = appendS64(dst, TableElementBytes)
		dst = append(dst, opI64Mul)
		if c.memory {
			dst = appendMemoryBytes(dst)
			dst = append(dst, opI64Add)
		}
		dst = append(dst, opGlobalSet)
		dst = appendU32(dst, c.request)
		dst = append(dst, opGlobalGet)
		dst = appendU32(dst, c.request)
		dst = append(dst, opI64Const)
		dst = appendS64(dst, c.budget)
		dst = append(dst, opI64GtS, opIf, blockTypeEmpty, opUnreachable, opEnd)
		dst = c.appendChargeScratch(dst, TableElementFuel)
	case bulkMemoryGrow:
		if c.tables == 0 {
			// The runtime's page limit is the whole budget.
			return dst
		}
		dst = append(dst, opGlobalSet)
		dst = appendU32(dst, c.scratch)
		// (pages + n) * pageBytes + elements * TableElementBytes > budget
		dst = append(dst, opMemorySize, 0, opI64ExtendI32U, opGlobalGet)
		dst = appendU32(dst, c.scratch)
		dst = append(dst, opI64ExtendI32U, opI64Add, opI64Const)
		dst = appendS64(dst, pageBytes)
		dst = append(dst, opI64Mul)
		dst = c.appendTableElements(dst)
		dst = append(dst, opI64Const)
		dst = appendS64(dst, TableElementBytes)
		dst = append(dst, opI64Mul, opI64Add, opI64Const)
		dst = appendS64(dst, c.budget)
		// Over the budget the delta becomes 2^32-1 pages, which memory.grow
		// refuses (returning -1) without allocating.
		dst = append(dst, opI64GtS, opIf, blockTypeEmpty, opI32Const, 0x7f, opGlobalSet)
		dst = appendU32(dst, c.scratch)
		dst = append(dst, opEnd)
	default:
		return dst
	}
	dst = append(dst, opGlobalGet)
	return appendU32(dst, c.scratch)
}
