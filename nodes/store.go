package nodes

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
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
	// pend holds what Sync made durable but has not written to Badger
	// yet, with its bytes in pendBytes: Sync moves the buffer here, and
	// flush writes it out in one batch once it passes flushBytes or
	// flushKeys, when the store closes, and when DB is asked for.
	// Durability is virtual (a crash drops buf, never pend), so a sync
	// need not pay for a Badger write: for a node that syncs a few bytes
	// per message, that write was most of the host's cost of a message.
	pend      map[string]bufOp
	pendBytes int64
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
	// onDisk is set once Badger holds any of the store's pairs (found at
	// open, or written by flush): a snapshot copies only the maps.
	onDisk bool
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
	flushBytes     = 64 << 10
	flushKeys      = 1024
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
			s.onDisk = true
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
	if op, ok := s.overlay(string(key)); ok {
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

// overlay returns the operation on key that Badger does not have yet: the
// buffered one, else the synced one still pending.
func (s *Store) overlay(key string) (bufOp, bool) {
	if op, ok := s.buf[key]; ok {
		return op, true
	}
	op, ok := s.pend[key]
	return op, ok
}

// Scan calls fn for every pair whose key starts with prefix, in key order,
// seeing buffered writes over synced ones.
func (s *Store) Scan(prefix []byte, fn func(k, v []byte)) error {
	var okeys []string
	for _, m := range []map[string]bufOp{s.buf, s.pend} {
		for k := range m {
			if len(k) >= len(prefix) && k[:len(prefix)] == string(prefix) {
				okeys = append(okeys, k)
			}
		}
	}
	sort.Strings(okeys)
	okeys = slices.Compact(okeys)
	emitOverlay := func(upTo []byte) {
		for len(okeys) > 0 && (upTo == nil || okeys[0] < string(upTo)) {
			if op, _ := s.overlay(okeys[0]); !op.del {
				fn([]byte(okeys[0]), op.val)
			}
			okeys = okeys[1:]
		}
	}
	full := s.dbKey(prefix)
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: full, PrefetchValues: false})
		defer it.Close()
		for it.Seek(full); it.ValidForPrefix(full); it.Next() {
			item := it.Item()
			k := item.Key()[len(s.prefix):]
			emitOverlay(k)
			if _, shadowed := s.overlay(string(k)); shadowed {
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
	emitOverlay(nil)
	return nil
}

// Sync makes every buffered operation durable: a crash no longer loses it.
// It joins the pending batch, which goes to Badger once it is large
// enough (flush).
func (s *Store) Sync() error {
	if len(s.buf) == 0 {
		return nil
	}
	// The size change: what each buffered key replaces, pending or in
	// Badger.
	delta := int64(0)
	for k, op := range s.buf {
		if old, ok := s.pend[k]; ok {
			if !old.del {
				delta -= entryBytes(k, old.val)
			}
		} else {
			size, found, err := s.dbSize([]byte(k))
			if err != nil {
				return fmt.Errorf("nodes: store sync: %w", err)
			}
			if found {
				delta -= int64(len(k)) + size
			}
		}
		if !op.del {
			delta += entryBytes(k, op.val)
		}
	}
	if s.pend == nil {
		s.pend = make(map[string]bufOp, len(s.buf))
	}
	for k, op := range s.buf {
		if old, ok := s.pend[k]; ok {
			s.pendBytes -= entryBytes(k, old.val)
		}
		s.pend[k] = op
		s.pendBytes += entryBytes(k, op.val)
	}
	clear(s.buf)
	s.synced += delta
	s.buffered = 0
	if s.pendBytes >= flushBytes || len(s.pend) >= flushKeys {
		return s.flush()
	}
	return nil
}

// dbSize returns the size of key's value in Badger.
func (s *Store) dbSize(key []byte) (int64, bool, error) {
	var size int64
	get := func(txn *badger.Txn) error {
		item, err := txn.Get(s.dbKey(key))
		if err == nil {
			size = item.ValueSize()
		}
		return err
	}
	var err error
	if s.shared != nil {
		err = s.db.View(get)
	} else {
		err = get(s.reader())
	}
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	}
	return size, err == nil, err
}

// flush writes the pending batch to Badger.
func (s *Store) flush() error {
	if len(s.pend) == 0 {
		return nil
	}
	keys := make([]string, 0, len(s.pend))
	for k := range s.pend {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range keys {
		op := s.pend[k]
		var err error
		if op.del {
			err = wb.Delete(s.dbKey([]byte(k)))
		} else {
			err = wb.Set(s.dbKey([]byte(k)), op.val)
		}
		if err != nil {
			return fmt.Errorf("nodes: store flush %q: %w", k, err)
		}
	}
	s.endRead()
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("nodes: store flush: %w", err)
	}
	clear(s.pend)
	s.pendBytes = 0
	s.onDisk = true
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

// Close writes what Sync made durable to Badger and closes the database;
// buffered writes are dropped. A view of a SharedDB leaves the database
// open for the others: close the SharedDB itself last.
func (s *Store) Close() error {
	err := s.flush()
	s.endRead()
	if s.shared != nil {
		return err
	}
	if err != nil {
		_ = s.db.Close()
		return fmt.Errorf("nodes: close store: %w", err)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("nodes: close store: %w", err)
	}
	return nil
}

// DB exposes the underlying Badger database (read it; do not write behind
// the store's back while the node runs). It holds what Sync made durable
// once Flush has run. A shared database holds every node's keys, each
// under its prefix (Prefix).
func (s *Store) DB() *badger.DB { return s.db }

// Flush writes what Sync made durable, and the store still holds, to
// Badger.
func (s *Store) Flush() error { return s.flush() }

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
