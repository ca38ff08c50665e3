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
