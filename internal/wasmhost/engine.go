// Package wasmhost runs Terrarium guests in wazero: it compiles a module
// once, instruments it with a deterministic fuel meter, checks it against
// guest ABI v1 (docs/ABI.md), and instantiates it once per node with the
// `terrarium` host module and a deterministic WASI.
//
// Nothing in this package reads the wall clock or an unseeded random source
// on behalf of a guest: the clocks, the random stream and the node's effects
// all come through the Host interface the caller supplies.
//
// A guest, however hostile, can only crash its own node: every range it
// passes is checked in 64 bits, every callback runs on a fuel budget, and
// the per-callback quotas of Config (sends, bytes sent, timers, log bytes)
// are counted here; the per-node ones are the Host's (package nodes).
package wasmhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/terrarium-sim/terrarium/runtime/limits"
)

// Defaults for Config (limits.Default holds them all).
const (
	// DefaultMemoryPages caps each node at 256 MiB of linear memory.
	DefaultMemoryPages = limits.DefaultMemoryPages
	// DefaultFuel is the per-callback budget. A Go guest's runtime start-up
	// spends a few million units; a handler usually far fewer.
	DefaultFuel = limits.DefaultFuel
	// DefaultInitFuel is the budget for _initialize and on_init together.
	DefaultInitFuel = 20_000_000_000
	// DefaultMaxMessage is the largest message a guest may send.
	DefaultMaxMessage = limits.DefaultMaxMessageBytes
	// DefaultFuelPerByte is the fuel a callback gets on top of its budget
	// for each byte delivered to it and each byte it sends (docs/ABI.md,
	// "Limits"). The Go echo plugin spends ~24,000 units per byte of a
	// request, and a broadcast hub ~12,500 per byte of gossip it sends (Go's
	// wasm code jumps through each function's loop head, which the cost
	// model charges the whole function); this is twice the larger.
	DefaultFuelPerByte = limits.DefaultFuelPerByte
)

// Default quotas (docs/ABI.md, "Limits"; the scenario's limits: fields of
// the same names raise or lower them).
const (
	// DefaultSendsPerCallback caps the sends of one callback.
	DefaultSendsPerCallback = limits.DefaultSendsPerCallback
	// DefaultSendBytesPerCallback caps the bytes one callback sends.
	DefaultSendBytesPerCallback = limits.DefaultSendBytesPerCallback
	// DefaultPendingTimers caps a node's pending timers, and also the
	// timer_set calls of one callback.
	DefaultPendingTimers = limits.DefaultPendingTimers
	// DefaultCallbacksPerInstant caps the callbacks (boot, message, timer,
	// wake-up) one node runs at one virtual instant.
	DefaultCallbacksPerInstant = limits.DefaultCallbacksPerInstant
	// DefaultCallbacksPerSecond caps the callbacks one node causes itself
	// (boot, timers, wake-ups, messages to itself) in one second of virtual
	// time.
	DefaultCallbacksPerSecond = limits.DefaultCallbacksPerSecond
	// DefaultLogLineBytes caps one log line (longer ones are truncated with
	// a marker) and one emitted event (key plus value; longer ones crash).
	DefaultLogLineBytes = limits.DefaultLogLineBytes
	// DefaultLogBytesPerCallback caps the log and emit bytes of one callback.
	DefaultLogBytesPerCallback = limits.DefaultLogBytesPerCallback
	// DefaultLogBytesPerRun caps the log and emit bytes of one node in a run.
	DefaultLogBytesPerRun = limits.DefaultLogBytesPerRun
	// DefaultStoreBytes caps a node's store (synced pairs plus buffered
	// writes).
	DefaultStoreBytes = limits.DefaultStoreBytes
	// DefaultFSBytes caps a node's in-memory file system (memfs.go).
	DefaultFSBytes = limits.DefaultFSBytes
)

// Config configures an Engine. The zero value is not useful: start from
// NewConfig, which sets the defaults; every With method returns a copy.
type Config struct {
	interpreter bool
	cacheDir    string
	noCache     bool
	memoryPages uint32
	fuel        int64
	initFuel    int64
	noFuel      bool
	maxMessage  int
	watchdog    time.Duration
	noImage     bool
	fuelPerByte int64
	spinFuel    int64
	quotas      limits.Quotas
	env         []envVar // sorted by key (WithEnv)
}

type envVar struct{ key, value string }

// NewConfig returns the default configuration: wazero's compiler engine, a
// compilation cache under the user cache directory, DefaultMemoryPages,
// DefaultFuel.
func NewConfig() Config {
	return Config{memoryPages: DefaultMemoryPages, fuel: DefaultFuel, initFuel: DefaultInitFuel, maxMessage: DefaultMaxMessage,
		fuelPerByte: DefaultFuelPerByte, quotas: limits.DefaultQuotas()}
}

// WithInterpreter selects wazero's interpreter instead of its compiler.
func (c Config) WithInterpreter(on bool) Config { c.interpreter = on; return c }

// WithCacheDir sets the compilation cache directory; "" disables the cache.
func (c Config) WithCacheDir(dir string) Config {
	c.cacheDir, c.noCache = dir, dir == ""
	return c
}

// WithMemoryPages caps each instance's linear memory, in 64 KiB pages
// (1..65536). 65,536 means MaxUsablePages in both engines.
func (c Config) WithMemoryPages(pages uint32) Config { c.memoryPages = pages; return c }

// MaxUsablePages is the largest memory a guest gets: 4 GiB less one page.
// wazero v1.12's compiler reads a memory's byte length as 32 bits, so in a
// full 4 GiB memory (65,536 pages) every access traps and memory.size reads
// 0, while the interpreter works; capping both engines one page lower keeps
// their runs identical. A limit of 65,536 pages is accepted and means this.
const MaxUsablePages = 65535

// pages is the memory limit the engines enforce.
func (c Config) pages() uint32 { return min(c.memoryPages, MaxUsablePages) }

// memoryBytes is a node's memory budget in bytes: its linear memory and its
// tables together (docs/ABI.md, "Limits").
func (c Config) memoryBytes() int64 { return int64(c.pages()) * 65536 }

// WithFuel sets the per-callback CPU budget in fuel units; 0 turns metering off.
func (c Config) WithFuel(units int64) Config {
	c.fuel, c.noFuel = units, units == 0
	if c.initFuel < units*10 {
		c.initFuel = units * 10
	}
	return c
}

// WithSpinFuel sets the spin window: the most fuel a callback may use with
// no send, timer_set, store write, log line, emit, stdout or stderr line
// and no idle point in between; 0 (the default) turns it off. A guest that
// uses more crashes with "spin wait in WHERE": it loops waiting for what
// cannot happen while it runs (docs/ABI.md, "Limits"). With a window, the
// whole budget (WithFuel) can be sized for a callback's legitimate work
// and a busy wait is still stopped early and named.
func (c Config) WithSpinFuel(units int64) Config { c.spinFuel = units; return c }

// WithInitFuel sets the budget of a node's boot: the module's start
// function, and _initialize with on_init (each gets the whole budget).
func (c Config) WithInitFuel(units int64) Config { c.initFuel = units; return c }

// WithWatchdog sets a wall-clock backstop: a guest call running longer than
// d is aborted (its node crashes) and the engine reports WatchdogFired, which
// means the run is no longer a pure function of its seed. 0 (the default)
// turns it off: the fuel budget already stops runaway guests
// deterministically, and wazero's close-on-context-done check that the
// watchdog needs costs ~100 ns per loop iteration here (RATIONALE.md).
func (c Config) WithWatchdog(d time.Duration) Config { c.watchdog = d; return c }

// Watchdog returns the watchdog's wall-clock limit (0: off).
func (c Config) Watchdog() time.Duration { return c.watchdog }

// WithMemoryImage chooses whether a module's data segments become a memory
// image mapped copy-on-write into each instance (Linux; on by default)
// instead of being copied at every instantiation.
func (c Config) WithMemoryImage(on bool) Config { c.noImage = !on; return c }

// WithEnv sets an environment variable every guest sees through WASI
// (environ_get); a value of "" removes it. Guests have no environment
// unless one is set: the runner gives Go guests of large runs GOGC
// (RATIONALE.md, "Scale: what a node costs"). The variables are the same
// for every node and every run with this configuration, so they keep
// runs pure functions of their seed. A key that is empty or holds '=' or
// a NUL byte, or a value holding a NUL byte, is refused by NewEngine.
func (c Config) WithEnv(key, value string) Config {
	env := make([]envVar, 0, len(c.env)+1)
	for _, kv := range c.env {
		if kv.key != key {
			env = append(env, kv)
		}
	}
	if value != "" {
		env = append(env, envVar{key, value})
	}
	sort.Slice(env, func(i, j int) bool { return env[i].key < env[j].key })
	c.env = env
	return c
}

// Env returns the guests' environment variables as KEY=value, by key.
func (c Config) Env() []string {
	out := make([]string, len(c.env))
	for i, kv := range c.env {
		out[i] = kv.key + "=" + kv.value
	}
	return out
}

// WithMaxMessage sets the largest message, in bytes, a guest may send.
func (c Config) WithMaxMessage(n int) Config { c.maxMessage = n; return c }

// WithFuelPerByte sets the fuel a callback gets on top of its budget for
// each byte delivered to it (the message, or the init document), so that
// legal large messages fit.
func (c Config) WithFuelPerByte(units int64) Config { c.fuelPerByte = units; return c }

// WithSendsPerCallback caps the sends of one callback; the node crashes on
// the next one.
func (c Config) WithSendsPerCallback(n int) Config { c.quotas.SendsPerCallback = n; return c }

// WithSendBytesPerCallback caps the bytes one callback sends; the node
// crashes on the send that goes over.
func (c Config) WithSendBytesPerCallback(n int64) Config { c.quotas.SendBytesPerCallback = n; return c }

// WithPendingTimers caps a node's pending timers and the timer_set calls of
// one callback; the node crashes on the next one.
func (c Config) WithPendingTimers(n int) Config { c.quotas.PendingTimers = n; return c }

// WithCallbacksPerInstant caps the callbacks one node runs at one virtual
// instant (a zero-delay timer loop, a flood of messages to itself); the
// node crashes instead of running the next one.
func (c Config) WithCallbacksPerInstant(n int) Config { c.quotas.CallbacksPerInstant = n; return c }

// WithCallbacksPerSecond caps the callbacks one node causes itself (its
// boot, timers, wake-ups, messages to itself) in one second of virtual time
// (the seconds from 0s, 1s, 2s, ...): a timer loop with a tiny delay, or a
// flood of messages to itself; the node crashes instead of running the
// next one. Messages from others do not count.
func (c Config) WithCallbacksPerSecond(n int) Config { c.quotas.CallbacksPerSecond = n; return c }

// WithLogLineBytes caps one log line (truncated, with a marker) and one
// emitted event (the node crashes).
func (c Config) WithLogLineBytes(n int) Config { c.quotas.LogLineBytes = n; return c }

// WithLogBytes caps a node's log and emit bytes per callback and per run
// (each record costs RecordOverhead more); the node crashes past either.
func (c Config) WithLogBytes(perCallback, perRun int64) Config {
	c.quotas.LogBytesPerCallback, c.quotas.LogBytesPerRun = perCallback, perRun
	return c
}

// WithStoreBytes caps a node's store: kv_put returns ErrnoQuota past it.
func (c Config) WithStoreBytes(n int64) Config { c.quotas.StoreBytes = n; return c }

// WithFSBytes caps a node's in-memory file system (file data plus 256
// bytes an entry); writes past it fail with EIO.
func (c Config) WithFSBytes(n int64) Config { c.quotas.FSBytes = n; return c }

// WithKeyValueBytes lowers the longest key and value kv_put accepts (at most
// abi.MaxKeyBytes and abi.MaxValueBytes); longer ones get ErrnoTooLarge.
func (c Config) WithKeyValueBytes(key, val int) Config {
	c.quotas.MaxKeyBytes, c.quotas.MaxValueBytes = key, val
	return c
}

// Quotas returns the configured quotas.
func (c Config) Quotas() limits.Quotas { return c.quotas }

func (c Config) validate() error {
	q := c.quotas
	hi := func(key string) int64 { f, _ := limits.Lookup(key); return f.Max } // the limits: field's range
	for _, b := range []struct {
		name   string
		v, max int64
	}{
		{"sends per callback", int64(q.SendsPerCallback), hi("sends_per_callback")},
		{"send bytes per callback", q.SendBytesPerCallback, hi("send_bytes_per_callback")},
		{"pending timers", int64(q.PendingTimers), hi("pending_timers")},
		{"callbacks per instant", int64(q.CallbacksPerInstant), hi("callbacks_per_instant")},
		{"callbacks per second", int64(q.CallbacksPerSecond), hi("callbacks_per_second")},
		{"log line bytes", int64(q.LogLineBytes), hi("log_line_bytes")},
		{"log bytes per callback", q.LogBytesPerCallback, hi("log_bytes_per_callback")},
		{"log bytes per run", q.LogBytesPerRun, hi("log_bytes_per_run")},
		{"store bytes", q.StoreBytes, hi("store_bytes")},
		{"fs bytes", q.FSBytes, hi("fs_bytes")},
		{"max key bytes", int64(q.MaxKeyBytes), hi("max_key_bytes")},
		{"max value bytes", int64(q.MaxValueBytes), hi("max_value_bytes")},
	} {
		if b.v < 1 || b.v > b.max {
			return fmt.Errorf("wasmhost: %s %d is outside 1..%d", b.name, b.v, b.max)
		}
	}
	if c.fuelPerByte < 0 {
		return fmt.Errorf("wasmhost: fuel per byte %d is negative", c.fuelPerByte)
	}
	for _, kv := range c.env {
		if kv.key == "" || strings.ContainsAny(kv.key, "=\x00") || strings.ContainsRune(kv.value, 0) {
			return fmt.Errorf("wasmhost: environment variable %q=%q: the key must be non-empty without '=' or NUL, the value without NUL", kv.key, kv.value)
		}
	}
	if c.memoryPages == 0 || c.memoryPages > 65536 {
		return fmt.Errorf("wasmhost: memory limit %d pages is outside 1..65536", c.memoryPages)
	}
	if c.spinFuel < 0 {
		return fmt.Errorf("wasmhost: spin fuel %d is negative", c.spinFuel)
	}
	if c.fuel < 0 || c.initFuel < 0 {
		return fmt.Errorf("wasmhost: fuel %d or init fuel %d is negative", c.fuel, c.initFuel)
	}
	if c.maxMessage <= 0 {
		return fmt.Errorf("wasmhost: max message %d must be positive", c.maxMessage)
	}
	return nil
}

// Engine owns one wazero runtime with the host modules instantiated.
// It is not safe for concurrent use: one simulation's event loop drives it.
type Engine struct {
	cfg Config
	rt  wazero.Runtime

	// watchdog state, touched by the event loop and the watchdog goroutine
	running  atomic.Pointer[Instance]
	callSeq  atomic.Uint64
	fired    atomic.Bool
	stopDog  chan struct{}
	stopOnce sync.Once
	images   []*memImage
}

// NewEngine creates a wazero runtime configured by cfg.
func NewEngine(ctx context.Context, cfg Config) (*Engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var rc wazero.RuntimeConfig
	if cfg.interpreter {
		rc = wazero.NewRuntimeConfigInterpreter()
	} else {
		rc = wazero.NewRuntimeConfigCompiler()
	}
	rc = rc.WithMemoryLimitPages(cfg.pages()).WithCloseOnContextDone(cfg.watchdog > 0)
	if !cfg.noCache {
		dir := cfg.cacheDir
		if dir == "" {
			base, err := os.UserCacheDir()
			if err != nil {
				base = os.TempDir()
			}
			dir = filepath.Join(base, "terrarium", "wazero")
		}
		cache, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("wasmhost: compilation cache %s: %w", dir, err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	e := &Engine{cfg: cfg, rt: rt}
	if err := e.instantiateHostModules(ctx); err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	if cfg.watchdog > 0 {
		e.stopDog = make(chan struct{})
		go e.watch(cfg.watchdog)
	}
	return e, nil
}

// watch aborts a guest call that has run for longer than d of wall time.
func (e *Engine) watch(d time.Duration) {
	tick := time.NewTicker(d / 4)
	defer tick.Stop()
	var lastSeq uint64
	var since time.Time
	for {
		select {
		case <-e.stopDog:
			return
		case now := <-tick.C:
			seq, in := e.callSeq.Load(), e.running.Load()
			if in == nil || seq != lastSeq {
				lastSeq, since = seq, now
				continue
			}
			if now.Sub(since) >= d {
				e.fired.Store(true)
				in.Abort()
				since = now
			}
		}
	}
}

// WatchdogFired reports whether the wall-clock watchdog ever aborted a call:
// if it did, the run depended on the machine's speed.
func (e *Engine) WatchdogFired() bool { return e.fired.Load() }

// Close releases the runtime and every instance made from it.
func (e *Engine) Close(ctx context.Context) error {
	if e.stopDog != nil {
		e.stopOnce.Do(func() { close(e.stopDog) })
	}
	err := e.rt.Close(ctx)
	for _, im := range e.images {
		im.close()
	}
	e.images = nil
	return err
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

func (e *Engine) instantiateHostModules(ctx context.Context) error {
	wb := e.rt.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(wb)
	if err := commandWASI(ctx, e.rt, wb, wasi_snapshot_preview1.NewFunctionExporter()); err != nil {
		return err
	}
	i32 := api.ValueTypeI32
	wb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(pollOneoff), []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}).
		WithParameterNames("in", "out", "nsubscriptions", "result.nevents").Export("poll_oneoff")
	if _, err := wb.Instantiate(ctx); err != nil {
		return fmt.Errorf("wasmhost: instantiate WASI: %w", err)
	}
	eb := e.rt.NewHostModuleBuilder(EnvModule)
	eb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(envAbort), []api.ValueType{i32, i32, i32, i32}, nil).
		WithParameterNames("message", "file_name", "line", "column").Export("abort")
	if _, err := eb.Instantiate(ctx); err != nil {
		return fmt.Errorf("wasmhost: instantiate env: %w", err)
	}
	tb := e.rt.NewHostModuleBuilder(HostModule)
	for _, f := range hostFuncs {
		tb.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.results).Export(f.name)
	}
	if _, err := tb.Instantiate(ctx); err != nil {
		return fmt.Errorf("wasmhost: instantiate host module: %w", err)
	}
	return nil
}

// Module is a compiled, checked guest module, ready to instantiate per node.
type Module struct {
	name     string
	sha256   [32]byte
	compiled wazero.CompiledModule
	fueled   bool
	hasInit  bool // _initialize
	hasTimer bool
	hasWake  bool
	// hasEnvelope: the module exports on_envelope.
	hasEnvelope bool
	hasStart    bool // the start function, exported by the fuel rewriter
	command     bool // a WASI command guest (command.go)
	// image, if set, is the initial memory mapped into each instance (the
	// data section was taken out of the compiled module).
	image *memImage
}

// Command reports whether the module is a WASI command guest (it exports
// _start and not terrarium_abi_v1; docs/ABI.md, "Command guests").
func (m *Module) Command() bool { return m.command }

// Name returns the module's name as given to Compile.
func (m *Module) Name() string { return m.name }

// SHA256 returns the digest of the module's original bytes.
func (m *Module) SHA256() [32]byte { return m.sha256 }

// Compile takes wasm through the pipeline Validate runs too (pipeline.go):
// it checks the bounds and instruments the module for fuel (compiling the
// instrumented form unless metering is off), takes its data segments out
// as an initial memory image where images are on, compiles it and checks
// it against ABI v1. The error names the offending symbol.
func (e *Engine) Compile(ctx context.Context, name string, wasm []byte) (*Module, error) {
	m := &Module{name: name, sha256: sha256.Sum256(wasm), fueled: !e.cfg.noFuel}
	p := pipeline{memoryBytes: e.cfg.memoryBytes(), meter: m.fueled}
	if imageSupported && !e.cfg.noImage {
		p.data = dataImage
	}
	cm, img, fail := p.run(ctx, e.rt, wasm)
	if fail != nil {
		if fail.step == stepCompile {
			return nil, fmt.Errorf("module %s: compile: %w", name, fail.err)
		}
		return nil, fmt.Errorf("module %s: %w", name, fail.err)
	}
	if img != nil {
		var err error
		if m.image, err = newImage(name, img); err != nil {
			_ = cm.Close(ctx)
			return nil, err
		}
		e.images = append(e.images, m.image)
	}
	exports := cm.ExportedFunctions()
	_, m.hasInit = exports["_initialize"]
	_, m.hasTimer = exports["on_timer"]
	_, m.hasWake = exports["on_wake"]
	_, m.hasEnvelope = exports["on_envelope"]
	_, m.hasStart = exports[startExport]
	m.command = isCommand(exports)
	m.compiled = cm
	return m, nil
}

// startExport is the name under which the fuel rewriter exports a module's
// start function, which the host then calls itself, on a budget it can read.
const startExport = "terrarium_start"

// ErrABI is wrapped by every error that rejects a module for breaking ABI v1.
var ErrABI = errors.New("wasmhost: module breaks guest ABI v1")
