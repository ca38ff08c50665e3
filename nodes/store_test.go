package nodes_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
)

func openStores(t *testing.T) map[string]*nodes.Store {
	t.Helper()
	out := map[string]*nodes.Store{}
	for name, dir := range map[string]string{"memory": "", "disk": t.TempDir()} {
		st, err := nodes.OpenStore(dir)
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		out[name] = st
	}
	return out
}

// The largest key and value sync in memory and on disk alike (Badger's
// in-memory store panicked on a 65,536-byte value), and one byte more is
// refused by Put in both.
func TestStoreSizeLimitsAreTheSameInMemoryAndOnDisk(t *testing.T) {
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			key := bytes.Repeat([]byte("k"), nodes.MaxKeyBytes)
			val := bytes.Repeat([]byte{7}, nodes.MaxValueBytes)
			require.NoError(t, st.Put(key, val))
			require.NoError(t, st.Put([]byte("small"), []byte("v")))
			require.NoError(t, st.Sync())
			got, ok, err := st.Get(key)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, val, got)

			assert.ErrorIs(t, st.Put([]byte("big"), make([]byte, nodes.MaxValueBytes+1)), nodes.ErrValueTooLarge)
			assert.ErrorIs(t, st.Put(append(key, 'k'), nil), nodes.ErrKeyTooLarge)
			assert.ErrorIs(t, st.Delete(append(key, 'k')), nodes.ErrKeyTooLarge)

			// Many maximal values in one sync: Badger splits the batch.
			for i := range 40 {
				require.NoError(t, st.Put([]byte{byte('a' + i)}, val))
			}
			require.NoError(t, st.Sync())
			require.NoError(t, st.Crash(false))
		})
	}
}

func TestStoreBytesCountsSyncedAndBufferedPairs(t *testing.T) {
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, st.Put([]byte("ab"), []byte("1234")))
			assert.Equal(t, int64(6), st.Bytes())
			require.NoError(t, st.Put([]byte("ab"), []byte("12")))
			assert.Equal(t, int64(4), st.Bytes(), "an overwrite in the buffer replaces the buffered op")
			assert.Equal(t, int64(4+3), st.PutBytes([]byte("c"), []byte("xy")))
			require.NoError(t, st.Sync())
			assert.Equal(t, int64(4), st.Bytes())
			require.NoError(t, st.Put([]byte("ab"), []byte("123456")))
			assert.Equal(t, int64(4+8), st.Bytes(), "a buffered overwrite counts until it is synced")
			require.NoError(t, st.Sync())
			assert.Equal(t, int64(8), st.Bytes())
			require.NoError(t, st.Delete([]byte("ab")))
			require.NoError(t, st.Sync())
			assert.Equal(t, int64(0), st.Bytes())
			require.NoError(t, st.Put([]byte("lost"), []byte("x")))
			require.NoError(t, st.Crash(true))
			assert.Equal(t, int64(0), st.Bytes())
		})
	}
}

func TestStoreReopenedFromDiskKnowsItsSize(t *testing.T) {
	dir := t.TempDir()
	st, err := nodes.OpenStore(dir)
	require.NoError(t, err)
	require.NoError(t, st.Put([]byte("key"), []byte("value")))
	require.NoError(t, st.Sync())
	require.NoError(t, st.Close())
	st, err = nodes.OpenStore(dir)
	require.NoError(t, err)
	defer st.Close()
	assert.Equal(t, int64(8), st.Bytes())
}
