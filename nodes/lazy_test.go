package nodes_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
)

// storeModel is what a store must show: durable pairs, and the buffered
// operations over them (a nil value deletes).
type storeModel struct {
	durable map[string]string
	buf     map[string]*string
}

func (m *storeModel) view() map[string]string {
	out := map[string]string{}
	for k, v := range m.durable {
		out[k] = v
	}
	for k, v := range m.buf {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = *v
		}
	}
	return out
}

// bytes is what the store charges against its quota: the durable pairs
// plus every buffered operation (a deletion its key).
func (m *storeModel) bytes() int64 {
	n := bytesOf(m.durable)
	for k, v := range m.buf {
		n += int64(len(k))
		if v != nil {
			n += int64(len(*v))
		}
	}
	return n
}

func bytesOf(pairs map[string]string) int64 {
	n := 0
	for k, v := range pairs {
		n += len(k) + len(v)
	}
	return int64(n)
}

// Reference: issue 11, the store's per-sync cost: syncs stay in memory until
// a batch is worth writing. Random puts, deletes, syncs, crashes (losing the
// buffer) and flushes against a model: every get, scan and size agrees with
// it after every step, in memory, on disk and in a shared database, and an
// on-disk store reopened after Close holds exactly the durable pairs.
func TestStoreAgreesWithItsModelThroughSyncsCrashesAndFlushes(t *testing.T) {
	dir := t.TempDir()
	shared, err := nodes.OpenShared("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = shared.Close() })
	view, err := shared.Store("n1")
	require.NoError(t, err)
	other, err := shared.Store("n10")
	require.NoError(t, err)
	require.NoError(t, other.Put([]byte("k1"), []byte("another node's")))
	require.NoError(t, other.Sync())
	mem, err := nodes.OpenStore("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = mem.Close() })
	disk, err := nodes.OpenStore(dir)
	require.NoError(t, err)

	for name, st := range map[string]*nodes.Store{"memory": mem, "disk": disk, "shared": view} {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 11))
			m := &storeModel{durable: map[string]string{}, buf: map[string]*string{}}
			for step := range 6000 {
				k := fmt.Sprintf("k%d", r.IntN(40))
				switch op := r.IntN(100); {
				case op < 55:
					v := fmt.Sprintf("v%d-%d", step, r.IntN(1000))
					require.NoError(t, st.Put([]byte(k), []byte(v)))
					m.buf[k] = &v
				case op < 70:
					require.NoError(t, st.Delete([]byte(k)))
					m.buf[k] = nil
				case op < 92:
					require.NoError(t, st.Sync())
					m.durable = m.view()
					clear(m.buf)
				case op < 97:
					require.NoError(t, st.Crash(true))
					clear(m.buf)
				default:
					require.NoError(t, st.Flush())
				}
				want := m.view()
				v, ok, err := st.Get([]byte(k))
				require.NoError(t, err)
				wv, wok := want[k]
				require.Equal(t, wok, ok, "step %d: get %s", step, k)
				require.Equal(t, wv, string(v), "step %d: get %s", step, k)
				require.Equal(t, m.bytes(), st.Bytes(), "step %d: size", step)
				if step%50 == 0 {
					require.Equal(t, want, scanAll(t, st, ""), "step %d: scan", step)
					require.Equal(t, filter(want, "k1"), scanAll(t, st, "k1"), "step %d: scan k1", step)
				}
			}
		})
	}
	require.NoError(t, disk.Sync())
	want := scanAll(t, disk, "")
	require.NoError(t, disk.Close())
	again, err := nodes.OpenStore(dir)
	require.NoError(t, err)
	defer again.Close()
	assert.Equal(t, want, scanAll(t, again, ""), "what was synced is on disk after Close")
	assert.Equal(t, map[string]string{"k1": "another node's"}, scanAll(t, other, ""), "the other view is untouched")
}

// Syncs reach Badger in batches: a few small ones stay in memory, visible to
// the store and durable across a crash, and Flush writes them out.
func TestSmallSyncsReachBadgerInOneBatch(t *testing.T) {
	st, err := nodes.OpenStore("")
	require.NoError(t, err)
	defer st.Close()
	for i := range 10 {
		require.NoError(t, st.Put(fmt.Appendf(nil, "seen/%02d", i), nil))
		require.NoError(t, st.Sync())
	}
	require.NoError(t, st.Crash(true))
	assert.Len(t, scanAll(t, st, "seen/"), 10, "synced writes survive a crash before they reach Badger")
	assert.Zero(t, badgerKeys(t, st.DB()), "ten small syncs have not been written yet")
	require.NoError(t, st.Flush())
	assert.Equal(t, 10, badgerKeys(t, st.DB()))
}

func badgerKeys(t *testing.T, db *badger.DB) int {
	n := 0
	require.NoError(t, db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	}))
	return n
}

func filter(pairs map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	keys := make([]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			out[k] = pairs[k]
		}
	}
	return out
}
