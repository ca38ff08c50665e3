package nodes

import (
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// OpenStoreReadOnly opens a store that a finished run left in dir, for
// reading only: nothing in dir is written, flushed or compacted. Writes
// through it fail.
func OpenStoreReadOnly(dir string) (*Store, error) {
	opts := badger.DefaultOptions(dir).
		WithReadOnly(true).
		WithMemTableSize(1 << 20).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		WithCompression(0).
		WithValueThreshold(1 << 10). // only writes use it; Open checks it against the memtable
		WithNumCompactors(0).
		WithLogger(nil)
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("nodes: open store %s read-only: %w", dir, err)
	}
	return &Store{db: db, buf: map[string]bufOp{}}, nil
}
