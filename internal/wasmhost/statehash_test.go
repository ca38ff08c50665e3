package wasmhost

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
)

// HashState writes the guest's memory size and a hash of its whole
// linear memory: a message the host copies in changes it; a closed instance has nothing to
// hash and says so.
func TestHashStateIsTheMemory(t *testing.T) {
	ctx := context.Background()
	wasm, err := testguests.Wasm("echo")
	require.NoError(t, err)
	e, err := NewEngine(ctx, NewConfig().WithCacheDir(""))
	require.NoError(t, err)
	defer e.Close(ctx)
	m, err := e.Compile(ctx, "echo", wasm)
	require.NoError(t, err)
	h := &emitHost{cmdHost: cmdHost{names: []string{"n0", "c0"}}}
	in, err := e.Instantiate(ctx, m, h, h, func(p []byte) { clear(p) })
	require.NoError(t, err)
	require.NoError(t, in.Init([]byte(`{"node":"n0","index":0,"nodes":["n0"],"clients":["c0"],"params":{}}`)))
	var before, again, after bytes.Buffer
	require.NoError(t, in.HashState(&before))
	require.NoError(t, in.HashState(&again))
	assert.Equal(t, before.Bytes(), again.Bytes())
	assert.Equal(t, uint64(in.MemoryPages())*65536, binary.LittleEndian.Uint64(before.Bytes()))
	require.NoError(t, in.Message(1, []byte(`{"src":"c0","dest":"n0","body":{"type":"echo","echo":"state","msg_id":1}}`)))
	require.NoError(t, in.HashState(&after))
	assert.NotEqual(t, before.Bytes(), after.Bytes(), "the message is in memory now")
	in.Close()
	assert.EqualError(t, in.HashState(&after), "no memory to hash: the instance is closed")
}

// countWAT counts the messages it gets in a global it does not export,
// and keeps nothing of them in memory but the host's copy.
const countWAT = `(module
  (memory (export "memory") 1)
  (global $n (mut i64) (i64.const 0))
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32))
  (func (export "on_message") (param i32 i32 i32)
    (global.set $n (i64.add (global.get $n) (i64.const 1)))))`

// A guest's unexported mutable globals are in its hash: a second copy of
// one message leaves the memory as the first left it, and only the
// counter tells the two states apart.
func TestHashStateHasTheGlobals(t *testing.T) {
	ctx := context.Background()
	wasm, err := testguests.Wat2Wasm([]byte(countWAT))
	require.NoError(t, err)
	e, err := NewEngine(ctx, NewConfig().WithCacheDir(""))
	require.NoError(t, err)
	defer e.Close(ctx)
	m, err := e.Compile(ctx, "count", wasm)
	require.NoError(t, err)
	h := &emitHost{cmdHost: cmdHost{names: []string{"n0", "c0"}}}
	in, err := e.Instantiate(ctx, m, h, h, func(p []byte) { clear(p) })
	require.NoError(t, err)
	defer in.Close()
	require.NoError(t, in.Init([]byte(`{"node":"n0","index":0,"nodes":["n0"],"clients":["c0"],"params":{}}`)))
	msg := []byte(`{"src":"c0","dest":"n0","body":{"type":"x"}}`)
	var once, twice bytes.Buffer
	require.NoError(t, in.Message(1, msg))
	require.NoError(t, in.HashState(&once))
	require.NoError(t, in.Message(1, msg))
	require.NoError(t, in.HashState(&twice))
	assert.Equal(t, once.Bytes()[:16], twice.Bytes()[:16], "the memory is the same")
	assert.NotEqual(t, once.Bytes(), twice.Bytes(), "the counter is not")
	assert.Equal(t, uint64(2), binary.LittleEndian.Uint64(twice.Bytes()[16:]))
}
