package sim

import (
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
)

// Node returns a read-only view of the named node, or nil if there is
// none. Change a node through faults (Apply), never directly.
func (s *Sim) Node(name string) *Node {
	if n := s.node(name); n != nil {
		return &Node{n: n, s: s}
	}
	return nil
}

// node returns the named node itself, or nil.
func (s *Sim) node(name string) *nodes.Node {
	if i, ok := s.byName[name]; ok && i >= 0 && int(i) < len(s.nodes) {
		return s.nodes[i]
	}
	return nil
}

// Nodes returns a view of every node, by index.
func (s *Sim) Nodes() []*Node {
	out := make([]*Node, len(s.nodes))
	for i, n := range s.nodes {
		out[i] = &Node{n: n, s: s}
	}
	return out
}

// Node is a read-only view of one node of a simulation.
type Node struct {
	n *nodes.Node
	s *Sim
}

// Name returns the node's name.
func (v *Node) Name() string { return v.n.Name }

// Index returns the node's index (its address in messages and the trace).
func (v *Node) Index() int32 { return v.n.Index }

// Role returns the role the node plays.
func (v *Node) Role() string { return v.n.Role }

// State returns whether the node runs or crashed, as of the last event the
// trace holds (with workers, a node may have run further in a window that
// the run did not commit because it stopped on a cap).
func (v *Node) State() nodes.State { return v.status().state }

// Paused reports whether the node is paused.
func (v *Node) Paused() bool { return v.s.paused[v.n.Index] != nil }

// CrashReason says why the node crashed ("" while it runs).
func (v *Node) CrashReason() string { return v.status().reason }

// Incarnation counts the node's boots.
func (v *Node) Incarnation() int { return v.status().inc }

// status returns the node's lifecycle as the trace tells it (before the
// run starts, the node's own: down).
func (v *Node) status() nodeStatus {
	if i := int(v.n.Index); i < len(v.s.status) && v.s.nodes[i] == v.n {
		return v.s.status[i]
	}
	return nodeStatus{state: v.n.State(), inc: v.n.Incarnation(), reason: v.n.CrashReason()}
}

// Get reads a key of the node's store, unsynced writes included.
func (v *Node) Get(key []byte) ([]byte, bool, error) { return v.n.Store().Get(key) }

// StoreBytes returns the bytes the node's store holds, unsynced writes
// included (what the store_bytes quota counts).
func (v *Node) StoreBytes() int64 { return v.n.Store().Bytes() }

// Scan calls fn with every key and value under prefix in the node's store,
// in key order, unsynced writes included.
func (v *Node) Scan(prefix []byte, fn func(k, v []byte)) error { return v.n.Store().Scan(prefix, fn) }

// Clients returns every client in index order.
func (s *Sim) Clients() []*Client { return s.clients }

// Index returns the index of a node or client by name.
func (s *Sim) Index(name string) (int32, bool) {
	i, ok := s.byName[name]
	return i, ok && i >= 0
}

// Network returns the virtual network, to set per-link behaviour.
func (s *Sim) Network() *netsim.Network { return s.net }

// FuelHighWater returns the most fuel one callback of the node's running
// guest has used, the most it used between two progress calls (the spin
// window's measure), and which callback the first was; zeros for a guest
// that is not metered or a node that is not running
// (wasmhost.Instance.FuelHighWater).
func (v *Node) FuelHighWater() (callback, stretch int64, where string) {
	if g, ok := v.n.Guest().(interface {
		FuelHighWater() (int64, int64, string)
	}); ok {
		return g.FuelHighWater()
	}
	return 0, 0, ""
}
