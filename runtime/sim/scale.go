package sim

import (
	"path/filepath"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/limits"
)

// scaleConfig holds the settings that make runs of many nodes cheap
// (RATIONALE.md, "Scale: what a node costs"). Their defaults leave every
// small run exactly as it was.
type scaleConfig struct {
	initNames   int
	sharedStore int
}

// WithInitNames sets how many endpoints (nodes, services and clients
// together) a run may have and still list their names in each node's init
// document: past it the document carries only their counts, and guests
// read names with the node_name and node_index host calls (docs/ABI.md).
// 0 means abi.DefaultInitNames; a negative n never lists them.
func (c Config) WithInitNames(n int) Config { c.scale.initNames = n; return c }

// DefaultSharedStoreNodes is the node count from which a run's nodes share
// one store (WithSharedStore).
const DefaultSharedStoreNodes = limits.DefaultSharedStoreNodes

// WithSharedStore makes every node's store a view of one shared Badger
// database (nodes.SharedDB) when the run has at least n nodes (services
// included): 0 means DefaultSharedStoreNodes, a negative n never shares.
// A node sees, syncs and loses on a crash exactly what it would with a
// store of its own, so the trace is the same either way; what changes is
// the cost (RATIONALE.md, "Scale: what a node costs"). On disk
// (WithStoreDir) the shared database is the folder DIR/shared-store.
func (c Config) WithSharedStore(n int) Config { c.scale.sharedStore = n; return c }

// SharedStoreDir is the folder under the store directory that holds a
// shared store.
const SharedStoreDir = "shared-store"

// sharesStore reports whether a run of n nodes shares one store.
func (c Config) sharesStore(n int) bool {
	limit := c.scale.sharedStore
	if limit == 0 {
		limit = DefaultSharedStoreNodes
	}
	return limit > 0 && n >= limit
}

// openStore opens the store of the node called name: its own database, or
// its view of the run's shared one (opened with the first view).
func (s *Sim) openStore(name string) (*nodes.Store, error) {
	if !s.cfg.sharesStore(len(s.nodes)) {
		dir := ""
		if s.cfg.storeDir != "" {
			dir = filepath.Join(s.cfg.storeDir, name)
		}
		return nodes.OpenStore(dir)
	}
	if s.shared == nil {
		dir := ""
		if s.cfg.storeDir != "" {
			dir = filepath.Join(s.cfg.storeDir, SharedStoreDir)
		}
		db, err := nodes.OpenShared(dir)
		if err != nil {
			return nil, err
		}
		s.shared = db
	}
	return s.shared.Store(name)
}
