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
	"math"
	"math/rand/v2"

	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/trace"
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
	Module Module
	// Peers is every node's name by index; Clients every client's name.
	Peers, Clients []string
	// Services names the services by index, from len(Peers) on; Service
	// marks a node that is one.
	Services []string
	Service  bool
	// Dir is the run's directory of endpoint names, shared by every node
	// (nil: New builds one from Peers, Services and Clients).
	Dir *Directory
	// Seed is the run's seed, passed to the guest in its init document.
	Seed uint64
	// LoseUnsynced makes a crash lose writes made since the last kv_sync.
	LoseUnsynced bool
	// Native, if set, runs this Go function instead of a Wasm module.
	Native NativeFunc
	// Security is the run's key service and adversary (nil: every key
	// and attack call is denied).
	Security Security
}

// Security is what a node's key and attack host calls reach: the run's
// key service and its adversary (docs/ABI.md, "Keys", "Attacker"). n is
// the calling node; the methods answer as abi.Host's Key, Attack and
// Recorded do.
type Security interface {
	Key(n *Node, kind, peer int32) ([]byte, int32)
	Attack(n *Node, op, a, b int32, msg []byte) int32
	Recorded(n *Node, i int32) (from, to int32, msg []byte, code int32)
}

// Node is one virtual node.
type Node struct {
	Spec
	kernel Kernel
	engine Engine
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

	quotas    limits.Quotas
	instantAt int64 // the virtual instant of the last callback
	instantN  int   // callbacks run at instantAt
	second    int64 // the virtual second (from 0) of the last callback
	secondN   int   // callbacks run in that second
	peakN     int   // the most callbacks run in any one second
	logBytes  int64 // log and emit bytes this run, over every incarnation
}

// Module is a guest's compiled code, opaque to the node: its engine made
// it, and takes it back to instantiate a guest.
type Module interface {
	// Name is the module's name in the scenario.
	Name() string
}

// Engine makes a node's guest from its module: the Wasm engine in a
// simulation, a fake in tests. A node without one runs only native guests.
type Engine interface {
	// Instantiate starts a fresh guest of m: host is the node's host
	// functions, clock its virtual clocks, random its seeded stream.
	Instantiate(ctx context.Context, m Module, host abi.Host, clock abi.Clock, random func(p []byte)) (Guest, error)
	// Quotas are the per-node quotas a node enforces.
	Quotas() limits.Quotas
}

// New creates a node in state Down with its store open.
// Its quotas are the engine's, or the defaults without an engine.
func New(spec Spec, kernel Kernel, engine Engine, store *Store, rng *rand.Rand) *Node {
	if spec.Dir == nil {
		spec.Dir = NewDirectory(spec.Peers, spec.Services, spec.Clients, 0)
	}
	q := limits.DefaultQuotas()
	if engine != nil {
		q = engine.Quotas()
	}
	return &Node{Spec: spec, kernel: kernel, engine: engine, store: store, rng: rng, timers: map[int64]struct{}{},
		quotas: q, instantAt: -1, second: -1}
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

// toVirtual converts a delay (>= 0) on the node's clock into virtual time,
// saturating at math.MaxInt64.
func (n *Node) toVirtual(d int64) int64 {
	if n.driftPPM == 0 || d <= 0 {
		return max(d, 0)
	}
	return mulDiv(d, 1_000_000, 1_000_000+n.driftPPM)
}

// mulDiv returns a*b/c for a >= 0, 0 < b, c <= 2e6, saturating: the
// quotient is taken in two parts so that nothing overflows.
func mulDiv(a, b, c int64) int64 {
	q, r := a/c, a%c
	if q > math.MaxInt64/b {
		return math.MaxInt64
	}
	return satAdd(q*b, r*b/c) // r*b < c*b <= 4e12
}

// satAdd adds two int64s, saturating at the extremes.
func satAdd(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}

// at returns the virtual time d (on the node's clock) from now: never
// before now, saturating at math.MaxInt64.
func (n *Node) at(d int64) int64 {
	now := n.kernel.Clock()
	return max(satAdd(now, n.toVirtual(d)), now)
}

// Guest returns the running guest, or nil.
func (n *Node) Guest() Guest { return n.guest }

// Guest is a node's running program: a Wasm instance (*wasmhost.Instance)
// or native Go code. Its methods mirror the guest exports of ABI v1; an
// error that is a *abi.CrashError crashes the node.
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
type NativeFunc func(h abi.Host, from int32, msg []byte)

type nativeGuest struct {
	h  abi.Host
	fn NativeFunc
}

func (g nativeGuest) Init([]byte) error { return nil }
func (g nativeGuest) Message(from int32, msg []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			ce, ok := abi.Stopped(r)
			if !ok {
				panic(r)
			}
			err = ce
		}
	}()
	g.fn(g.h, from, msg)
	return nil
}
func (g nativeGuest) Timer(int64) error   { return nil }
func (g nativeGuest) Wake() error         { return nil }
func (g nativeGuest) Idle() (bool, int64) { return false, -1 }
func (g nativeGuest) HasWake() bool       { return false }
func (g nativeGuest) Close()              {}

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
	doc, err := n.InitDocument(restart)
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
	if reason := n.callback(); reason != "" {
		return n.Crash(reason)
	}
	return n.after(g.Init(doc))
}

// InitDocument returns the JSON document on_init receives (docs/ABI.md):
// it lists every endpoint's name when the run's directory allows, and
// carries only their counts otherwise.
func (n *Node) InitDocument(restart bool) ([]byte, error) {
	params := n.Params
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	d := abi.Init{Node: n.Name, Index: n.Index, Role: n.Role, Params: params, Restart: restart, Seed: n.Seed}
	if n.Role == abi.AttackerRole {
		d.Seed = 0 // every key derives from the seed (runtime/keys)
	}
	if n.Dir.Listed() {
		d.Nodes, d.Services, d.Clients = n.Dir.Nodes(), n.Dir.Services(), n.Dir.Clients()
	} else {
		d.NodeCount, d.ServiceCount, d.ClientCount = int32(len(n.Dir.Nodes())), int32(len(n.Dir.Services())), int32(len(n.Dir.Clients()))
	}
	return json.Marshal(d)
}

// callback counts a callback the node caused itself (its boot, a timer, a
// wake-up, a message to itself) against the callbacks-per-instant and
// callbacks-per-second quotas; it returns the crash reason when one is
// exceeded. Messages from others do not count: another node must not be
// able to crash this one.
func (n *Node) callback() string {
	now := n.kernel.Clock()
	if now != n.instantAt {
		n.instantAt, n.instantN = now, 0
	}
	n.instantN++
	if q := n.quotas.CallbacksPerInstant; n.instantN > q {
		return abi.Quota("callbacks_per_instant", "more than %d callbacks at virtual time %dns (a zero-delay timer loop or a message flood?)", q, n.instantAt)
	}
	if sec := now / 1e9; sec != n.second {
		n.second, n.secondN = sec, 0
	}
	n.secondN++
	n.peakN = max(n.peakN, n.secondN)
	if q := n.quotas.CallbacksPerSecond; n.secondN > q {
		return abi.Quota("callbacks_per_second", "more than %d callbacks the node caused itself in the virtual second from %ds (a timer loop or a flood of messages to itself?)", q, n.second)
	}
	return ""
}

// PeakCallbacksPerSecond returns the most callbacks the node caused itself
// in one second of virtual time so far (what limits.callbacks_per_second
// bounds).
func (n *Node) PeakCallbacksPerSecond() int { return n.peakN }

// Deliver hands a message to the guest. The caller checks the node runs.
func (n *Node) Deliver(from int32, msg []byte) error {
	if n.state != Running {
		return nil
	}
	if from == n.Index {
		if reason := n.callback(); reason != "" {
			return n.Crash(reason)
		}
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
	if reason := n.callback(); reason != "" {
		return n.Crash(reason)
	}
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: trace.KindTimerFire, Node: n.Index, Peer: -1, Label: fmt.Sprint(id)})
	return n.after(n.guest.Timer(id))
}

// FireWake runs the guest to its next idle point, if gen is current.
func (n *Node) FireWake(gen uint64) error {
	if n.state != Running || gen != n.wakeGen {
		return nil
	}
	if reason := n.callback(); reason != "" {
		return n.Crash(reason)
	}
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: trace.KindWake, Node: n.Index, Peer: -1})
	return n.after(n.guest.Wake())
}

// Crash stops the node: the instance and its timers are gone, the store
// stays (minus unsynced writes with LoseUnsynced). A store that fails to
// flush the unsynced writes loses them; the failure is part of the crash
// reason and never an error of the run.
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
	if err := n.store.Crash(n.LoseUnsynced); err != nil {
		reason += "; the unsynced writes were lost: " + err.Error()
		n.crashReason = reason
	}
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: trace.KindCrash, Node: n.Index, Peer: -1, Data: []byte(reason)})
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
			n.kernel.ScheduleWake(n, n.wakeGen, n.at(after))
		}
	}
	return nil
}

func (n *Node) fail(err error) error {
	var ce *abi.CrashError
	if errors.As(err, &ce) {
		return n.Crash(ce.Reason)
	}
	return fmt.Errorf("nodes: %s: %w", n.Name, err)
}

// Host functions (abi.Host).

// Send implements abi.Host.
func (n *Node) Send(to int32, msg []byte) int32 { return n.kernel.Send(n.Index, to, msg) }

// TimerSet implements abi.Host. Past the pending-timers quota the
// node crashes.
func (n *Node) TimerSet(delay int64) int64 {
	if q := n.quotas.PendingTimers; len(n.timers) >= q {
		abi.Stop(abi.Quota("pending_timers", "more than %d timers pending at once", q))
	}
	n.nextTimer++
	id := n.nextTimer
	n.timers[id] = struct{}{}
	n.kernel.ScheduleTimer(n, id, n.at(max(delay, 0)))
	return id
}

// TimerCancel implements abi.Host.
func (n *Node) TimerCancel(id int64) bool {
	if _, ok := n.timers[id]; !ok {
		return false
	}
	delete(n.timers, id)
	return true
}

// Now implements abi.Host: the virtual time scaled by the drift, plus
// the skew, saturating rather than wrapping.
func (n *Node) Now() int64 {
	c := n.kernel.Clock()
	if n.driftPPM != 0 && c > 0 {
		c = mulDiv(c, 1_000_000+n.driftPPM, 1_000_000)
	}
	return satAdd(c, n.skew)
}

// Rand implements abi.Host.
func (n *Node) Rand() uint64 { return n.rng.Uint64() }

func (n *Node) fill(p []byte) {
	for i := 0; i < len(p); i += 8 {
		v := n.rng.Uint64()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
}

// EndpointName implements abi.Host, from the run's directory.
func (n *Node) EndpointName(i int32) (string, bool) { return n.Dir.Name(i) }

// EndpointIndex implements abi.Host, from the run's directory.
func (n *Node) EndpointIndex(name []byte) (int32, bool) { return n.Dir.Index(name) }

// KVGet implements abi.Host.
func (n *Node) KVGet(key []byte) ([]byte, bool, error) { return n.store.Get(key) }

// KVPut implements abi.Host: a key or value over the node's limits is
// abi.ErrTooLarge, a write past its store quota abi.ErrQuota.
func (n *Node) KVPut(key, val []byte) error {
	if len(key) == 0 {
		return fmt.Errorf("nodes: kv_put: %w", abi.ErrBadKey)
	}
	if len(key) > n.quotas.MaxKeyBytes || len(val) > n.quotas.MaxValueBytes {
		return fmt.Errorf("%w: key %d bytes (limits.max_key_bytes %d), value %d bytes (limits.max_value_bytes %d)",
			abi.ErrTooLarge, len(key), n.quotas.MaxKeyBytes, len(val), n.quotas.MaxValueBytes)
	}
	if b := n.store.PutBytes(key, val); b > n.quotas.StoreBytes {
		return fmt.Errorf("%w: the store would hold %d bytes (limits.store_bytes %d)", abi.ErrQuota, b, n.quotas.StoreBytes)
	}
	return n.store.Put(key, val)
}

// KVDelete implements abi.Host.
func (n *Node) KVDelete(key []byte) error {
	if len(key) == 0 {
		return fmt.Errorf("nodes: kv_delete: %w", abi.ErrBadKey)
	}
	if len(key) > n.quotas.MaxKeyBytes {
		return fmt.Errorf("%w: key %d bytes (limits.max_key_bytes %d)", abi.ErrTooLarge, len(key), n.quotas.MaxKeyBytes)
	}
	return n.store.Delete(key)
}

// KVScan implements abi.Host.
func (n *Node) KVScan(prefix []byte, fn func(k, v []byte)) error { return n.store.Scan(prefix, fn) }

// KVSync implements abi.Host.
func (n *Node) KVSync() error { return n.store.Sync() }

// chargeLog counts a record against the node's per-run log quota.
func (n *Node) chargeLog(bytes int) {
	n.logBytes += int64(bytes) + abi.RecordOverhead
	if q := n.quotas.LogBytesPerRun; n.logBytes > q {
		abi.Stop(abi.Quota("log_bytes_per_run", "more than %d log and emit bytes from this node in the run", q))
	}
}

// Log implements abi.Host.
func (n *Node) Log(level int32, line []byte) {
	n.chargeLog(len(line))
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: trace.KindLog, Node: n.Index, Peer: -1, Label: levelName(level), Data: line})
}

// Emit implements abi.Host.
func (n *Node) Emit(key, val []byte) {
	n.chargeLog(len(key) + len(val))
	n.kernel.Record(trace.Event{Time: n.kernel.Clock(), Kind: trace.KindEmit, Node: n.Index, Peer: -1, Label: string(key), Data: val})
}

func levelName(l int32) string {
	switch l {
	case abi.LevelDebug:
		return "debug"
	case abi.LevelInfo:
		return "info"
	case abi.LevelWarn:
		return "warn"
	case abi.LevelError:
		return "error"
	case abi.LevelStdout:
		return "stdout"
	case abi.LevelStderr:
		return "stderr"
	}
	return fmt.Sprint("level", l)
}

type clock struct{ n *Node }

// Both clocks saturate; the monotonic one stays above zero.
func (c clock) Nanotime() int64 { return max(satAdd(monotonicBase, c.n.Now()), 1) }
func (c clock) Walltime() int64 { return satAdd(WallEpoch, c.n.Now()) }
