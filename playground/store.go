package playground

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// ErrNoModule is returned by Store methods for a digest the store lacks.
var ErrNoModule = errors.New("playground: no such module")

// ModuleMeta is what the store keeps beside a module's bytes.
type ModuleMeta struct {
	SHA256 string `json:"sha256"`
	// Name is the file name the module was uploaded as (informational).
	Name     string    `json:"name"`
	Size     int       `json:"size"`
	Uploaded time.Time `json:"uploaded"`
	Exports  []string  `json:"exports"`
	Imports  []string  `json:"imports"`
	// Builtin is true for a pattern's module that the server built itself.
	Builtin bool `json:"builtin,omitempty"`
}

// Store keeps uploaded modules in a Badger database, content-addressed by
// SHA-256. A module's bytes and its metadata are written in one synced
// transaction, so after a crash the store holds either both or neither:
// no partial module is ever listed.
type Store struct {
	db       *badger.DB
	readOnly bool
	// temp is the folder of a store opened with no folder of its own,
	// removed at Close.
	temp string
	// used is the bytes of the modules stored (their own bytes).
	used atomic.Int64
}

// ErrReadOnly is returned by Put and Delete on a store opened read-only.
var ErrReadOnly = errors.New("playground: the module store is read-only")

const (
	prefixWasm = "wasm/"
	prefixMeta = "meta/"
)

// OpenStore opens (creating if needed) the module store in dir; "" keeps
// it in a temporary folder removed at Close. (Badger's in-memory mode
// holds a value only up to its value threshold and a transaction only up
// to 15% of a memtable, far below a Go module's size.)
func OpenStore(dir string) (*Store, error) {
	if dir != "" {
		return openStore(dir, false)
	}
	tmp, err := os.MkdirTemp("", "terrarium-modules-")
	if err != nil {
		return nil, fmt.Errorf("playground: module store: %w", err)
	}
	st, err := openStore(tmp, false)
	if err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	st.temp = tmp
	return st, nil
}

// openStore opens the store, read-only if asked (on a full disk: a
// read-only Badger writes nothing).
func openStore(dir string, readOnly bool) (*Store, error) {
	opts := badger.DefaultOptions(dir).
		WithReadOnly(readOnly).
		WithInMemory(dir == "").
		WithLogger(nil).
		// Modules are big values: keep them in the value log, small tables.
		WithMemTableSize(16 << 20).
		WithValueThreshold(64 << 10).
		WithValueLogFileSize(256 << 20).
		WithNumMemtables(2).
		WithNumCompactors(2).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		WithCompression(0).
		// An upload the server acknowledged survives a power cut.
		WithSyncWrites(dir != "")
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("playground: open module store %s: %w", dir, err)
	}
	st := &Store{db: db, readOnly: readOnly}
	ms, err := st.List()
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	for _, m := range ms {
		st.used.Add(int64(m.Size))
	}
	return st, nil
}

// Used returns the bytes of the modules stored.
func (s *Store) Used() int64 { return s.used.Load() }

// Close closes the database.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.temp != "" {
		err = errors.Join(err, os.RemoveAll(s.temp))
	}
	if err != nil {
		return fmt.Errorf("playground: close module store: %w", err)
	}
	return nil
}

// Put stores a module under its digest; meta.SHA256 and meta.Size are set
// from wasm. Storing a module that is already there keeps the first
// metadata and reports created false.
func (s *Store) Put(wasm []byte, meta ModuleMeta) (ModuleMeta, bool, error) {
	sum := sha256.Sum256(wasm)
	meta.SHA256, meta.Size = hex.EncodeToString(sum[:]), len(wasm)
	if s.readOnly {
		return ModuleMeta{}, false, fmt.Errorf("store module %s: %w", meta.SHA256, ErrReadOnly)
	}
	created := false
	given := meta
	err := s.update(func(txn *badger.Txn) error {
		meta, created = given, false
		if it, err := txn.Get([]byte(prefixMeta + meta.SHA256)); err == nil {
			return it.Value(func(v []byte) error { return json.Unmarshal(v, &meta) })
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		mb, err := json.Marshal(meta)
		if err != nil {
			return err
		}
		if err := txn.Set([]byte(prefixWasm+meta.SHA256), wasm); err != nil {
			return err
		}
		created = true
		return txn.Set([]byte(prefixMeta+meta.SHA256), mb)
	})
	if err != nil {
		return ModuleMeta{}, false, fmt.Errorf("playground: store module %s: %w", meta.SHA256, err)
	}
	if created {
		s.used.Add(int64(meta.Size))
	}
	return meta, created, nil
}

// conflictRetries is how many times a write that lost a race with another
// (badger.ErrConflict: an upload and a delete of one module at once) is
// tried again before its error is returned.
const conflictRetries = 8

// update runs fn in a read-write transaction, again from the start when
// Badger reports a conflict with a concurrent one (fn must be safe to rerun).
func (s *Store) update(fn func(txn *badger.Txn) error) error {
	var err error
	for range conflictRetries {
		if err = s.db.Update(fn); !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return err
}

// Meta returns a module's metadata.
func (s *Store) Meta(sha string) (ModuleMeta, error) {
	var m ModuleMeta
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(prefixMeta + sha))
		if err != nil {
			return err
		}
		return it.Value(func(v []byte) error { return json.Unmarshal(v, &m) })
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return m, fmt.Errorf("%w: %s", ErrNoModule, sha)
	}
	if err != nil {
		return m, fmt.Errorf("playground: read module %s: %w", sha, err)
	}
	return m, nil
}

// Wasm returns a module's bytes, checked against their digest.
func (s *Store) Wasm(sha string) ([]byte, error) {
	var b []byte
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(prefixWasm + sha))
		if err != nil {
			return err
		}
		b, err = it.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoModule, sha)
	}
	if err != nil {
		return nil, fmt.Errorf("playground: read module %s: %w", sha, err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("playground: module %s is corrupt: its bytes hash to %x", sha, sum)
	}
	return b, nil
}

// List returns every module's metadata, newest upload first, then by digest.
func (s *Store) List() ([]ModuleMeta, error) {
	out := []ModuleMeta{}
	err := s.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.Prefix = []byte(prefixMeta)
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var m ModuleMeta
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &m) }); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("playground: list modules: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Uploaded.Equal(out[j].Uploaded) {
			return out[i].Uploaded.After(out[j].Uploaded)
		}
		return out[i].SHA256 < out[j].SHA256
	})
	return out, nil
}

// Delete removes a module and its metadata together.
func (s *Store) Delete(sha string) error {
	if s.readOnly {
		return fmt.Errorf("delete module %s: %w", sha, ErrReadOnly)
	}
	size := 0
	err := s.update(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(prefixMeta + sha))
		if err != nil {
			return err
		}
		var m ModuleMeta
		if err := it.Value(func(v []byte) error { return json.Unmarshal(v, &m) }); err != nil {
			return err
		}
		size = m.Size
		if err := txn.Delete([]byte(prefixWasm + sha)); err != nil {
			return err
		}
		return txn.Delete([]byte(prefixMeta + sha))
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("%w: %s", ErrNoModule, sha)
	}
	if err != nil {
		return fmt.Errorf("playground: delete module %s: %w", sha, err)
	}
	s.used.Add(-int64(size))
	return nil
}
