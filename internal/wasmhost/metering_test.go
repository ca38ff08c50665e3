package wasmhost

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/runtime/abi"
)

// The hostile modules of issue 15, written as bytes: most are malformed or
// too large for wat2wasm to be the right tool.

func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func section(id byte, payload ...[]byte) []byte {
	p := bytes.Join(payload, nil)
	return append(append([]byte{id}, uleb(uint64(len(p)))...), p...)
}

const header = "\x00asm\x01\x00\x00\x00"

// funcsModule has n functions of type () -> (), each with the given body
// (local declarations, instructions and the final end).
func funcsModule(n int, body []byte) []byte {
	funcs := uleb(uint64(n))
	code := uleb(uint64(n))
	entry := append(uleb(uint64(len(body))), body...)
	for range n {
		funcs = append(funcs, 0)
		code = append(code, entry...)
	}
	return bytes.Join([][]byte{[]byte(header), section(1, []byte{1, 0x60, 0, 0}), section(3, funcs), section(10, code)}, nil)
}

// nestedBody opens depth blocks and closes them.
func nestedBody(depth int) []byte {
	b := []byte{0}
	b = append(b, bytes.Repeat([]byte{0x02, 0x40}, depth)...)
	return append(b, bytes.Repeat([]byte{0x0b}, depth+1)...)
}

// brTableBody is a br_table of n labels, all to the function's block.
func brTableBody(n int) []byte {
	b := append([]byte{0, 0x41, 0, 0x0e}, uleb(uint64(n))...)
	return append(append(b, make([]byte, n+1)...), 0x0b)
}

// tableModule declares one funcref table with the given initial size and a
// memory of pages pages.
func tableModule(elems uint64, pages uint64) []byte {
	return bytes.Join([][]byte{[]byte(header),
		section(4, []byte{1, 0x70, 0}, uleb(elems)),
		section(5, []byte{1, 0}, uleb(pages))}, nil)
}

type hostileModule struct {
	name string
	wasm func() []byte
	kind error
	msg  string
}

// hostileModules are the modules that killed, froze or bloated the server
// (issue 15), each with the error that now names the bound it breaks.
// Before the bounds, Validate handed the first three to wazero, which
// allocated for 2^32-1 entries and died with "out of memory"; the others
// passed validation and cost gigabytes or minutes in wazero.
var hostileModules = []hostileModule{
	{"code section of 2^32-1 bodies (15 bytes)", func() []byte { return []byte("\x00asm\x01\x00\x00\x00\x0a\x05\xff\xff\xff\xff\x0f") },
		ErrMalformed, "function body count 4294967295 exceeds the 0 bytes left"},
	{"import section of 2^32-1 entries", func() []byte { return []byte("\x00asm\x01\x00\x00\x00\x02\x05\xff\xff\xff\xff\x0f") },
		ErrMalformed, "import count 4294967295 exceeds the 0 bytes left"},
	{"data section of 2^32-1 segments", func() []byte { return []byte("\x00asm\x01\x00\x00\x00\x0b\x05\xff\xff\xff\xff\x0f") },
		ErrMalformed, "data segment count 4294967295 exceeds the 0 bytes left"},
	{"200k functions of 50,000 locals (1.6 MB)", func() []byte { return funcsModule(200_000, []byte{1, 0xd0, 0x86, 0x03, 0x7f, 0x0b}) },
		ErrModuleTooLarge, "200000 functions (imported and defined) exceed the limit of 100000 (Limits.Functions)"},
	{"2.39M empty functions (16.7 MB)", func() []byte { return funcsModule(2_390_000, []byte{0, 0x01, 0x01, 0x0b}) },
		ErrModuleTooLarge, "2390000 functions (imported and defined) exceed the limit of 100000 (Limits.Functions)"},
	{"50,000 locals in each of 40 functions", func() []byte { return funcsModule(40, []byte{1, 0xd0, 0x86, 0x03, 0x7f, 0x0b}) },
		ErrModuleTooLarge, "function 20 (index 20): more than 1000000 locals in all functions (Limits.Locals)"},
	{"60k nested blocks (180 KB)", func() []byte { return funcsModule(1, nestedBody(60_000)) },
		ErrModuleTooLarge, "blocks nested more than 8192 deep (Limits.Depth)"},
	{"nesting work of 8 functions 5,000 deep", func() []byte { return funcsModule(8, nestedBody(5_000)) },
		ErrModuleTooLarge, "the module's nesting work (the depth of every block, loop, if and try_table, summed) exceeds the limit of 100000000 (Limits.NestingWork)"},
	{"br_table of 1M labels", func() []byte { return funcsModule(1, brTableBody(1_000_000)) },
		ErrModuleTooLarge, "br_table with 1000000 labels exceeds the limit of 8192 (Limits.BrTableLabels)"},
	{"123 br_tables of 8,192 labels", func() []byte { return funcsModule(123, brTableBody(8_192)) },
		ErrModuleTooLarge, "more than 1000000 br_table labels in the module (Limits.ModuleBrTableLabels)"},
	{"a body of 3 MB", func() []byte {
		return funcsModule(1, append(append([]byte{0}, bytes.Repeat([]byte{0x01}, 3<<20)...), 0x0b))
	}, ErrModuleTooLarge, "body of 3145730 bytes exceeds the limit of 2097152 (Limits.BodyBytes)"},
	{"a table of 2^31 elements", func() []byte { return tableModule(1<<31, 1) },
		ErrModuleTooLarge, "table 0: initial size 2147483648 exceeds the limit of 1048576 elements (Limits.TableElements)"},
	{"a table and memory over the memory budget", func() []byte { return tableModule(1<<20, DefaultMemoryPages) },
		ErrModuleTooLarge, "the initial memory (268435456 bytes) and tables (1048576 elements of 8 bytes) need 276824064 bytes, over the memory budget of 268435456 bytes"},
	{"a data segment at 4 GiB", func() []byte {
		return bytes.Join([][]byte{[]byte(header), section(5, []byte{1, 0, 1}),
			section(11, []byte{1, 0, 0x41}, []byte{0x80, 0x7e, 0x0b, 1, 'x'})}, nil)
	}, ErrModuleTooLarge, "1 bytes at offset 4294967040 lie outside the initial memory of 65536 bytes"},
	{"passive element segments of 2^20+1 entries", func() []byte {
		seg := append([]byte{1, 0}, uleb(1<<19+1)...) // passive, funcref indices
		seg = append(seg, make([]byte, 1<<19+1)...)
		return bytes.Join([][]byte{[]byte(header), section(1, []byte{1, 0x60, 0, 0}), section(3, []byte{1, 0}),
			section(9, []byte{2}, seg, seg), section(10, []byte{1, 2, 0, 0x0b})}, nil)
	}, ErrModuleTooLarge, "more than 1048576 entries in the module's element segments (Limits.ElementEntries)"},
	{"17 tables", func() []byte {
		return bytes.Join([][]byte{[]byte(header), section(4, []byte{17}, bytes.Repeat([]byte{0x70, 0, 0}, 17))}, nil)
	}, ErrModuleTooLarge, "17 tables exceed the limit of 16 (Limits.Tables)"},
}

// Every hostile module is refused, before wazero sees it, by Validate and
// by Compile (with metering on and off), with the bound it breaks named.
func TestHostileModulesAreRefusedBeforeWazero(t *testing.T) {
	ctx := context.Background()
	fueled, err := NewEngine(ctx, NewConfig().WithCacheDir(""))
	require.NoError(t, err)
	defer fueled.Close(ctx)
	unmetered, err := NewEngine(ctx, NewConfig().WithCacheDir("").WithFuel(0))
	require.NoError(t, err)
	defer unmetered.Close(ctx)
	for _, h := range hostileModules {
		t.Run(h.name, func(t *testing.T) {
			wasm := h.wasm()
			_, err := Validate(ctx, wasm, 0)
			require.ErrorIs(t, err, h.kind)
			assert.Contains(t, err.Error(), h.msg)
			for _, e := range []*Engine{fueled, unmetered} {
				_, err := e.Compile(ctx, "hostile", wasm)
				require.Error(t, err)
				assert.Contains(t, err.Error(), h.msg)
			}
		})
	}
}

// The bounds hold a node's memory budget, not a constant: an engine with
// more pages takes the table that the default refuses.
func TestTableBudgetFollowsMemoryPages(t *testing.T) {
	ctx := context.Background()
	wasm := tableModule(1<<20, DefaultMemoryPages)
	e, err := NewEngine(ctx, NewConfig().WithCacheDir("").WithMemoryPages(DefaultMemoryPages+128))
	require.NoError(t, err)
	defer e.Close(ctx)
	_, err = e.Compile(ctx, "table", wasm)
	require.ErrorIs(t, err, ErrABI, "past the bounds, only the ABI is missing")
}

// A guest that loops memory.fill of 64 KiB pays for every byte: its boot
// runs out of fuel after budget/65536 iterations (about a second here).
// Charged per instruction, as before, the same budget lasted billions of
// iterations (hundreds of terabytes written) and froze the server.
func TestMemoryFillLoopRunsOutOfFuel(t *testing.T) {
	ctx := context.Background()
	wasm, err := testguests.Wasm("fillloop")
	require.NoError(t, err)
	e, err := NewEngine(ctx, NewConfig().WithCacheDir(""))
	require.NoError(t, err)
	defer e.Close(ctx)
	m, err := e.Compile(ctx, "fillloop", wasm)
	require.NoError(t, err)
	reason, _ := bootReason(t, e, m)
	assert.Equal(t, "cpu budget exhausted in on_init (20003350000 units: limits.fuel 20000000000 + limits.fuel_per_byte 50000 x (67 bytes delivered + 0 sent))", reason)
}

// One table.grow by 2^27 elements (1 GiB of host memory) crashes its node
// with the memory_pages quota and allocates nothing; before the cap it
// returned, the node kept running, and 2^31-1 took the process down.
func TestTableGrowPastTheBudgetCrashesWithTheQuota(t *testing.T) {
	ctx := context.Background()
	wasm, err := testguests.Wasm("tablegrow")
	require.NoError(t, err)
	e, err := NewEngine(ctx, NewConfig().WithCacheDir(""))
	require.NoError(t, err)
	defer e.Close(ctx)
	m, err := e.Compile(ctx, "tablegrow", wasm)
	require.NoError(t, err)
	reason, h := bootReason(t, e, m)
	want := fmt.Sprintf("quota memory_pages exceeded: table.grow would bring the node's tables and memory to %d bytes, over its budget of %d (4096 pages) (raise limits.memory_pages)",
		(1<<27+1)*8+65536, 4096*65536)
	assert.Equal(t, want, reason)
	assert.Empty(t, h.emits, "the grow never returned")
}

// bootReason boots m as n0 and returns the crash reason of its boot ("" if
// it did not crash).
func bootReason(t *testing.T, e *Engine, m *Module) (string, *emitHost) {
	t.Helper()
	h := &emitHost{cmdHost: cmdHost{names: []string{"n0", "c0"}}}
	in, err := e.Instantiate(context.Background(), m, h, h, func(p []byte) { clear(p) })
	require.NoError(t, err)
	defer in.Close()
	err = in.Init([]byte(`{"node":"n0","index":0,"nodes":["n0"],"clients":["c0"],"params":{}}`))
	if err == nil {
		return "", h
	}
	var ce *abi.CrashError
	require.ErrorAs(t, err, &ce)
	require.True(t, in.Closed())
	return ce.Reason, h
}

// emitHost is a cmdHost that records emitted events.
type emitHost struct {
	cmdHost
	emits []string
}

func (h *emitHost) Emit(k, v []byte) { h.emits = append(h.emits, string(k)) }

// The quota reason stands alone even when the memory is at its cap (the
// reason of a guest that traps near the cap otherwise names the cap).
func TestTableQuotaReasonAtTheMemoryCap(t *testing.T) {
	ctx := context.Background()
	wasm, err := testguests.Wasm("tablegrow")
	require.NoError(t, err)
	e, err := NewEngine(ctx, NewConfig().WithCacheDir("").WithMemoryPages(2))
	require.NoError(t, err)
	defer e.Close(ctx)
	m, err := e.Compile(ctx, "tablegrow", wasm)
	require.NoError(t, err)
	reason, _ := bootReason(t, e, m)
	assert.Equal(t, fmt.Sprintf("quota memory_pages exceeded: table.grow would bring the node's tables and memory to %d bytes, over its budget of 131072 (2 pages) (raise limits.memory_pages)", (1<<27+1)*8+65536), reason)
}
