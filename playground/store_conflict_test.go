package playground_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
)

// Reference: issue 15, "a concurrent upload and delete answers 500 on a
// Badger conflict". Uploads and deletes of one module racing each other
// all succeed (or find it gone), none fails with a conflict.
func TestStoreRetriesConflicts(t *testing.T) {
	st, err := playground.OpenStore("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	wasm := []byte("\x00asm\x01\x00\x00\x00")
	sha, err := func() (string, error) {
		m, _, err := st.Put(wasm, playground.ModuleMeta{Name: "x"})
		return m.SHA256, err
	}()
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				if (w+i)%2 == 0 {
					_, _, err := st.Put(wasm, playground.ModuleMeta{Name: fmt.Sprint(w), Uploaded: time.Unix(int64(i), 0)})
					if err != nil {
						errs <- err
					}
				} else if err := st.Delete(sha); err != nil && !assert.ErrorIs(t, err, playground.ErrNoModule) {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

// A store opened with no folder (the default of an embedded server) takes
// a module as big as the server allows: Badger's in-memory mode refused
// any value over 64 KiB, so no Go module could be uploaded there. Its
// temporary folder is gone after Close.
func TestStoreWithoutFolderTakesBigModules(t *testing.T) {
	st, err := playground.OpenStore("")
	require.NoError(t, err)
	big := make([]byte, playground.DefaultMaxModuleBytes)
	for i := range big {
		big[i] = byte(i * 7)
	}
	meta, created, err := st.Put(big, playground.ModuleMeta{Name: "big.wasm"})
	require.NoError(t, err)
	assert.True(t, created)
	got, err := st.Wasm(meta.SHA256)
	require.NoError(t, err)
	assert.Equal(t, big, got)
	assert.Equal(t, int64(len(big)), st.Used())
	require.NoError(t, st.Close())
}
