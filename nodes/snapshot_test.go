package nodes

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A store held in memory snapshots and restores into another (synced and
// buffered writes alike); once its contents reach Badger a snapshot, and
// a restore into it, are refused with the reason.
func TestStoreSnapshotInMemoryOnly(t *testing.T) {
	a, err := OpenStore(t.TempDir())
	require.NoError(t, err)
	defer a.Close()
	require.NoError(t, a.Put([]byte("k"), []byte("synced")))
	require.NoError(t, a.Sync())
	require.NoError(t, a.Put([]byte("u"), []byte("buffered")))
	img, err := a.snapshot()
	require.NoError(t, err)

	b, err := OpenStore(t.TempDir())
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.restore(img))
	for k, want := range map[string]string{"k": "synced", "u": "buffered"} {
		v, ok, err := b.Get([]byte(k))
		require.NoError(t, err)
		require.True(t, ok, k)
		assert.Equal(t, want, string(v))
	}
	assert.Equal(t, a.Bytes(), b.Bytes())
	assert.Equal(t, 1, b.Unsynced())

	require.NoError(t, a.Flush())
	_, err = a.snapshot()
	require.EqualError(t, err, "its contents have reached Badger, and a snapshot copies only a store held in memory")
	require.NoError(t, b.Flush())
	require.ErrorIs(t, b.restore(img), errInBadger)
}
