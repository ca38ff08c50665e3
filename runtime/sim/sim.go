// Package sim is Terrarium's deterministic simulator and its public Go API.
//
// A Sim owns one discrete-event loop: every message delivery, timer, guest
// wake-up, client action and fault is an event in one priority queue ordered
// by (virtual time, sequence number). The loop pops an event, runs it to
// completion and repeats; time jumps from one event to the next. All
// randomness comes from seeded streams split per node, network, workload and
// faults. A run is therefore a pure function of (modules, configuration,
// seed), and its trace digest proves it.
//
// A Sim is not safe for concurrent use.
package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Config configures a Sim. Start from NewConfig; each With method returns a
// modified copy, and New validates the whole.
type Config struct {
	seed         uint64
	wasm         wasmhost.Config
	network      netsim.Link
	keepTrace    bool
	keepKinds    func(trace.Kind) bool
	traceSink    io.Writer
	storeDir     string
	scale        scaleConfig
	loseUnsynced bool
	maxEvents    uint64
	maxTrace     uint64
	maxInFlight  int64
	maxInFlightN int64
	workers      int
}

// Run-wide caps by default (see WithMaxEvents, WithMaxTraceBytes), and the
// default caps on one node's bytes and messages in flight
// (WithMaxInFlightBytes, WithMaxInFlightMessages).
const (
	DefaultMaxEvents           = 20_000_000
	DefaultMaxTraceBytes       = 2 << 30
	DefaultMaxInFlightBytes    = 64 << 20
	DefaultMaxInFlightMessages = 100_000
)

// NewConfig returns the defaults: seed 1, wasmhost defaults, 1 ms constant
// latency without loss, events kept in memory, stores in memory.
func NewConfig() Config {
	return Config{seed: 1, wasm: wasmhost.NewConfig(), network: netsim.Link{Latency: netsim.Constant(time.Millisecond)}, keepTrace: true,
		maxEvents: DefaultMaxEvents, maxTrace: DefaultMaxTraceBytes, maxInFlight: DefaultMaxInFlightBytes, maxInFlightN: DefaultMaxInFlightMessages}
}

// WithMaxEvents caps the events one run may record (0: no cap). A run that
// reaches it stops with a *LimitError instead of running out of memory.
func (c Config) WithMaxEvents(n uint64) Config { c.maxEvents = n; return c }

// WithMaxInFlightBytes caps the bytes of one node's messages that are on
// their way (sent, not yet delivered or dropped; held and waiting for a
// paused node included); 0: no cap. A send past it returns ErrnoQuota
// (-5) and sends nothing.
func (c Config) WithMaxInFlightBytes(n int64) Config { c.maxInFlight = n; return c }

// WithMaxInFlightMessages caps how many of one node's messages may be on
// their way at once (counted like WithMaxInFlightBytes); 0: no cap. A send
// past it crashes the node with "quota in_flight_messages exceeded": a
// flood that grows with every hop (a node answering each message with two)
// ends at its node within a bounded number of events, where the byte cap
// alone would let it fill the run's event cap first.
func (c Config) WithMaxInFlightMessages(n int64) Config { c.maxInFlightN = n; return c }

// WithMaxTraceBytes caps the bytes of trace one run may record (0: no cap),
// like WithMaxEvents.
func (c Config) WithMaxTraceBytes(n uint64) Config { c.maxTrace = n; return c }

// WithSeed sets the run's seed.
func (c Config) WithSeed(seed uint64) Config { c.seed = seed; return c }

// WithWasm sets the guest engine's configuration.
func (c Config) WithWasm(w wasmhost.Config) Config { c.wasm = w; return c }

// WithNetwork sets the default link.
func (c Config) WithNetwork(l netsim.Link) Config { c.network = l; return c }

// WithTrace chooses whether events are kept in memory and where, if
// anywhere, they are written as JSON lines. The digest is always computed.
func (c Config) WithTrace(keep bool, sink io.Writer) Config {
	c.keepTrace, c.traceSink = keep, sink
	return c
}

// WithTraceKinds keeps in memory (Events) only the events whose kind keep
// accepts (nil: every event). The digest and the trace sink are unchanged.
func (c Config) WithTraceKinds(keep func(trace.Kind) bool) Config { c.keepKinds = keep; return c }

// WithStoreDir keeps each node's store on disk under dir/<node>; "" keeps
// them in memory.
func (c Config) WithStoreDir(dir string) Config { c.storeDir = dir; return c }

// WithLoseUnsynced makes crashes lose writes made since a node's last kv_sync.
func (c Config) WithLoseUnsynced(on bool) Config { c.loseUnsynced = on; return c }

// Seed returns the configured seed.
func (c Config) Seed() uint64 { return c.seed }

// WithWorkers lets RunUntil run the events of different nodes on up to n
// goroutines at once (0 or 1: one event at a time). The trace, digest,
// stats and history are the same for every n (see parallel.go and
// RATIONALE.md, "One run on many cores").
func (c Config) WithWorkers(n int) Config { c.workers = n; return c }

// Workers returns the configured number of workers (0: one).
func (c Config) Workers() int { return c.workers }

// Sim is one simulation.
type Sim struct {
	cfg     Config
	ctx     context.Context
	engine  *wasmhost.Engine
	net     *netsim.Network
	rec     *trace.Recorder
	labels  labels // interned message types
	netRand *rand.Rand
	modules map[string]*wasmhost.Module

	nodes   []*nodes.Node
	byName  map[string]int32
	clients []*Client
	started bool

	q      queue
	now    int64
	seq    uint64
	msgSeq uint64
	stats  trace.Stats
	hist   []history.Op
	wall   time.Duration

	filters     []filterEntry
	nextFilter  int
	holds       []holdPattern
	held        []heldMsg
	paused      map[int32]*pauseState
	pausedTotal map[int32]int64
	closed      bool
	// shared is the nodes' one store in shared-store mode (scale.go).
	shared *nodes.SharedDB

	steps    uint64  // events dispatched
	pins     []pin   // faults pinned to an event count, in order
	inFlight []int64 // per node: bytes of its messages on their way
	// inFlightN is, per node, how many of its messages are on their way;
	// peakInFlightN the most any node has had at once.
	inFlightN     []int64
	peakInFlightN int64

	kernels []*kernel    // per node: its face of the kernel
	status  []nodeStatus // per node: its lifecycle as the trace tells it
	par     Parallelism  // how RunUntil dispatched events
}

// pin is a fault to apply just before the loop's before-th event.
type pin struct {
	before uint64
	at     int64
	f      fault.Fault
}

// LimitError ends a run that reached a run-wide cap. The run's verdict is
// unknown: it did not finish.
type LimitError struct {
	// Limit names the cap (the scenario's limits field).
	Limit string
	// Value is the cap.
	Value uint64
	// At is the virtual time it was reached.
	At time.Duration
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("sim: the run reached its cap limits.%s = %d at %v; raise it in the scenario's limits if the run is meant to be that large", e.Limit, e.Value, e.At)
}

// New creates a simulation.
func New(ctx context.Context, cfg Config) (*Sim, error) {
	net, err := netsim.New(cfg.network)
	if err != nil {
		return nil, fmt.Errorf("sim: network: %w", err)
	}
	eng, err := wasmhost.NewEngine(ctx, cfg.wasm)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	return &Sim{
		cfg: cfg, ctx: ctx, engine: eng, net: net,
		rec:         newRecorder(cfg),
		labels:      labels{},
		netRand:     Stream(cfg.seed, "network"),
		modules:     map[string]*wasmhost.Module{},
		byName:      map[string]int32{},
		paused:      map[int32]*pauseState{},
		pausedTotal: map[int32]int64{},
	}, nil
}

func newRecorder(cfg Config) *trace.Recorder {
	r := trace.NewRecorder(cfg.keepTrace, cfg.traceSink)
	r.KeepOnly(cfg.keepKinds)
	return r
}

// Stream returns the seeded random stream with the given name. Streams with
// different names are independent, so adding a node does not change the
// network's draws.
func Stream(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// Close releases every node store and the engine.
func (s *Sim) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, n := range s.nodes {
		if g := n.Guest(); g != nil {
			g.Close()
		}
		if st := n.Store(); st != nil { // nil if Start failed before opening it
			if err := st.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if s.shared != nil {
		errs = append(errs, s.shared.Close())
	}
	errs = append(errs, s.engine.Close(context.Background()))
	return errors.Join(errs...)
}

// LoadModule compiles and checks a guest module under a name.
func (s *Sim) LoadModule(name string, wasm []byte) error {
	if _, dup := s.modules[name]; dup {
		return fmt.Errorf("sim: module %q already loaded", name)
	}
	m, err := s.engine.Compile(s.ctx, name, wasm)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	s.modules[name] = m
	return nil
}

// LoadModuleFile reads and loads a .wasm file.
func (s *Sim) LoadModuleFile(name, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("sim: module %s: %w", name, err)
	}
	return s.LoadModule(name, b)
}

// NodeSpec describes nodes to add.
type NodeSpec struct {
	// Name is the node's name, or with Count > 1 the prefix of n0, n1, ...
	Name   string
	Count  int
	Module string
	Role   string
	Params json.RawMessage
	// Native, if set, runs this Go function as the node instead of a
	// module (Module is then ignored): a baseline, or a host-side service.
	Native nodes.NativeFunc
	// Service makes these nodes services (Maelstrom's lin-kv, ...): they
	// take the indices after every other node's and before the clients',
	// and guests find them under "services" in their init document, not
	// among the nodes.
	Service bool
}

// AddNodes adds nodes before the run starts and returns their names.
func (s *Sim) AddNodes(spec NodeSpec) ([]string, error) {
	if s.started {
		return nil, errors.New("sim: AddNodes after Start")
	}
	if _, ok := s.modules[spec.Module]; !ok && spec.Native == nil {
		return nil, fmt.Errorf("sim: node %q: unknown module %q", spec.Name, spec.Module)
	}
	count := max(spec.Count, 1)
	var names []string
	for i := range count {
		name := spec.Name
		if spec.Count > 1 {
			name = fmt.Sprintf("%s%d", spec.Name, i)
		}
		if _, dup := s.byName[name]; dup {
			return nil, fmt.Errorf("sim: duplicate node name %q", name)
		}
		s.byName[name] = -1 // index assigned at Start, after clients are known
		names = append(names, name)
		s.nodes = append(s.nodes, &nodes.Node{Spec: nodes.Spec{Name: name, Role: spec.Role, Params: spec.Params, Module: s.modules[spec.Module], Native: spec.Native, Service: spec.Service}})
	}
	return names, nil
}

// AddClients adds n host-side clients (c0, c1, ...) before the run starts.
func (s *Sim) AddClients(n int) ([]*Client, error) {
	if s.started {
		return nil, errors.New("sim: AddClients after Start")
	}
	var out []*Client
	for range n {
		c := &Client{sim: s, name: fmt.Sprintf("c%d", len(s.clients)), pending: map[int]*call{}}
		s.clients = append(s.clients, c)
		out = append(out, c)
	}
	return out, nil
}

// Start opens each node's store and schedules every boot at time 0.
func (s *Sim) Start() error {
	if s.started {
		return errors.New("sim: already started")
	}
	if len(s.nodes) == 0 {
		return errors.New("sim: no nodes")
	}
	s.started = true
	sort.SliceStable(s.nodes, func(i, j int) bool { return !s.nodes[i].Service && s.nodes[j].Service })
	var names, services []string
	for _, n := range s.nodes {
		if n.Service {
			services = append(services, n.Name)
		} else {
			names = append(names, n.Name)
		}
	}
	s.inFlight = make([]int64, len(s.nodes))
	s.inFlightN = make([]int64, len(s.nodes))
	cnames := make([]string, len(s.clients))
	for i, c := range s.clients {
		c.Index = int32(len(s.nodes) + i)
		cnames[i] = c.name
		if _, dup := s.byName[c.name]; dup {
			return fmt.Errorf("sim: client name %q is also a node's name", c.name)
		}
		s.byName[c.name] = c.Index
	}
	directory := nodes.NewDirectory(names, services, cnames, s.cfg.scale.initNames)
	for i, old := range s.nodes {
		st, err := s.openStore(old.Name)
		if err != nil {
			return fmt.Errorf("sim: node %s: %w", old.Name, err)
		}
		spec := old.Spec
		spec.Dir = directory
		spec.Index, spec.Peers, spec.Services, spec.Clients, spec.Seed, spec.LoseUnsynced = int32(i), names, services, cnames, s.cfg.seed, s.cfg.loseUnsynced
		k := &kernel{s: s}
		n := nodes.New(spec, k, s.engine, st, Stream(s.cfg.seed, "node/"+spec.Name))
		s.nodes[i] = n
		s.kernels = append(s.kernels, k)
		s.status = append(s.status, nodeStatus{})
		s.byName[n.Name] = int32(i)
		s.push(event{at: s.now, kind: evBoot, node: n})
	}
	return nil
}

// Now returns the current virtual time.
func (s *Sim) Now() time.Duration { return time.Duration(s.now) }

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

// Digest returns the SHA-256 of the trace so far.
func (s *Sim) Digest() string { return s.rec.Digest() }

// Observe calls fn with every trace event from now on, as it is recorded,
// on the goroutine that runs the simulation.
//
// With workers (Config.WithWorkers) events are recorded as a window
// commits, after the nodes have run ahead: fn must only read (the event,
// and the Sim's views); scheduling events or applying faults from fn is for
// one worker only.
func (s *Sim) Observe(fn func(trace.Event)) { s.rec.Observe(fn) }

// Events returns the trace (if kept).
func (s *Sim) Events() []trace.Event { return s.rec.Events() }

// History returns the client operations recorded so far.
func (s *Sim) History() []history.Op { return s.hist }

// Stats returns the counters so far.
func (s *Sim) Stats() trace.Stats {
	st := s.stats
	st.Events = s.rec.Count()
	st.Virtual = time.Duration(s.now)
	st.Wall = s.wall
	return st
}

// Seed returns the run's seed.
func (s *Sim) Seed() uint64 { return s.cfg.seed }

// Load is the most any one node has asked so far of the per-node caps on
// message rates, to compare with them (WithMaxInFlightMessages,
// wasmhost.Config.WithCallbacksPerSecond).
type Load struct {
	// InFlightMessages is the most messages of one node on their way at
	// once.
	InFlightMessages int64 `json:"in_flight_messages"`
	// CallbacksPerSecond is the most callbacks one node caused itself in
	// one second of virtual time.
	CallbacksPerSecond int `json:"callbacks_per_second"`
}

// PeakLoad returns the run's peak Load so far.
func (s *Sim) PeakLoad() Load {
	l := Load{InFlightMessages: s.peakInFlightN}
	for _, n := range s.nodes {
		l.CallbacksPerSecond = max(l.CallbacksPerSecond, n.PeakCallbacksPerSecond())
	}
	return l
}

// Reproducible is false when the wall-clock watchdog aborted a guest call:
// such a run depended on the machine's speed, not only on its seed.
func (s *Sim) Reproducible() bool { return !s.engine.WatchdogFired() }

// At schedules fn to run in the event loop at virtual time t (not before now).
func (s *Sim) At(t time.Duration, fn func()) {
	s.push(event{at: max(int64(t), s.now), kind: evFunc, fn: fn})
}

// After schedules fn to run d after now.
func (s *Sim) After(d time.Duration, fn func()) { s.At(time.Duration(s.now)+d, fn) }

// crash crashes a running node now, with a reason recorded in the trace;
// messages waiting for it while paused die with it.
func (s *Sim) crash(n *nodes.Node, reason string) error {
	if p := s.paused[n.Index]; p != nil {
		delete(s.paused, n.Index)
		for _, e := range p.stash {
			if e.kind == evDeliver {
				s.drop(e.msg, "node down")
			}
		}
	}
	return n.Crash(reason)
}

// restart boots a crashed node again (on_init with restart: true).
func (s *Sim) restart(n *nodes.Node) error {
	if n.State() == nodes.Running {
		return nil
	}
	return n.Boot(s.ctx)
}

func (s *Sim) push(e event) {
	s.seq++
	e.seq = s.seq
	s.q.push(e)
}

// ErrDeadlock is returned when the queue runs dry while clients still wait
// for replies that have no timeout.
var ErrDeadlock = errors.New("sim: deadlock: no events left while clients wait")

// Step runs the next event. It returns false when the queue is empty.
func (s *Sim) Step() (bool, error) {
	if !s.started {
		if err := s.Start(); err != nil {
			return false, err
		}
	}
	limit := int64(math.MaxInt64)
	if s.q.len() > 0 {
		limit = s.q.peek().at
	}
	if err := s.applyPins(limit); err != nil {
		return false, err
	}
	if s.q.len() == 0 {
		return false, s.deadlock()
	}
	start := time.Now()
	err := s.dispatch(s.q.pop())
	s.wall += time.Since(start)
	s.par.SerialEvents++
	if err == nil {
		err = s.capped()
	}
	return true, err
}

// Steps returns how many events the loop has dispatched so far.
func (s *Sim) Steps() uint64 { return s.steps }

// ApplyBefore pins f to the loop's before-th event (counted from 1): it is
// applied, as Apply would, just before that event is dispatched, with the
// clock moved to at if it is behind. This is how a fault applied by hand
// between two events replays exactly. Pins must come in the order of
// before; a pin whose event has passed is applied at the next chance.
func (s *Sim) ApplyBefore(before uint64, at time.Duration, f fault.Fault) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if n := len(s.pins); n > 0 && s.pins[n-1].before > before {
		return fmt.Errorf("sim: pinned fault before event %d comes after one before event %d", before, s.pins[n-1].before)
	}
	s.pins = append(s.pins, pin{before: before, at: int64(at), f: f})
	return nil
}

// applyPins applies the pinned faults that are due before the next event,
// as long as their time is at most limit.
func (s *Sim) applyPins(limit int64) error {
	for len(s.pins) > 0 && s.pins[0].before <= s.steps+1 && s.pins[0].at <= limit {
		p := s.pins[0]
		s.pins = s.pins[1:]
		s.now = max(s.now, p.at)
		if err := s.Apply(p.f); err != nil {
			return err
		}
	}
	return nil
}

// capped reports a run-wide cap the run has reached.
func (s *Sim) capped() error {
	switch {
	case s.cfg.maxEvents > 0 && s.rec.Count() > s.cfg.maxEvents:
		return &LimitError{Limit: "max_events", Value: s.cfg.maxEvents, At: time.Duration(s.now)}
	case s.cfg.maxTrace > 0 && s.rec.Bytes() > s.cfg.maxTrace:
		return &LimitError{Limit: "max_trace_bytes", Value: s.cfg.maxTrace, At: time.Duration(s.now)}
	}
	return nil
}

func (s *Sim) deadlock() error {
	var waits []string
	for _, c := range s.clients {
		ids := make([]int, 0, len(c.pending))
		for id := range c.pending {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		for _, id := range ids {
			p := c.pending[id]
			waits = append(waits, fmt.Sprintf("%s waits for %s's reply to msg %d (%s) since %v", c.name, s.name(p.to), id, p.typ, time.Duration(p.sent)))
		}
	}
	if len(waits) == 0 {
		return nil
	}
	return fmt.Errorf("%w at %v:\n  %s", ErrDeadlock, time.Duration(s.now), joinLines(waits))
}

func joinLines(l []string) string {
	var b bytes.Buffer
	for i, s := range l {
		if i > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// RunUntil runs every event due at or before virtual time t, then sets the
// clock to t. It stops early on a host error (not on guest crashes).
func (s *Sim) RunUntil(t time.Duration) error {
	if !s.started {
		if err := s.Start(); err != nil {
			return err
		}
	}
	start := time.Now()
	defer func() { s.wall += time.Since(start) }()
	for {
		if err := s.applyPins(int64(t)); err != nil {
			return err
		}
		if s.q.len() == 0 || s.q.peek().at > int64(t) || (len(s.pins) > 0 && s.pins[0].before <= s.steps+1) {
			break
		}
		if s.cfg.workers > 1 {
			if done, err := s.runWindow(int64(t)); done || err != nil {
				if err != nil {
					return err
				}
				continue
			}
		}
		if err := s.dispatch(s.q.pop()); err != nil {
			return err
		}
		s.par.SerialEvents++
		if err := s.afterEvent(); err != nil {
			return err
		}
	}
	if int64(t) > s.now {
		s.now = int64(t)
	}
	return s.rec.Err()
}

// RunFor runs for d of virtual time from now.
func (s *Sim) RunFor(d time.Duration) error { return s.RunUntil(time.Duration(s.now) + d) }

// RunUntilQuiescent runs until the queue is empty or the virtual deadline
// passes. An empty queue with clients still waiting is ErrDeadlock.
func (s *Sim) RunUntilQuiescent(deadline time.Duration) error {
	if err := s.RunUntil(deadline); err != nil {
		return err
	}
	if s.q.len() == 0 {
		return s.deadlock()
	}
	return nil
}

// Next returns the virtual time of the next queued event; false if none.
func (s *Sim) Next() (time.Duration, bool) {
	if s.q.len() == 0 {
		return 0, false
	}
	return time.Duration(s.q.peek().at), true
}

// Pending returns how many events are queued.
func (s *Sim) Pending() int { return s.q.len() }

// afterEvent checks, after each dispatched event, the context (every 1024
// events) and the run-wide caps.
func (s *Sim) afterEvent() error {
	if s.steps&1023 == 0 {
		if err := s.ctx.Err(); err != nil {
			return fmt.Errorf("sim: stopped at %v: %w", time.Duration(s.now), err)
		}
	}
	return s.capped()
}

func (s *Sim) dispatch(e event) error {
	s.now = e.at
	s.steps++
	switch e.kind {
	case evDeliver:
		return s.deliver(e.msg)
	case evTimer, evWake:
		if s.deferForPause(e) {
			return nil
		}
		if e.kind == evTimer {
			return e.node.FireTimer(e.id)
		}
		return e.node.FireWake(e.gen)
	case evBoot:
		return e.node.Boot(s.ctx)
	case evFunc, evTimeout:
		e.fn()
	}
	return nil
}

func (s *Sim) name(i int32) string {
	switch {
	case i >= 0 && int(i) < len(s.nodes):
		return s.nodes[i].Name
	case int(i) >= len(s.nodes) && int(i) < len(s.nodes)+len(s.clients):
		return s.clients[int(i)-len(s.nodes)].name
	}
	return fmt.Sprintf("#%d", i)
}

// send queues a message from one endpoint to another.
func (s *Sim) send(from, to int32, msg []byte) int32 { return s.sendMsg(from, to, msg, false) }

// sendMsg is send; owned says msg is the kernel's own copy already.
func (s *Sim) sendMsg(from, to int32, msg []byte, owned bool) int32 {
	if to < 0 || int(to) >= len(s.nodes)+len(s.clients) {
		return wasmhost.ErrnoNoDest
	}
	node := from >= 0 && int(from) < len(s.inFlight) // nodes, once started
	if node && s.cfg.maxInFlightN > 0 && s.inFlightN[from] >= s.cfg.maxInFlightN {
		// Sends from a node come only from its guest's host calls
		// (kernel.Send), where Stop crashes the node. A replayed window
		// never gets here: its worker saw an upper bound under the cap.
		wasmhost.Stop(inFlightMessagesQuota(s.cfg.maxInFlightN))
	}
	if node && s.cfg.maxInFlight > 0 && s.inFlight[from]+int64(len(msg)) > s.cfg.maxInFlight {
		return wasmhost.ErrnoQuota
	}
	s.msgSeq++
	if !owned {
		msg = bytes.Clone(msg)
	}
	m := &message{id: s.msgSeq, from: from, to: to, payload: msg}
	if int(to) < len(s.nodes) {
		m.toInc = s.nodes[to].Incarnation()
	}
	label := s.labels.of(msg)
	s.stats.Sent++
	s.rec.RecordImmutable(trace.Event{Time: s.now, Kind: trace.KindSend, Node: from, Peer: to, Msg: m.id, Label: label, Data: m.payload})
	extra, copies, held := int64(0), 1, false
	if f := s.matchFilter(label, from, to); f != nil {
		switch f.Action {
		case FilterDrop:
			s.drop(m, "filter")
			return 0
		case FilterDelay:
			extra = int64(f.Delay)
		case FilterDuplicate:
			copies = 2
		case FilterHold:
			held = true
		}
	}
	fate := s.net.Fate(from, to, s.netRand)
	if fate.Dropped {
		s.drop(m, fate.Reason)
		return 0
	}
	delays := fate.Delays
	if copies == 2 && len(delays) == 1 {
		delays = append(delays, delays[0])
	}
	if node {
		m.pending = len(delays)
		if held {
			m.pending = 1
		}
		s.inFlight[from] += int64(len(m.payload))
		if s.inFlightN[from]++; s.inFlightN[from] > s.peakInFlightN {
			s.peakInFlightN = s.inFlightN[from]
		}
	}
	if held {
		s.held = append(s.held, heldMsg{msg: m, since: s.now})
		return 0
	}
	for i, d := range delays {
		if i > 0 {
			s.stats.Duplicated++
			s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindDuplicate, Node: from, Peer: to, Msg: m.id, Label: label})
		}
		s.push(event{at: s.now + d + extra, kind: evDeliver, msg: m})
	}
	return 0
}

// inFlightMessagesQuota is the crash reason of a node over its in-flight
// message count.
func inFlightMessagesQuota(limit int64) string {
	return wasmhost.Quota("in_flight_messages", "more than %d of this node's messages on their way at once (a flood that grows with every hop?)", limit)
}

// landed settles one copy of m: delivered or dropped.
func (s *Sim) landed(m *message) {
	if m.pending > 0 {
		if m.pending--; m.pending == 0 {
			s.inFlight[m.from] -= int64(len(m.payload))
			s.inFlightN[m.from]--
		}
	}
}

func (s *Sim) drop(m *message, reason string) {
	s.landed(m)
	s.stats.Dropped++
	s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindDrop, Node: m.to, Peer: m.from, Msg: m.id, Label: reason})
}

func (s *Sim) deliver(m *message) error {
	if s.net.Cut(m.from, m.to) {
		s.drop(m, "partition")
		return nil
	}
	if s.isHeld(m.from, m.to) {
		s.held = append(s.held, heldMsg{msg: m, since: s.now})
		return nil
	}
	if int(m.to) < len(s.nodes) && s.paused[m.to] != nil {
		s.paused[m.to].stash = append(s.paused[m.to].stash, event{kind: evDeliver, msg: m})
		return nil
	}
	if int(m.to) >= len(s.nodes) {
		s.landed(m)
		s.stats.Delivered++
		s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindDeliver, Node: m.to, Peer: m.from, Msg: m.id})
		s.clients[int(m.to)-len(s.nodes)].receive(m)
		return nil
	}
	n := s.nodes[m.to]
	if n.State() != nodes.Running || n.Incarnation() != m.toInc {
		s.drop(m, "node down")
		return nil
	}
	s.landed(m)
	s.stats.Delivered++
	s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindDeliver, Node: m.to, Peer: m.from, Msg: m.id})
	return n.Deliver(m.from, m.payload)
}

// msgType finds the JSON "type" of a Maelstrom-shaped message without
// decoding it: the first "type" key's string value, else "".
func msgType(b []byte) string { return string(msgTypeBytes(b)) }

// msgTypeBytes is msgType's bytes (nil for none); they alias b.
func msgTypeBytes(b []byte) []byte {
	i := bytes.Index(b, []byte(`"type"`))
	if i < 0 {
		return nil
	}
	rest := skipSpace(b[i+6:])
	if len(rest) == 0 || rest[0] != ':' {
		return nil
	}
	rest = skipSpace(rest[1:])
	if len(rest) == 0 || rest[0] != '"' {
		return nil
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end <= 0 || end > 64 {
		return nil
	}
	return rest[1 : 1+end]
}

// skipSpace drops JSON white space from the front of b.
func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// WasmConfig returns the guest engine configuration.
func (c Config) WasmConfig() wasmhost.Config { return c.wasm }

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
