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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/keys"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Sim is one simulation.
type Sim struct {
	cfg Config
	// halt, once set (Halt), stops the loop before its next event.
	halt    error
	ctx     context.Context
	engine  *wasmhost.Engine
	net     *netsim.Network
	rec     *trace.Recorder
	labels  labels // interned message types
	netRand *rand.Rand
	// pcgs are the sources of netRand and, after it, of every node's
	// stream, in node order: what a snapshot copies of the randomness.
	pcgs    []*rand.PCG
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
	choice  *choices     // the chooser at the choice points, if any (choice.go)
	adv     *adversary   // the network's adversary (adversary.go); nil until used
	attacks int8         // whether any node is an attacker: 0 not yet known, 1 no, 2 yes
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
	var eng *wasmhost.Engine
	if cfg.pool != nil {
		eng, err = cfg.pool.get(ctx, cfg.wasmConfig())
	} else {
		eng, err = wasmhost.NewEngine(ctx, cfg.wasmConfig())
	}
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	netRand, netPCG := stream(cfg.seed, "network")
	return &Sim{
		cfg: cfg, ctx: ctx, engine: eng, net: net,
		rec:         newRecorder(cfg),
		labels:      labels{},
		netRand:     netRand,
		pcgs:        []*rand.PCG{netPCG},
		modules:     map[string]*wasmhost.Module{},
		byName:      map[string]int32{},
		paused:      map[int32]*pauseState{},
		pausedTotal: map[int32]int64{},
	}, nil
}

func newRecorder(cfg Config) *trace.Recorder {
	r := trace.NewRecorder(cfg.keepTrace, cfg.traceSink)
	r.KeepOnly(cfg.keepKinds)
	r.CheckpointEvery(cfg.checkpoints)
	return r
}

// Stream returns the seeded random stream with the given name. Streams with
// different names are independent, so adding a node does not change the
// network's draws.
func Stream(seed uint64, name string) *rand.Rand {
	r, _ := stream(seed, name)
	return r
}

// stream is Stream and its source.
func stream(seed uint64, name string) (*rand.Rand, *rand.PCG) {
	h := fnv.New64a()
	h.Write([]byte(name))
	p := rand.NewPCG(seed, h.Sum64())
	return rand.New(p), p
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
	if s.cfg.pool == nil {
		errs = append(errs, s.engine.Close(context.Background()))
	}
	return errors.Join(errs...)
}

// LoadModule compiles and checks a guest module under a name.
func (s *Sim) LoadModule(name string, wasm []byte) error {
	if _, dup := s.modules[name]; dup {
		return fmt.Errorf("sim: module %q already loaded", name)
	}
	var m *wasmhost.Module
	var err error
	if s.cfg.pool != nil {
		m, err = s.cfg.pool.compile(s.ctx, name, wasm)
	} else {
		m, err = s.engine.Compile(s.ctx, name, wasm)
	}
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
		spec.Security = security{s: s, keys: keys.New(s.cfg.seed)}
		k := &kernel{s: s}
		rng, pcg := stream(s.cfg.seed, "node/"+spec.Name)
		n := nodes.New(spec, k, wasmEngine{s.engine}, st, rng)
		s.pcgs = append(s.pcgs, pcg)
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

// Digest returns the SHA-256 of the trace so far.
func (s *Sim) Digest() string { return s.rec.Digest() }

// Checkpoints returns the trace checkpoints taken so far
// (Config.WithCheckpoints).
func (s *Sim) Checkpoints() []trace.Checkpoint { return s.rec.Checkpoints() }

// Observe calls fn with every trace event from now on, as it is recorded,
// on the goroutine that runs the simulation.
//
// With workers (Config.WithWorkers) events are recorded as a window
// commits, after the nodes have run ahead: fn must only read (the event,
// and the Sim's views); scheduling events or applying faults from fn is for
// one worker only.
func (s *Sim) Observe(fn func(trace.Event)) { s.rec.Observe(fn) }

// Halt stops the loop before its next event: Step and RunUntil return err
// from then on. An Observe callback calls it to end a run at the event
// that decided it (a search needs no more of a run that has failed). With
// workers (Config.WithWorkers) the window being committed is finished
// first.
func (s *Sim) Halt(err error) {
	if s.halt == nil {
		s.halt = err
	}
}

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

// wasmEngine gives nodes their guests from the Wasm engine.
type wasmEngine struct{ e *wasmhost.Engine }

// Instantiate implements nodes.Engine.
func (w wasmEngine) Instantiate(ctx context.Context, m nodes.Module, host abi.Host, clock abi.Clock, random func(p []byte)) (nodes.Guest, error) {
	wm, ok := m.(*wasmhost.Module)
	if !ok {
		return nil, fmt.Errorf("sim: module %q was not compiled by the Wasm engine", m.Name())
	}
	inst, err := w.e.Instantiate(ctx, wm, host, clock, random)
	if err != nil {
		return nil, err
	}
	return inst, nil
}

// Quotas implements nodes.Engine.
func (w wasmEngine) Quotas() limits.Quotas { return w.e.Config().Quotas() }
