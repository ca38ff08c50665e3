// Package fuel makes the CPU budget of untrusted WebAssembly guests
// deterministic by rewriting the module binary at load time.
//
// InstrumentWithOptions adds a mutable i64 global (the fuel counter, exported as
// GlobalName) and inserts a check at the entry of every function and at the
// head of every loop. Each check subtracts a static cost from the counter and
// executes unreachable (a trap) once the counter drops below zero. Because
// the costs are fixed when the module is instrumented, a given call with a
// given amount of fuel traps at exactly the same point on every run and with
// every engine, unlike wall-clock timeouts.
//
// A host instantiates the instrumented module, sets the exported counter
// before each call into the guest, and after a trap reads it: below zero,
// the trap was a fuel trap, and what is left gives the fuel a call consumed.
//
// # Cost model
//
// By default (CostToNextControl) a check's cost is the number of
// instructions that follow it up to and including the next control
// instruction (block, loop, if, else, end, br, br_if, br_table, return, call,
// call_indirect, the tail and reference calls, throw, throw_ref, try_table,
// br_on_null, br_on_non_null and unreachable), and at least 1. Instructions
// after that first control instruction are not charged until the next check,
// so costs are a deterministic lower bound of the instructions executed
// rather than an exact count. Every unbounded execution passes through
// function entries or loop heads, so any computation is cut off after a
// bounded amount of work per unit of fuel, but that bound is as large as a
// function body. CostRegion (see InstrumentWithOptions) charges an upper
// bound instead, at the same run-time cost; it is the better choice when the
// budget has to bound CPU time rather than only be deterministic.
//
// Bulk instructions are charged by their length on top of that:
// memory.fill, memory.copy and memory.init MemoryByteFuel a byte,
// table.fill, table.copy, table.init and table.grow TableElementFuel an
// element, by code inserted before each (bulk.go). The same code counts
// tables against a memory budget (Options.MemoryBytes). Work done in host
// functions is not metered here, and memory.grow is bounded by the budget
// rather than charged.
//
// # Safety
//
// The instrumenter decodes every function body instruction by instruction
// using the same instruction boundaries as wazero, so the checks cannot be
// hidden from it. Where wazero departs from the specification (it reads the
// 0xFD and 0xFE sub-opcodes as single bytes), only encodings on which both
// readings agree are accepted. Modules whose code, initializers or exports
// name the global index reserved for the counter are rejected, so a guest
// cannot refill its own fuel.
//
// Instrument also rejects modules that declare vector counts or lengths
// their bytes cannot back, and modules past the bounds of Limits (functions,
// locals, body size, nesting, br_table labels, tables, segments; ErrLimit).
// wazero v1.12 allocates memory for such declarations before reading them,
// and spends compile time that grows faster than their size, so a module of
// a few dozen bytes can otherwise exhaust the host's memory in
// CompileModule and one of a few hundred KB its CPU; for a module
// Instrument accepts, both stay bounded. Measure reports a module's figures
// in the terms of Limits.
//
// DWARF custom sections are copied unchanged, so the code offsets they
// describe are stale after instrumentation; source positions in wazero's
// stack traces of instrumented modules may be wrong.
package fuel

import (
	"fmt"
	"slices"
	"strings"
)

// GlobalName is the export name of the fuel counter that Instrument adds.
const GlobalName = "terrarium_fuel"

// GlobalExportPrefix begins the export names Options.ExportGlobals gives a
// module's mutable globals: terrarium_global_0, terrarium_global_1, ...
const GlobalExportPrefix = "terrarium_global_"

// DefaultStartFuel is the fuel a module's start function gets when the module
// is instrumented with Instrument. See Options.StartFuel.
const DefaultStartFuel int64 = 10_000_000

// CostModel selects what a fuel check charges. Both models insert the same
// checks at the same places (function entries and loop heads); they differ
// only in the constant each check subtracts.
type CostModel int

const (
	// CostToNextControl charges the instructions from the check up to and
	// including the next control instruction, and at least 1. This is the
	// model Instrument uses. Code after that first control instruction runs
	// uncharged until the next check, so fuel bounds the work only up to a
	// factor of the size of a function or loop body: a guest can put a long
	// straight-line sequence inside a block and have it charged as 1.
	CostToNextControl CostModel = iota

	// CostRegion charges every instruction that can run before the next
	// check: at a function entry all instructions of the body outside loops,
	// at a loop head all instructions of the loop body outside nested loops
	// (both arms of an if are charged). Fuel is then an upper bound of the
	// guest instructions executed, at the same run-time cost.
	CostRegion
)

// Options configures InstrumentWithOptions.
type Options struct {
	// Cost selects the cost model. The zero value is CostToNextControl.
	Cost CostModel

	// StartFuel is the initial value of the fuel counter of a module that has
	// a start function. The runtime runs the start function during
	// instantiation, before the host can call Set, so it runs on this
	// budget; if it runs out, instantiation fails with a trap. After
	// instantiation Remaining reports what the start function left over.
	// Modules without a start function always start with 0 fuel, so calling
	// into the guest without Set traps immediately. Must not be negative.
	StartFuel int64

	// KeepDataSegments copies the data section as it is. By default, when
	// every segment is active at a constant offset and none overlap (and
	// there is no data count section), segments closer than 4 KiB are merged
	// into one, zero-filling the gap: a Go module's ~40k segments become a
	// handful, and wazero pays per segment at every instantiation.
	KeepDataSegments bool

	// ExportStart, if set, removes the module's start section and exports
	// its start function under this name instead, so that the host can run
	// it as an ordinary call: with fuel it sets, and with the counter
	// readable afterwards to tell a fuel trap from another. A host that uses
	// it must call that export right after instantiation, before anything
	// else. The name must not be exported by the module already.
	ExportStart string

	// Limits bound what the module may declare (see Limits); zero fields
	// mean the defaults.
	Limits Limits

	// ExportGlobals exports each mutable global the module defines, the
	// k-th (in index order, from 0) as GlobalExportPrefix followed by k,
	// so that the host can read and set a guest's whole state (a state
	// hash, a snapshot) through exports. The globals' values and uses are
	// unchanged; a module that already exports a name with the prefix is
	// rejected.
	ExportGlobals bool

	// MemoryBytes is the node's memory budget: the initial memory and
	// tables must fit in it, table.grow traps past it and memory.grow fails
	// past it (see bulk.go). 0 means DefaultMemoryBytes. Set it to the
	// runtime's memory limit in bytes.
	MemoryBytes int64
}

// InstrumentWithOptions returns a copy of the Wasm binary in which a mutable i64 global,
// exported under GlobalName, is decremented at every function entry and at
// every loop head by the cost of the straight-line instructions that follow
// (the instructions up to and including the next control instruction, with a
// minimum cost of 1). When the global drops below zero the guest executes
// unreachable, which traps.
//
// The global is appended after all imported and defined globals, so no
// existing index changes, and it starts at 0 (or DefaultStartFuel if the
// module has a start function; see Options.StartFuel). Sections other than
// the global, export and code sections are copied unchanged, including
// custom sections such as the name section and DWARF.
//
// It returns an error matching ErrMalformed or ErrUnsupported if the
// binary cannot be decoded, uses features it does not handle, already
// exports GlobalName, names the global index reserved for the counter, or
// declares sizes that would make the runtime allocate out of proportion to
// the binary (see the package documentation). It does not fully validate the
// module (types are not checked); the runtime does that when it compiles the
// result. It never panics on any input and does not modify wasm.
func InstrumentWithOptions(wasm []byte, opts Options) ([]byte, error) {
	if opts.StartFuel < 0 {
		return nil, fmt.Errorf("fuel: negative start fuel %d", opts.StartFuel)
	}
	if opts.MemoryBytes < 0 {
		return nil, fmt.Errorf("fuel: negative memory budget %d", opts.MemoryBytes)
	}
	if opts.Cost != CostToNextControl && opts.Cost != CostRegion {
		return nil, fmt.Errorf("fuel: unknown cost model %d", opts.Cost)
	}
	budget := opts.MemoryBytes
	if budget == 0 {
		budget = DefaultMemoryBytes
	}
	m, err := parseModule(wasm, opts.Limits.withDefaults(), budget)
	if err != nil {
		return nil, fmt.Errorf("fuel: %w", err)
	}
	initial := int64(0)
	if m.hasStart && opts.ExportStart == "" {
		initial = opts.StartFuel
	}
	if opts.ExportStart != "" {
		if opts.ExportStart == GlobalName || slices.Contains(m.exportNames, opts.ExportStart) {
			return nil, fmt.Errorf("fuel: %w", malformedf("the module already exports %q", opts.ExportStart))
		}
		m.exportStart = opts.ExportStart
	}
	m.keepData = opts.KeepDataSegments
	if opts.ExportGlobals {
		for _, n := range m.exportNames {
			if strings.HasPrefix(n, GlobalExportPrefix) {
				return nil, fmt.Errorf("fuel: %w", malformedf("the module exports %q, a name with the prefix %q reserved for its globals", n, GlobalExportPrefix))
			}
		}
		m.exportGlobals = true
	}
	out, err := m.rewrite(len(wasm), initial, opts.Cost)
	if err != nil {
		return nil, fmt.Errorf("fuel: %w", err)
	}
	return out, nil
}
