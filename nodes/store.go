package nodes

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/dgraph-io/badger/v4"

	"github.com/terrarium-sim/terrarium/runtime/abi"
)

// Store is a node's own key-value store: a Badger database behind a write
// buffer. Writes go to the buffer; Sync moves them into Badger in one batch.
// What Sync has written survives a crash; what is still buffered survives
// only when the crash does not lose unsynced writes (lose_unsynced).
//
// A store either owns its database or is one node's view of a SharedDB:
// then every key is stored under the node's prefix (see SharedDB), which
// the store adds and strips, so the node sees only its own keys.
type Store struct {
	db  *badger.DB
	buf map[string]bufOp
	// prefix is the node's key prefix in a shared database (nil: the
	// store owns db); shared is that database.
	prefix []byte
	shared *SharedDB
	// rtxn is a read transaction kept open between writes to Badger, so a
	// get does not pay for a transaction of its own; every Sync ends it.
	rtxn *badger.Txn
	// synced is the bytes of every pair in Badger (keys plus values);
	// buffered the bytes of every buffered operation.
	synced, buffered int64
}

// Size limits of one key and one value, the same in memory and on disk.
// Badger keeps a value shorter than its ValueThreshold inside the LSM tree;
// a longer one goes to the value log, which an in-memory store does not
// have (Badger v4.9.6 panics in writeToLSM). The store's ValueThreshold is
// therefore above MaxValueBytes, and one entry (key, value and Badger's
// header) stays far below Badger's largest batch, 15% of the 1 MiB
// memtable: every write that Put accepts can be synced by either kind of
// store, and no value ever reaches the value log.
const (
	// MaxKeyBytes is the longest key a store accepts.
	MaxKeyBytes = abi.MaxKeyBytes
	// MaxValueBytes is the longest value a store accepts.
	MaxValueBytes = abi.MaxValueBytes

	memTableSize   = 1 << 20
	valueThreshold = 128 << 10 // > MaxValueBytes, <= 15% of memTableSize
)

// ErrKeyTooLarge and ErrValueTooLarge are returned by Put for a key or a
// value over the limits above (or the node's lower quota).
var (
	ErrKeyTooLarge   = errors.New("nodes: store: key too large")
	ErrValueTooLarge = errors.New("nodes: store: value too large")
)

// entryBytes is what a pair counts towards a store's size.
func entryBytes(key string, val []byte) int64 { return int64(len(key) + len(val)) }

type bufOp struct {
	val []byte
	del bool
}

// OpenStore opens a store in memory (dir == "") or in dir, with options
// small enough that a thousand of them fit in one process (see RATIONALE.md).
func OpenStore(dir string) (*Store, error) {
	db, err := openDB(dir, memTableSize, 2)
	if err != nil {
		return nil, err
	}
	st := &Store{db: db, buf: map[string]bufOp{}}
	if dir != "" {
		if err := st.measure(); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("nodes: open store %s: %w", dir, err)
		}
	}
	return st, nil
}

// openDB opens a Badger database with the small options of RATIONALE.md
// and the given memtable size and level-zero table count.
func openDB(dir string, memTable int64, l0 int) (*badger.DB, error) {
	opts := badger.DefaultOptions(dir).
		WithInMemory(dir == "").
		WithMemTableSize(memTable).
		WithNumMemtables(1).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		WithCompression(0).
		WithValueLogFileSize(1 << 20).
		WithValueThreshold(valueThreshold).
		WithNumCompactors(2).
		WithNumLevelZeroTables(l0).
		WithNumLevelZeroTablesStall(2 * l0).
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
	return db, nil
}

// measure sums the bytes of the pairs already on disk.
func (s *Store) measure() error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: s.prefix, PrefetchValues: false})
		defer it.Close()
		for it.Seek(s.prefix); it.ValidForPrefix(s.prefix); it.Next() {
			item := it.Item()
			s.synced += int64(len(item.Key())-len(s.prefix)) + item.ValueSize()
		}
		return nil
	})
}

// Bytes is the store's size as quotas count it: the bytes (keys plus
// values) of every synced pair plus those of every buffered write.
func (s *Store) Bytes() int64 { return s.synced + s.buffered }

// PutBytes returns what Bytes would be after Put(key, val).
func (s *Store) PutBytes(key, val []byte) int64 {
	b := s.Bytes() + entryBytes(string(key), val)
	if op, ok := s.buf[string(key)]; ok {
		b -= entryBytes(string(key), op.val)
	}
	return b
}

func (s *Store) bufferOp(key string, op bufOp) {
	if old, ok := s.buf[key]; ok {
		s.buffered -= entryBytes(key, old.val)
	}
	s.buf[key] = op
	s.buffered += entryBytes(key, op.val)
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
	var err error
	if s.shared != nil {
		// No read transaction stays open in a shared database: an old
		// one would keep every node's overwritten versions alive.
		err = s.db.View(func(txn *badger.Txn) error {
			item, err := txn.Get(s.dbKey(key))
			if err == nil {
				val, err = item.ValueCopy(nil)
			}
			return err
		})
	} else {
		var item *badger.Item
		item, err = s.reader().Get(key)
		if err == nil {
			val, err = item.ValueCopy(nil)
		}
	}
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("nodes: store get %q: %w", key, err)
	}
	return val, true, nil
}

// Put buffers a write; key and val are copied. A key over MaxKeyBytes or a
// value over MaxValueBytes is refused (ErrKeyTooLarge, ErrValueTooLarge).
func (s *Store) Put(key, val []byte) error {
	if len(key) == 0 {
		return errors.New("nodes: store put: empty key")
	}
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrKeyTooLarge, len(key), MaxKeyBytes)
	}
	if len(val) > MaxValueBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrValueTooLarge, len(val), MaxValueBytes)
	}
	s.bufferOp(string(key), bufOp{val: bytes.Clone(val)})
	return nil
}

// Delete buffers a deletion.
func (s *Store) Delete(key []byte) error {
	if len(key) == 0 {
		return errors.New("nodes: store delete: empty key")
	}
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrKeyTooLarge, len(key), MaxKeyBytes)
	}
	s.bufferOp(string(key), bufOp{del: true})
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
	full := s.dbKey(prefix)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: full, PrefetchValues: false})
		defer it.Close()
		for it.Seek(full); it.ValidForPrefix(full); it.Next() {
			item := it.Item()
			k := item.Key()[len(s.prefix):]
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
	// The size change: what each buffered key replaces in Badger.
	delta := int64(0)
	err := s.db.View(func(txn *badger.Txn) error {
		for _, k := range keys {
			item, err := txn.Get(s.dbKey([]byte(k)))
			switch {
			case errors.Is(err, badger.ErrKeyNotFound):
			case err != nil:
				return err
			default:
				delta -= int64(len(k)) + item.ValueSize()
			}
			if op := s.buf[k]; !op.del {
				delta += entryBytes(k, op.val)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("nodes: store sync: %w", err)
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range keys {
		op := s.buf[k]
		var err error
		if op.del {
			err = wb.Delete(s.dbKey([]byte(k)))
		} else {
			err = wb.Set(s.dbKey([]byte(k)), op.val)
		}
		if err != nil {
			return fmt.Errorf("nodes: store sync %q: %w", k, err)
		}
	}
	s.endRead()
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("nodes: store sync: %w", err)
	}
	clear(s.buf)
	s.synced += delta
	s.buffered = 0
	return nil
}

// Unsynced returns how many keys have buffered writes.
func (s *Store) Unsynced() int { return len(s.buf) }

// Crash applies a crash: buffered writes are lost when loseUnsynced, else
// they are written first.
func (s *Store) Crash(loseUnsynced bool) error {
	if loseUnsynced {
		s.dropBuffer()
		return nil
	}
	if err := s.Sync(); err != nil {
		s.dropBuffer() // the writes are lost: the next incarnation starts clean
		return err
	}
	return nil
}

func (s *Store) dropBuffer() {
	clear(s.buf)
	s.buffered = 0
}

// reader returns the open read transaction, opening one if there is none.
func (s *Store) reader() *badger.Txn {
	if s.rtxn == nil {
		s.rtxn = s.db.NewTransaction(false)
	}
	return s.rtxn
}

// endRead ends the open read transaction, before Badger changes.
func (s *Store) endRead() {
	if s.rtxn != nil {
		s.rtxn.Discard()
		s.rtxn = nil
	}
}

// Close syncs nothing: it closes the database (buffered writes are
// dropped). A view of a SharedDB leaves the database open for the others:
// close the SharedDB itself last.
func (s *Store) Close() error {
	s.endRead()
	if s.shared != nil {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("nodes: close store: %w", err)
	}
	return nil
}

// DB exposes the underlying Badger database (read it; do not write behind
// the store's back while the node runs). A shared database holds every
// node's keys, each under its prefix (Prefix).
func (s *Store) DB() *badger.DB { return s.db }

// Prefix returns the prefix of the node's keys in a shared database (nil
// for a store that owns its database).
func (s *Store) Prefix() []byte { return s.prefix }

// dbKey returns key as the database stores it: under the node's prefix.
func (s *Store) dbKey(key []byte) []byte {
	if s.prefix == nil {
		return key
	}
	return append(s.prefix[:len(s.prefix):len(s.prefix)], key...)
}
