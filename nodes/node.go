// Package nodes holds Terrarium's virtual nodes: a guest instance, its
// lifecycle (boot, crash, restart), its virtual-time timers and idle-point
// wake-ups, and its own Store that survives crashes.
//
// A Node does not own the event queue: it asks its Kernel to schedule timers
// and wake-ups and to send messages, and the kernel calls it back when those
// events come due.
package nodes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/terrarium-sim/terrarium/runtime/trace"
	"github.com/terrarium-sim/terrarium/runtime/wasmhost"
)

// State is a node's lifecycle state.
type State uint8

// Lifecycle states.
const (
	Down State = iota // not booted yet
	Running
	Crashed
)

func (s State) String() string {
	return [...]string{"down", "running", "crashed"}[s]
}

// Kernel is what a node needs from the simulator.
type Kernel interface {
	// Clock is the current virtual time in ns.
	Clock() int64
	// Send queues msg (a view: copy it) from one endpoint to another.
	Send(from, to int32, msg []byte) int32
	// ScheduleTimer arranges for n.FireTimer(id, gen) at virtual time at.
	ScheduleTimer(n *Node, id int64, at int64)
	// ScheduleWake arranges for n.FireWake(gen) at virtual time at.
	ScheduleWake(n *Node, gen uint64, at int64)
	// Record appends an event to the trace.
	Record(e trace.Event)
}

// WallEpoch is the guest-visible realtime clock at virtual time zero
// (2026-01-01T00:00:00Z), so that dates look plausible and never change.
const WallEpoch = int64(1767225600) * 1e9

// monotonicBase keeps the guest's monotonic clock above zero: Go's runtime
// aborts on a zero nanotime.
const monotonicBase = int64(1e9)

// Spec describes one node.
type Spec struct {
	Index  int32
	Name   string
	Role   string
	Params json.RawMessage
	Module *wasmhost.Module
	// Peers is every node's name by index; Clients every client's name.
	Peers, Clients []string
	// Services names the services by index, from len(Peers) on; Service
	// marks a node that is one.
	Services []string
	Service  bool
	// Seed is the run's seed, passed to the guest in its init document.
	Seed uint64
	// LoseUnsynced makes a crash lose writes made since the last kv_sync.
	LoseUnsynced bool
	// Native, if set, runs this Go function instead of a Wasm module.
	Native NativeFunc
}

// Node is one virtual node.
type Node struct {
	Spec
	kernel Kernel
	engine *wasmhost.Engine
	store  *Store
	rng    *rand.Rand
	guest  Guest

	state       State
	incarnation int
	crashReason string
	skew        int64
	driftPPM    int64

	nextTimer int64
	timers    map[int64]struct{}
	wakeGen   uint64
}

// New creates a node in state Down with its store open.
func New(spec Spec, kernel Kernel, engine *wasmhost.Engine, store *Store, rng *rand.Rand) *Node {
	return &Node{Spec: spec, kernel: kernel, engine: engine, store: store, rng: rng, timers: map[int64]struct{}{}}
}

// State returns the node's lifecycle state.
func (n *Node) State() State { return n.state }

// Incarnation counts boots: 1 after the first boot, 2 after a restart...
func (n *Node) Incarnation() int { return n.incarnation }

// CrashReason returns why the node last crashed ("" if it never did).
func (n *Node) CrashReason() string { return n.crashReason }

// Store returns the node's store.
func (n *Node) Store() *Store { return n.store }

// SetSkew sets the node's clock offset in ns, seen through now() and WASI.
func (n *Node) SetSkew(ns int64) { n.skew = ns }

// SetDrift makes the node's clock run fast (ppm > 0) or slow (ppm < 0) by
// ppm parts per million of virtual time; timers and wake-ups the guest asks
// for in its own clock's units are scaled to match. |ppm| < 1e6.
func (n *Node) SetDrift(ppm int64) { n.driftPPM = ppm }

// toVirtual converts a delay on the node's clock into virtual time.
func (n *Node) toVirtual(d int64) int64 {
	if n.driftPPM == 0 {
		return d
	}
	return d * 1_000_000 / (1_000_000 + n.driftPPM)
}

// Guest returns the running guest, or nil.
func (n *Node) Guest() Guest { return n.guest }

// Guest is a node's running program: a Wasm instance (*wasmhost.Instance)
// or native Go code. Its methods mirror the guest exports of ABI v1; an
// error that is a *wasmhost.CrashError crashes the node.
type Guest interface {
	Init(doc []byte) error
	Message(from int32, msg []byte) error
	Timer(id int64) error
	Wake() error
	// Idle reports whether the last call reached an idle point, and the
	// delay to the next wake-up (-1: none).
	Idle() (reached bool, wakeAfter int64)
	HasWake() bool
	Close()
}

// NativeFunc makes a Guest from a Go function that handles messages: the
// simplest native node, used as a baseline and for host-side services.
type NativeFunc func(h wasmhost.Host, from int32, msg []byte)

type nativeGuest struct {
	h  wasmhost.Host
	fn NativeFunc
}

func (g nativeGuest) Init([]byte) error { return nil }
func (g nativeGuest) Message(from int32, msg []byte) error {
	g.fn(g.h, from, msg)
	return nil
}
func (g nativeGuest) Timer(int64) error   { return nil }
func (g nativeGuest) Wake() error         { return nil }
func (g nativeGuest) Idle() (bool, int64) { return false, -1 }
func (g nativeGuest) HasWake() bool       { return false }
func (g nativeGuest) Close()              {}

type initDoc struct {
	Node    string   `json:"node"`
	Index   int32    `json:"index"`
	Role    string   `json:"role"`
	Nodes   []string `json:"nodes"`
	Clients []string `json:"clients"`
	// Services, when the run has any, sit between nodes and clients in
	// the index space.
	Services []string        `json:"services,omitempty"`
	Params   json.RawMessage `json:"params"`
	Restart  bool            `json:"restart"`
	Seed     uint64          `json:"seed"`
}

// Boot instantiates the guest and runs on_init. A guest failure crashes the
// node (recorded) and is not returned as an error; only host failures are.
func (n *Node) Boot(ctx context.Context) error {
	if n.state == Running {
		return fmt.Errorf("nodes: %s is already running", n.Name)
	}
	restart := n.incarnation > 0
	n.incarnation++
	n.state = Running
	n.crashReason = ""
	kind := trace.KindBoot
	if restart {
		kind = trace.KindRestart
	}
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: kind, Node: n.Index, Peer: -1, Label: n.Role})
	params := n.Params
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	doc, err := json.Marshal(initDoc{Node: n.Name, Index: n.Index, Role: n.Role, Nodes: n.Peers,
		Clients: n.Clients, Services: n.Services, Params: params, Restart: restart, Seed: n.Seed})
	if err != nil {
		return fmt.Errorf("nodes: %s: init document: %w", n.Name, err)
	}
	var g Guest = nativeGuest{h: n, fn: n.Native}
	if n.Native == nil {
		inst, err := n.engine.Instantiate(ctx, n.Module, n, clock{n}, n.fill)
		if err != nil {
			return n.fail(err)
		}
		g = inst
	}
	n.guest = g
	return n.after(g.Init(doc))
}

// Deliver hands a message to the guest. The caller checks the node runs.
func (n *Node) Deliver(from int32, msg []byte) error {
	if n.state != Running {
		return nil
	}
	return n.after(n.guest.Message(from, msg))
}

// FireTimer runs on_timer for a timer that is still pending.
func (n *Node) FireTimer(id int64) error {
	if n.state != Running {
		return nil
	}
	if _, ok := n.timers[id]; !ok {
		return nil
	}
	delete(n.timers, id)
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: trace.KindTimerFire, Node: n.Index, Peer: -1, Label: fmt.Sprint(id)})
	return n.after(n.guest.Timer(id))
}

// FireWake runs the guest to its next idle point, if gen is current.
func (n *Node) FireWake(gen uint64) error {
	if n.state != Running || gen != n.wakeGen {
		return nil
	}
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: trace.KindWake, Node: n.Index, Peer: -1})
	return n.after(n.guest.Wake())
}

// Crash stops the node: the instance and its timers are gone, the store
// stays (minus unsynced writes with LoseUnsynced).
func (n *Node) Crash(reason string) error {
	if n.state != Running {
		return nil
	}
	if n.guest != nil {
		n.guest.Close()
		n.guest = nil
	}
	n.state = Crashed
	n.crashReason = reason
	clear(n.timers)
	n.wakeGen++
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: trace.KindCrash, Node: n.Index, Peer: -1, Data: []byte(reason)})
	if err := n.store.Crash(n.LoseUnsynced); err != nil {
		return fmt.Errorf("nodes: %s: %w", n.Name, err)
	}
	return nil
}

// after handles the outcome of a guest call: a crash, or an idle point that
// moves the node's next wake-up.
func (n *Node) after(err error) error {
	if err != nil {
		return n.fail(err)
	}
	if reached, after := n.guest.Idle(); reached {
		n.wakeGen++
		if after >= 0 && n.guest.HasWake() {
			n.kernel.ScheduleWake(n, n.wakeGen, n.kernel.Clock()+n.toVirtual(after))
		}
	}
	return nil
}

func (n *Node) fail(err error) error {
	var ce *wasmhost.CrashError
	if errors.As(err, &ce) {
		return n.Crash(ce.Reason)
	}
	return fmt.Errorf("nodes: %s: %w", n.Name, err)
}

// Host functions (wasmhost.Host).

// Send implements wasmhost.Host.
func (n *Node) Send(to int32, msg []byte) int32 { return n.kernel.Send(n.Index, to, msg) }

// TimerSet implements wasmhost.Host.
func (n *Node) TimerSet(delay int64) int64 {
	n.nextTimer++
	id := n.nextTimer
	n.timers[id] = struct{}{}
	n.kernel.ScheduleTimer(n, id, n.kernel.Clock()+n.toVirtual(delay))
	return id
}

// TimerCancel implements wasmhost.Host.
func (n *Node) TimerCancel(id int64) bool {
	if _, ok := n.timers[id]; !ok {
		return false
	}
	delete(n.timers, id)
	return true
}

// Now implements wasmhost.Host.
func (n *Node) Now() int64 {
	c := n.kernel.Clock()
	return c + c*n.driftPPM/1_000_000 + n.skew
}

// Rand implements wasmhost.Host.
func (n *Node) Rand() uint64 { return n.rng.Uint64() }

func (n *Node) fill(p []byte) {
	for i := 0; i < len(p); i += 8 {
		v := n.rng.Uint64()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
}

// KVGet implements wasmhost.Host.
func (n *Node) KVGet(key []byte) ([]byte, bool, error) { return n.store.Get(key) }

// KVPut implements wasmhost.Host.
func (n *Node) KVPut(key, val []byte) error { return n.store.Put(key, val) }

// KVDelete implements wasmhost.Host.
func (n *Node) KVDelete(key []byte) error { return n.store.Delete(key) }

// KVScan implements wasmhost.Host.
func (n *Node) KVScan(prefix []byte, fn func(k, v []byte)) error { return n.store.Scan(prefix, fn) }

// KVSync implements wasmhost.Host.
func (n *Node) KVSync() error { return n.store.Sync() }

// Log implements wasmhost.Host.
func (n *Node) Log(level int32, line []byte) {
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: trace.KindLog, Node: n.Index, Peer: -1, Label: levelName(level), Data: line})
}

// Emit implements wasmhost.Host.
func (n *Node) Emit(key, val []byte) {
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: trace.KindEmit, Node: n.Index, Peer: -1, Label: string(key), Data: val})
}

func levelName(l int32) string {
	switch l {
	case wasmhost.LevelDebug:
		return "debug"
	case wasmhost.LevelInfo:
		return "info"
	case wasmhost.LevelWarn:
		return "warn"
	case wasmhost.LevelError:
		return "error"
	case wasmhost.LevelStdout:
		return "stdout"
	case wasmhost.LevelStderr:
		return "stderr"
	}
	return fmt.Sprint("level", l)
}

type clock struct{ n *Node }

func (c clock) Nanotime() int64 { return monotonicBase + c.n.Now() }
func (c clock) Walltime() int64 { return WallEpoch + c.n.Now() }
