package sim

import (
	"io"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Config configures a Sim. Start from NewConfig; each With method returns a
// modified copy, and New validates the whole.
type Config struct {
	seed         uint64
	wasm         wasmhost.Config // the defaults and the limits (WithLimits); engine goes on top (wasmConfig)
	engine       Engine
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
	checkpoints  uint64
	pool         *EnginePool // pool.go
	attackBudget int64
}

// Run-wide caps by default (see WithMaxEvents, WithMaxTraceBytes), and the
// default caps on one node's bytes and messages in flight
// (WithMaxInFlightBytes, WithMaxInFlightMessages).
const (
	DefaultMaxEvents           = limits.DefaultMaxEvents
	DefaultMaxTraceBytes       = limits.DefaultMaxTraceBytes
	DefaultMaxInFlightBytes    = limits.DefaultInFlightBytes
	DefaultMaxInFlightMessages = limits.DefaultInFlightMessages
)

// NewConfig returns the defaults: seed 1, the engine's defaults (a zero
// Engine, limits.Default), 1 ms constant
// latency without loss, events kept in memory, stores in memory.
func NewConfig() Config {
	return Config{seed: 1, wasm: wasmhost.NewConfig(), network: netsim.Link{Latency: netsim.Constant(time.Millisecond)}, keepTrace: true,
		maxEvents: DefaultMaxEvents, maxTrace: DefaultMaxTraceBytes, maxInFlight: DefaultMaxInFlightBytes, maxInFlightN: DefaultMaxInFlightMessages,
		attackBudget: limits.DefaultAttackBudget}
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

// WithEngine sets how the guest engine runs (see Engine); the limits and
// quotas it enforces are set with WithLimits. c keeps its own copy of e.Env.
func (c Config) WithEngine(e Engine) Config {
	e.Env = slices.Clone(e.Env)
	c.engine = e
	return c
}

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

// WithCheckpoints takes a trace checkpoint (the digest so far) after
// every n events (0: none; trace.Recorder.CheckpointEvery). Read them with
// Sim.Checkpoints; the run and its digest do not change.
func (c Config) WithCheckpoints(n uint64) Config { c.checkpoints = n; return c }

// Workers returns the configured number of workers (0: one).
func (c Config) Workers() int { return c.workers }

// Engine returns the configured Engine (with a copy of its Env).
func (c Config) Engine() Engine {
	e := c.engine
	e.Env = slices.Clone(e.Env)
	return e
}
