package nodes

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// SharedDB is one Badger database that many nodes' stores share, so that a
// run of thousands of nodes does not pay for thousands of databases (their
// memtables, goroutines and compactions; RATIONALE.md, "Scale: what a node
// costs"). Each node's Store is a view under a prefix of its own: the
// length of the node's name as a uvarint, then the name. No prefix is a
// prefix of another's ("n1" is 0x02 'n' '1', "n10" is 0x03 'n' '1' '0'), so
// a node's gets and scans never reach another node's keys. Writes are
// buffered per node and reach the database at the node's kv_sync, as in a
// store of its own, so crashes lose exactly what they lose there.
type SharedDB struct {
	db    *badger.DB
	mu    sync.Mutex
	names map[string]bool
	views []*Store
}

// sharedMemTable is the shared database's memtable: one database for many
// nodes can afford a larger one, and fewer flushes.
const sharedMemTable = 64 << 20

// OpenShared opens a shared database in memory (dir == "") or in dir.
func OpenShared(dir string) (*SharedDB, error) {
	db, err := openDB(dir, sharedMemTable, 5)
	if err != nil {
		return nil, fmt.Errorf("nodes: shared store: %w", err)
	}
	return &SharedDB{db: db, names: map[string]bool{}}, nil
}

// Store returns the view of the node called name. Each name has one view.
func (d *SharedDB) Store(name string) (*Store, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.names[name] {
		return nil, fmt.Errorf("nodes: shared store: node %q already has a store", name)
	}
	prefix := binary.AppendUvarint(nil, uint64(len(name)))
	prefix = append(prefix, name...)
	st := &Store{db: d.db, buf: map[string]bufOp{}, prefix: prefix, shared: d}
	if !d.db.Opts().InMemory {
		if err := st.measure(); err != nil {
			return nil, fmt.Errorf("nodes: shared store of %s: %w", name, err)
		}
	}
	d.names[name] = true
	d.views = append(d.views, st)
	return st, nil
}

// DB exposes the underlying Badger database.
func (d *SharedDB) DB() *badger.DB { return d.db }

// Close writes what every view synced to the database and closes it.
func (d *SharedDB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ferr error
	for _, st := range d.views {
		if err := st.flush(); err != nil && ferr == nil {
			ferr = fmt.Errorf("nodes: close shared store: %w", err)
		}
	}
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("nodes: close shared store: %w", err)
	}
	return ferr
}
