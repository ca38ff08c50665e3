package maelstrom

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKVGetGrowsTheBuffer(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		wantLens []int // buffer sizes kv_get was called with
	}{
		{"small", 10, []int{kvInitialBuf}},
		{"exactly the buffer", kvInitialBuf, []int{kvInitialBuf}},
		{"larger", 5000, []int{kvInitialBuf, 5000}},
		{"empty value", 0, []int{kvInitialBuf}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHost()
			n := testNode(h)
			v := bytes.Repeat([]byte{'v'}, tt.size)
			require.NoError(t, n.Store().Put("k", v))
			got, ok, err := n.Store().Get("k")
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, v, got)
			assert.Equal(t, tt.wantLens, h.getLens)
			got2, _, _ := n.Store().Get("k")
			if len(got) > 0 {
				got2[0] = 'X'
				assert.Equal(t, byte('v'), got[0], "values do not share the buffer")
			}
		})
	}
}

func TestKVOps(t *testing.T) {
	h := newFakeHost()
	kv := testNode(h).Store()
	_, ok, err := kv.Get("missing")
	require.NoError(t, err)
	assert.False(t, ok)

	require.NoError(t, kv.Put("a/2", []byte("two")))
	require.NoError(t, kv.Put("a/1", bytes.Repeat([]byte{'1'}, 3000)))
	require.NoError(t, kv.Put("b/1", []byte("other")))
	require.NoError(t, kv.Delete("b/1"))
	require.NoError(t, kv.Delete("never"))
	require.NoError(t, kv.Sync())
	assert.Equal(t, 1, h.syncs)

	pairs, err := kv.Scan("a/")
	require.NoError(t, err)
	require.Len(t, pairs, 2)
	assert.Equal(t, "a/1", pairs[0].Key)
	assert.Len(t, pairs[0].Value, 3000)
	assert.Equal(t, KVPair{Key: "a/2", Value: []byte("two")}, pairs[1])
	pairs, err = kv.Scan("zzz")
	require.NoError(t, err)
	assert.Empty(t, pairs)

	h.kvRC = -4
	assert.ErrorIs(t, kv.Put("x", nil), ErrStore)
	assert.ErrorIs(t, kv.Delete("x"), ErrStore)
	assert.ErrorIs(t, kv.Sync(), ErrStore)
	h.kvRC = -9
	assert.Error(t, kv.Sync())
}

func TestDecodeScan(t *testing.T) {
	enc := func(parts ...string) []byte {
		var b []byte
		for _, p := range parts {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
			b = append(b, p...)
		}
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want []KVPair
		err  bool
	}{
		{"empty", nil, nil, false},
		{"two", enc("k1", "v1", "k2", ""), []KVPair{{"k1", []byte("v1")}, {"k2", []byte{}}}, false},
		{"truncated length", enc("k1", "v1")[:9], nil, true},
		{"value runs past the end", append(enc("k1"), 9, 0, 0, 0, 'x'), nil, true},
		{"key without value", enc("k1"), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeScan(tt.in)
			if tt.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
