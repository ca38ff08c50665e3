package nodes

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/dgraph-io/badger/v4"
)

// Store is a node's own key-value store: a Badger database behind a write
// buffer. Writes go to the buffer; Sync moves them into Badger in one batch.
// What Sync has written survives a crash; what is still buffered survives
// only when the crash does not lose unsynced writes (lose_unsynced).
type Store struct {
	db  *badger.DB
	buf map[string]bufOp
}

type bufOp struct {
	val []byte
	del bool
}

// OpenStore opens a store in memory (dir == "") or in dir, with options
// small enough that a thousand of them fit in one process (see RATIONALE.md).
func OpenStore(dir string) (*Store, error) {
	opts := badger.DefaultOptions(dir).
		WithInMemory(dir == "").
		WithMemTableSize(1 << 20).
		WithNumMemtables(1).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		WithCompression(0).
		WithValueLogFileSize(1 << 20).
		WithValueThreshold(64 << 10).
		WithNumCompactors(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(4).
		WithDetectConflicts(false).
		WithLogger(nil)
	db, err := badger.Open(opts)
	if err != nil {
		where := "in memory"
		if dir != "" {
			where = dir
		}
		return nil, fmt.Errorf("nodes: open store %s: %w", where, err)
	}
	return &Store{db: db, buf: map[string]bufOp{}}, nil
}

// Get returns a copy of the value under key.
func (s *Store) Get(key []byte) ([]byte, bool, error) {
	if op, ok := s.buf[string(key)]; ok {
		if op.del {
			return nil, false, nil
		}
		return op.val, true, nil
	}
	var val []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		val, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("nodes: store get %q: %w", key, err)
	}
	return val, true, nil
}

// Put buffers a write; key and val are copied.
func (s *Store) Put(key, val []byte) error {
	if len(key) == 0 {
		return errors.New("nodes: store put: empty key")
	}
	s.buf[string(key)] = bufOp{val: bytes.Clone(val)}
	return nil
}

// Delete buffers a deletion.
func (s *Store) Delete(key []byte) error {
	if len(key) == 0 {
		return errors.New("nodes: store delete: empty key")
	}
	s.buf[string(key)] = bufOp{del: true}
	return nil
}

// Scan calls fn for every pair whose key starts with prefix, in key order,
// seeing buffered writes over synced ones.
func (s *Store) Scan(prefix []byte, fn func(k, v []byte)) error {
	var bkeys []string
	for k := range s.buf {
		if len(k) >= len(prefix) && k[:len(prefix)] == string(prefix) {
			bkeys = append(bkeys, k)
		}
	}
	sort.Strings(bkeys)
	emitBuffered := func(upTo []byte) {
		for len(bkeys) > 0 && (upTo == nil || bkeys[0] < string(upTo)) {
			if op := s.buf[bkeys[0]]; !op.del {
				fn([]byte(bkeys[0]), op.val)
			}
			bkeys = bkeys[1:]
		}
	}
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			item := it.Item()
			k := item.Key()
			emitBuffered(k)
			if _, shadowed := s.buf[string(k)]; shadowed {
				continue
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			fn(k, v)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("nodes: store scan %q: %w", prefix, err)
	}
	emitBuffered(nil)
	return nil
}

// Sync writes every buffered operation to Badger.
func (s *Store) Sync() error {
	if len(s.buf) == 0 {
		return nil
	}
	keys := make([]string, 0, len(s.buf))
	for k := range s.buf {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range keys {
		op := s.buf[k]
		var err error
		if op.del {
			err = wb.Delete([]byte(k))
		} else {
			err = wb.Set([]byte(k), op.val)
		}
		if err != nil {
			return fmt.Errorf("nodes: store sync %q: %w", k, err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("nodes: store sync: %w", err)
	}
	clear(s.buf)
	return nil
}

// Unsynced returns how many keys have buffered writes.
func (s *Store) Unsynced() int { return len(s.buf) }

// Crash applies a crash: buffered writes are lost when loseUnsynced, else
// they are written first.
func (s *Store) Crash(loseUnsynced bool) error {
	if loseUnsynced {
		clear(s.buf)
		return nil
	}
	return s.Sync()
}

// Close syncs nothing: it closes the database (buffered writes are dropped).
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("nodes: close store: %w", err)
	}
	return nil
}

// DB exposes the underlying Badger database (read it; do not write behind
// the store's back while the node runs).
func (s *Store) DB() *badger.DB { return s.db }
