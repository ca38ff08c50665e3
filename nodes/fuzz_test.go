package nodes_test

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// record encodes one call for fuzzabi.wat: a selector and six arguments.
func record(sel byte, args ...uint64) []byte {
	b := make([]byte, 49)
	b[0] = sel
	for i, a := range args {
		binary.LittleEndian.PutUint64(b[1+8*i:], a)
	}
	return b
}

// hostBugs are what a crash reason says when the host itself failed (a Go
// panic that wazero recovered) rather than the guest.
var hostBugs = []string{"runtime error", "invalid memory address", "index out of range", "slice bounds", "nil pointer", "makeslice"}

// FuzzABI calls every host function with fuzzed arguments. Whatever the
// arguments, the call returns or crashes the node with a reason of its own
// (an ABI violation, a quota, a trap); it never panics the host and never
// crashes the node with a Go runtime error.
func FuzzABI(f *testing.F) {
	const mem = 2 * 65536
	f.Add(record(12, 0, 0, 1<<28, 0))                      // poll_oneoff: nsubs*48 wraps in 32 bits
	f.Add(record(12, 0, 0, (1<<32)/48+1, 0))               // and the smallest count that wraps
	f.Add(record(12, 0, mem-32, 1, mem-4))                 // one subscription at the end of memory
	f.Add(record(0, 1, mem-1, 1<<32-1))                    // send: ptr+len past 4 GiB
	f.Add(record(0, 1, 0, mem+1))                          // send: just past memory
	f.Add(record(6, 0, 4, 0, 65537))                       // kv_put: a value over the limit
	f.Add(append(record(6, 0, 4, 0, 65536), record(9)...)) // kv_put at the limit, then kv_sync
	f.Add(record(6, 0, 1<<32-1, 0, 1))                     // kv_put: a key past memory
	f.Add(record(5, 0, 4, mem-2, 1<<32-1))                 // kv_get: a huge capacity near the end
	f.Add(append(record(6, 0, 4, 0, 16), record(8, 0, 0, mem-3, 1<<31)...))
	f.Add(record(10, 3, 0, 1<<32-1))                 // log: the largest length
	f.Add(record(10, 3, 0, mem))                     // log: all of memory
	f.Add(record(11, 0, mem, 0, 0))                  // emit: an empty key at the end
	f.Add(record(13, 1, mem-4, 1<<30, mem-4))        // fd_write: a billion iovecs
	f.Add(record(14, 4, mem-2, 1, 2))                // abort: a string header at the edge
	f.Add(record(14, 1<<32-1, 0, 0, 0))              // abort: a wild pointer
	f.Add(record(15, mem-8, 1<<32-1))                // random_get: a huge buffer
	f.Add(record(16, 0, 1<<63, mem-4))               // clock_time_get: a bad result pointer
	f.Add(record(1, 1<<63-1))                        // timer_set: near 2^63
	f.Add(record(1, 1<<63))                          // timer_set: negative
	f.Add(append(record(2, 1), record(2, 1<<63)...)) // timer_cancel: unknown ids
	f.Add(record(17, 1, mem-1, 1<<32-1))             // node_name: a huge capacity at the end
	f.Add(record(17, 1<<31, 0, 16))                  // node_name: a negative index
	f.Add(record(18, mem-1, 1<<32-1))                // node_index: a name past memory
	f.Add(record(19, 0, 7, 1<<32-1))                 // memory.fill: 4 GiB, paid before it traps
	f.Add(record(20, 0, 1, mem-1))                   // memory.copy: all of memory but a byte
	f.Add(record(21, 1<<27))                         // table.grow: 1 GiB of table, over the budget
	f.Add(record(21, 1<<32-1))                       // table.grow: the largest delta
	f.Add(record(22, 0, 1<<31))                      // table.fill: 2^31 elements out of bounds

	eng, err := wasmhost.NewEngine(context.Background(), wasmhost.NewConfig().WithCacheDir(""))
	require.NoError(f, err)
	f.Cleanup(func() { _ = eng.Close(context.Background()) })
	code, err := testguests.Wasm("fuzzabi")
	require.NoError(f, err)
	mod, err := eng.Compile(context.Background(), "fuzzabi", code)
	require.NoError(f, err)

	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > 65536 {
			t.Skip("larger than the guest's message buffer")
		}
		st, err := nodes.OpenStore("")
		require.NoError(t, err)
		defer st.Close()
		k := &kernel{}
		n := nodes.New(nodes.Spec{Name: "n0", Module: mod, Peers: []string{"n0", "n1"}}, k, wasmEngine{eng}, st, rand.New(rand.NewPCG(1, 1)))
		require.NoError(t, n.Boot(context.Background()))
		require.Equal(t, nodes.Running, n.State(), n.CrashReason())
		require.NoError(t, n.Deliver(1, msg), "a guest must not cause a host error")
		if n.State() == nodes.Crashed {
			for _, bug := range hostBugs {
				require.NotContains(t, strings.ToLower(n.CrashReason()), bug, "the host failed on the guest's arguments")
			}
			require.NotEmpty(t, n.CrashReason())
		}
		if g := n.Guest(); g != nil {
			g.Close()
		}
	})
}

// An emitted event over log_line_bytes crashes the node (an event is data
// for checkers: it is not cut like a log line).
func TestEmitOverTheLineCapCrashes(t *testing.T) {
	n, k := wasmNode(t, wasmhost.NewConfig().WithLogLineBytes(100), "fuzzabi")
	require.NoError(t, n.Deliver(1, record(11, 0, 4, 0, 96))) // 100 bytes: fits
	require.Equal(t, nodes.Running, n.State(), n.CrashReason())
	require.NoError(t, n.Deliver(1, record(11, 0, 4, 0, 97)))
	require.Equal(t, nodes.Crashed, n.State())
	assert.Equal(t, "quota log_line_bytes exceeded: an emitted event of 101 bytes (key 4, value 97) is over 100 (raise limits.log_line_bytes)", n.CrashReason())
	var emits int
	for _, e := range k.events {
		if e.Kind == trace.KindEmit {
			emits++
		}
	}
	assert.Equal(t, 1, emits)
}

// The bulk-instruction records of FuzzABI's seeds end the way fuel and the
// memory budget say (issue 15): a 4 GiB memory.fill runs out of fuel before
// it writes a byte, a table.grow of 2^27 elements crashes on the
// memory_pages quota, and a small fill runs.
func TestBulkRecordsAreMetered(t *testing.T) {
	for _, c := range []struct {
		name   string
		msg    []byte
		reason string
	}{
		{"small fill", record(19, 0, 7, 4096), ""},
		{"4 GiB fill", record(19, 0, 7, 1<<32-1), "cpu budget exhausted in on_message (2002450000 units: limits.fuel 2000000000 + limits.fuel_per_byte 50000 x (49 bytes delivered + 0 sent))"},
		{"1 GiB table", record(21, 1<<27), "quota memory_pages exceeded: table.grow would bring the node's tables and memory to 1073872904 bytes, over its budget of 268435456 (4096 pages) (raise limits.memory_pages)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, _ := wasmNode(t, wasmhost.NewConfig(), "fuzzabi")
			require.NoError(t, n.Deliver(1, c.msg))
			assert.Equal(t, c.reason, n.CrashReason())
		})
	}
}
