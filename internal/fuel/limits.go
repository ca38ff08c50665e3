package fuel

import (
	"fmt"
	"math"
)

// Limits bound what a module may declare. Instrument checks them while it
// decodes the module, before any runtime sees the bytes: wazero v1.12
// allocates, and spends compile time, in proportion to what a module
// declares rather than to its size in bytes, and a few of its costs grow
// faster than linearly (nesting depth, br_table labels). Each default is
// far above what real toolchains produce (docs/ABI.md, "Module bounds",
// has the figures of the largest bundled Go plugin) and low enough that a
// module at every bound at once still compiles in bounded time and memory.
//
// A zero field means the default (DefaultLimits).
type Limits struct {
	// Types bounds the type section's entries.
	Types int
	// Imports bounds the import section's entries.
	Imports int
	// Functions bounds imported plus defined functions.
	Functions int
	// Globals bounds imported plus defined globals.
	Globals int
	// Exports bounds the export section's entries.
	Exports int
	// Tables bounds imported plus defined tables.
	Tables int
	// TableElements bounds one table's initial size.
	TableElements int
	// ElementEntries bounds the entries of all element segments together:
	// the runtime copies each passive one into every instance.
	ElementEntries int
	// ElementSegments bounds the element section's entries.
	ElementSegments int
	// DataSegments bounds the data section's entries.
	DataSegments int
	// FunctionLocals bounds the locals one function declares.
	FunctionLocals int
	// Locals bounds the locals of all functions together.
	Locals int
	// BodyBytes bounds one function body, in bytes.
	BodyBytes int
	// Depth bounds the nesting of blocks, loops, ifs and try_tables in one
	// function.
	Depth int
	// BrTableLabels bounds the labels of one br_table instruction.
	BrTableLabels int
	// NestingWork bounds the sum, over every block, loop, if and try_table
	// of the module, of its nesting depth: compile time grows with it.
	NestingWork int
	// ModuleBrTableLabels bounds the br_table labels of the module
	// together.
	ModuleBrTableLabels int
}

// Default limits; docs/ABI.md ("Module bounds") gives the reason for each.
const (
	DefaultMaxTypes               = 20_000
	DefaultMaxImports             = 10_000
	DefaultMaxFunctions           = 100_000
	DefaultMaxGlobals             = 10_000
	DefaultMaxExports             = 20_000
	DefaultMaxTables              = 16
	DefaultMaxTableElements       = 1 << 20
	DefaultMaxElementEntries      = 1 << 20
	DefaultMaxElementSegments     = 10_000
	DefaultMaxDataSegments        = 500_000
	DefaultMaxFunctionLocals      = 50_000
	DefaultMaxLocals              = 1_000_000
	DefaultMaxBodyBytes           = 2 << 20
	DefaultMaxDepth               = 8_192
	DefaultMaxBrTableLabels       = 8_192
	DefaultMaxNestingWork         = 100_000_000
	DefaultMaxModuleBrTableLabels = 1_000_000
)

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{
		Types:               DefaultMaxTypes,
		Imports:             DefaultMaxImports,
		Functions:           DefaultMaxFunctions,
		Globals:             DefaultMaxGlobals,
		Exports:             DefaultMaxExports,
		Tables:              DefaultMaxTables,
		TableElements:       DefaultMaxTableElements,
		ElementEntries:      DefaultMaxElementEntries,
		ElementSegments:     DefaultMaxElementSegments,
		DataSegments:        DefaultMaxDataSegments,
		FunctionLocals:      DefaultMaxFunctionLocals,
		Locals:              DefaultMaxLocals,
		BodyBytes:           DefaultMaxBodyBytes,
		Depth:               DefaultMaxDepth,
		BrTableLabels:       DefaultMaxBrTableLabels,
		NestingWork:         DefaultMaxNestingWork,
		ModuleBrTableLabels: DefaultMaxModuleBrTableLabels,
	}
}

// unlimited has every bound at its largest; Measure uses it.
func unlimited() Limits {
	const n = math.MaxInt32
	return Limits{n, n, n, n, n, n, n, n, n, n, n, n, n, n, n, n, n}
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.Types, &d.Types}, {&l.Imports, &d.Imports}, {&l.Functions, &d.Functions},
		{&l.Globals, &d.Globals}, {&l.Exports, &d.Exports}, {&l.Tables, &d.Tables},
		{&l.TableElements, &d.TableElements}, {&l.ElementEntries, &d.ElementEntries},
		{&l.ElementSegments, &d.ElementSegments},
		{&l.DataSegments, &d.DataSegments}, {&l.FunctionLocals, &d.FunctionLocals},
		{&l.Locals, &d.Locals}, {&l.BodyBytes, &d.BodyBytes}, {&l.Depth, &d.Depth},
		{&l.BrTableLabels, &d.BrTableLabels}, {&l.NestingWork, &d.NestingWork},
		{&l.ModuleBrTableLabels, &d.ModuleBrTableLabels},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// Figures are what a module declares, in the terms of Limits. Measure
// returns them; the largest of each over the bundled plugins is what the
// default limits are chosen against.
type Figures struct {
	Types, Imports, Functions, Globals, Exports, Tables int
	// TableElements is the largest initial table size; ElementEntries the
	// entries of all element segments.
	TableElements, ElementEntries int
	ElementSegments, DataSegments int
	// MemoryPages is the initial memory size.
	MemoryPages int
	// FunctionLocals is the most locals in one function; Locals the total.
	FunctionLocals, Locals int
	// BodyBytes is the largest function body.
	BodyBytes int
	// Depth is the deepest nesting in one function.
	Depth int
	// BrTableLabels is the largest br_table; ModuleBrTableLabels the labels
	// of all br_tables.
	BrTableLabels, ModuleBrTableLabels int
	// NestingWork is the depth of every block, loop, if and try_table,
	// summed.
	NestingWork int
	// BulkOps counts the bulk memory and table instructions (and
	// memory.grow) that Instrument charges by their operands.
	BulkOps int
}

// Measure decodes wasm as Instrument does, without limits and without
// rewriting it, and returns what it declares.
func Measure(wasm []byte) (Figures, error) {
	m, err := parseModule(wasm, unlimited(), 0)
	if err != nil {
		return Figures{}, fmt.Errorf("fuel: %w", err)
	}
	if _, err := m.rewrite(len(wasm), 0, CostRegion); err != nil {
		return Figures{}, fmt.Errorf("fuel: %w", err)
	}
	return m.fig, nil
}

// limitf builds an error matching ErrLimit.
func limitf(format string, args ...any) error {
	return &kindError{kind: ErrLimit, msg: fmt.Sprintf(format, args...)}
}

// bound checks a count against its limit; field names the Limits field.
func bound(what string, n uint64, limit int, field string) error {
	if n > uint64(limit) {
		return limitf("%d %s exceed the limit of %d (Limits.%s)", n, what, limit, field)
	}
	return nil
}
