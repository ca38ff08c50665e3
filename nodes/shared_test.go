package nodes_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
)

func sharedDB(t *testing.T, dir string) *nodes.SharedDB {
	t.Helper()
	db, err := nodes.OpenShared(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func scanAll(t *testing.T, st *nodes.Store, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, st.Scan([]byte(prefix), func(k, v []byte) { out[string(k)] = string(v) }))
	return out
}

// A node's view of a shared database holds its own keys only: n1 and n10
// (and a name long enough for a two-byte length) never see each other's,
// in gets, scans or sizes, synced or not.
func TestSharedStoreIsolatesNodes(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		db := sharedDB(t, dir)
		long := strings.Repeat("n", 200)
		stores := map[string]*nodes.Store{}
		for _, name := range []string{"n1", "n10", "n", long} {
			st, err := db.Store(name)
			require.NoError(t, err)
			stores[name] = st
		}
		// Keys chosen so that name+key collide when concatenated: n1+"0k"
		// and n10+"k" are both "n10k".
		require.NoError(t, stores["n1"].Put([]byte("0k"), []byte("from n1")))
		require.NoError(t, stores["n10"].Put([]byte("k"), []byte("from n10")))
		require.NoError(t, stores["n"].Put([]byte("10k"), []byte("from n")))
		require.NoError(t, stores[long].Put([]byte("k"), []byte("from long")))
		for _, synced := range []bool{false, true} {
			if synced {
				for _, st := range stores {
					require.NoError(t, st.Sync())
				}
			}
			assert.Equal(t, map[string]string{"0k": "from n1"}, scanAll(t, stores["n1"], ""), "synced %v", synced)
			assert.Equal(t, map[string]string{"k": "from n10"}, scanAll(t, stores["n10"], ""))
			assert.Equal(t, map[string]string{"10k": "from n"}, scanAll(t, stores["n"], ""))
			assert.Equal(t, map[string]string{"k": "from long"}, scanAll(t, stores[long], ""))
			assert.Empty(t, scanAll(t, stores["n1"], "k"))
			_, ok, err := stores["n1"].Get([]byte("k"))
			require.NoError(t, err)
			assert.False(t, ok, "n1 cannot read n10's key")
			_, ok, err = stores["n10"].Get([]byte("0k"))
			require.NoError(t, err)
			assert.False(t, ok)
			v, ok, err := stores["n10"].Get([]byte("k"))
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "from n10", string(v))
			assert.Equal(t, int64(len("0k")+len("from n1")), stores["n1"].Bytes())
		}
		// Deleting n1's key leaves n10's alone.
		require.NoError(t, stores["n1"].Delete([]byte("0k")))
		require.NoError(t, stores["n1"].Sync())
		assert.Empty(t, scanAll(t, stores["n1"], ""))
		assert.Equal(t, int64(0), stores["n1"].Bytes())
		assert.Equal(t, map[string]string{"k": "from n10"}, scanAll(t, stores["n10"], ""))

		// Closing one view leaves the database open for the others.
		require.NoError(t, stores["n1"].Close())
		require.NoError(t, stores["n10"].Put([]byte("k2"), []byte("v")))
		require.NoError(t, stores["n10"].Sync())

		_, err := db.Store("n10")
		assert.ErrorContains(t, err, `node "n10" already has a store`)
	}
}

// Crashes lose what they lose in a store of its own: with lose_unsynced
// the writes since the last sync, without it nothing.
func TestSharedStoreCrashSemantics(t *testing.T) {
	open := map[string]func(t *testing.T, name string) *nodes.Store{
		"own": func(t *testing.T, _ string) *nodes.Store {
			st, err := nodes.OpenStore("")
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })
			return st
		},
		"shared": func() func(t *testing.T, name string) *nodes.Store {
			var db *nodes.SharedDB
			return func(t *testing.T, name string) *nodes.Store {
				if db == nil {
					db = sharedDB(t, "")
				}
				st, err := db.Store(name)
				require.NoError(t, err)
				return st
			}
		}(),
	}
	results := map[string][]map[string]string{}
	for mode, mk := range open {
		for _, lose := range []bool{true, false} {
			name := "n1"
			if !lose {
				name = "n10"
			}
			st := mk(t, name)
			require.NoError(t, st.Put([]byte("a"), []byte("1")))
			require.NoError(t, st.Sync())
			require.NoError(t, st.Put([]byte("a"), []byte("2")))
			require.NoError(t, st.Put([]byte("b"), []byte("3")))
			require.NoError(t, st.Crash(lose))
			results[mode] = append(results[mode], scanAll(t, st, ""))
		}
	}
	assert.Equal(t, []map[string]string{{"a": "1"}, {"a": "2", "b": "3"}}, results["own"])
	assert.Equal(t, results["own"], results["shared"])
}

// An on-disk shared database reopens with each node's size measured under
// its own prefix.
func TestSharedStoreOnDiskReopens(t *testing.T) {
	dir := t.TempDir()
	db, err := nodes.OpenShared(dir)
	require.NoError(t, err)
	a, err := db.Store("n1")
	require.NoError(t, err)
	b, err := db.Store("n10")
	require.NoError(t, err)
	require.NoError(t, a.Put([]byte("key"), []byte("value")))
	require.NoError(t, b.Put([]byte("k"), []byte("a longer value")))
	require.NoError(t, a.Sync())
	require.NoError(t, b.Sync())
	require.NoError(t, db.Close())

	db = sharedDB(t, dir)
	a, err = db.Store("n1")
	require.NoError(t, err)
	b, err = db.Store("n10")
	require.NoError(t, err)
	assert.Equal(t, int64(8), a.Bytes())
	assert.Equal(t, int64(15), b.Bytes())
	assert.Equal(t, map[string]string{"key": "value"}, scanAll(t, a, ""))
}
