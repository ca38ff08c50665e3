package nodes_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
)

// A store's state hash tells apart what it holds and what a crash would
// lose: a write changes it, a sync of the same write changes it again,
// and a store whose writes reached Badger hashes as it reads.
func TestStoreHashState(t *testing.T) {
	st, err := nodes.OpenStore("")
	require.NoError(t, err)
	defer func() { require.NoError(t, st.Close()) }()
	hash := func() []byte {
		var b bytes.Buffer
		require.NoError(t, st.HashState(&b))
		return b.Bytes()
	}
	empty := hash()
	assert.Equal(t, empty, hash(), "the same store, the same bytes")
	require.NoError(t, st.Put([]byte("vote"), []byte("1 n1")))
	unsynced := hash()
	assert.NotEqual(t, empty, unsynced)
	require.NoError(t, st.Sync())
	synced := hash()
	assert.NotEqual(t, unsynced, synced, "a crash would lose the one and not the other")
	require.NoError(t, st.Flush())
	require.NoError(t, st.Put([]byte("term"), []byte("2")))
	flushed := hash()
	assert.NotEqual(t, synced, flushed)
	assert.Contains(t, string(flushed), "vote", "read back from Badger")
}
