// Package abi holds the data that Terrarium's host and its guest SDKs share
// across guest ABI v1 (docs/ABI.md): the init document, the error codes the
// host functions return, and the size limits of the node's store. It has no
// dependencies beyond the standard library, so both the host and a wasip1
// guest can import it, and the two sides can never disagree on a field.
package abi

import "encoding/json"

// Init is the JSON document a guest's on_init receives.
type Init struct {
	// Node is this node's name; Index its index.
	Node  string `json:"node"`
	Index int32  `json:"index"`
	// Role is the role the scenario gave the node.
	Role string `json:"role"`
	// Nodes is every node's name by index. Services (Maelstrom's lin-kv,
	// seq-kv, ..., when the run has any) follow the nodes in the index
	// space, and clients follow them: Clients[i] has index
	// len(Nodes)+len(Services)+i.
	//
	// A run with more endpoints than its init_names limit leaves the three
	// lists out (nil) and sets the counts below instead; the names are
	// then read with the node_name and node_index host calls.
	Nodes    []string `json:"nodes,omitzero"`
	Services []string `json:"services,omitempty"`
	Clients  []string `json:"clients,omitzero"`
	// NodeCount, ServiceCount and ClientCount are set (absent: 0) only
	// when the lists are left out: endpoint i is a node for i < NodeCount,
	// a service below NodeCount+ServiceCount, a client after that.
	NodeCount    int32 `json:"node_count,omitzero"`
	ServiceCount int32 `json:"service_count,omitzero"`
	ClientCount  int32 `json:"client_count,omitzero"`
	// Params is the scenario's params for the node ({} when none).
	Params json.RawMessage `json:"params"`
	// Restart is true when the node boots again after a crash.
	Restart bool `json:"restart"`
	// Seed is the run's seed: any uint64.
	Seed uint64 `json:"seed"`
}

// Listed reports whether the document lists the endpoints' names (else
// they come from the node_name and node_index host calls).
func (d *Init) Listed() bool { return d.Nodes != nil }

// Endpoints returns the number of nodes, services and clients, from the
// lists or, when they are left out, from the counts.
func (d *Init) Endpoints() (nodes, services, clients int) {
	if d.Listed() {
		return len(d.Nodes), len(d.Services), len(d.Clients)
	}
	return int(d.NodeCount), int(d.ServiceCount), int(d.ClientCount)
}

// DefaultInitNames is how many endpoints (nodes, services and clients
// together) a run may have and still list their names in every node's
// init document; past it the lists are left out (docs/ABI.md).
const DefaultInitNames = 64

// InitSource is the src of the Maelstrom "init" message a guest is given
// (a command guest on stdin; the Go SDK's "init" handler): no endpoint has
// that name, and replies to it (init_ok) are swallowed.
const InitSource = "c-init"

// Error codes returned by host functions.
const (
	// ErrnoAbsent: kv_get of a missing key, timer_cancel of a timer that is
	// not pending.
	ErrnoAbsent = -1
	// ErrnoNoDest: send to an index that is neither a node nor a client.
	ErrnoNoDest = -2
	// ErrnoTooLarge: send of a message over max_message_bytes, kv_put of a
	// key over max_key_bytes or a value over max_value_bytes.
	ErrnoTooLarge = -3
	// ErrnoStore: kv_put or kv_delete of an empty key. (A failure of the
	// store itself crashes the node instead.)
	ErrnoStore = -4
	// ErrnoQuota: kv_put that would take the store past store_bytes; an
	// attack past the run's limits.attack_budget.
	ErrnoQuota = -5
	// ErrnoDenied: key asked by an attacker node, attack or recorded asked
	// by a node that is not one (docs/ABI.md, "Keys", "Attacker").
	ErrnoDenied = -6
)

// Kinds of key the key host call returns (docs/ABI.md, "Keys").
const (
	// KeySecret is the node's own 32-byte secret, also the seed of its
	// Ed25519 key pair.
	KeySecret = 0
	// KeyShared is the 32-byte key the node shares with endpoint peer.
	KeyShared = 1
	// KeyPublic is endpoint peer's 32-byte Ed25519 public key (any node,
	// attackers included, may ask for it).
	KeyPublic = 2
)

// Operations of the attack host call, an attacker node's powers
// (docs/ABI.md, "Attacker").
const (
	// AttackForge sends the bytes to endpoint b claiming to come from a.
	AttackForge = 1
	// AttackReplay re-sends the a-th message the adversary recorded.
	AttackReplay = 2
	// AttackEavesdrop records, from now on, every message from a to b
	// (-1: any).
	AttackEavesdrop = 3
)

// AttackerRole is the role whose nodes may attack; the key service gives
// them no secret and their init document no seed.
const AttackerRole = "attacker"

// Store limits: the longest key and value any node's store holds, in memory
// and on disk alike. A scenario may lower them (limits.max_key_bytes,
// limits.max_value_bytes), never raise them.
const (
	MaxKeyBytes   = 1024
	MaxValueBytes = 64 << 10
)

// Stderr lines with which a guest tells the host why it stops
// (docs/ABI.md, "Crash reasons").
const (
	// CrashReasonPrefix starts a line by which a guest names its own crash
	// reason: when the last line it writes to stderr before proc_exit with
	// a non-zero code begins with it, the rest of the line is the reason.
	// The Go SDK stops this way on a message with no handler.
	CrashReasonPrefix = "terrarium: crash: "
	// HandlerPanicPrefix starts the line the Go SDK writes when a handler
	// panics, just before Go's runtime prints the panic; the rest of the
	// line is the handler's message type, quoted.
	HandlerPanicPrefix = "terrarium: panic in handler for "
)
