// Package wasmhost runs Terrarium guests in wazero: it compiles a module
// once, instruments it with a deterministic fuel meter, checks it against
// guest ABI v1 (docs/ABI.md), and instantiates it once per node with the
// `terrarium` host module and a deterministic WASI.
//
// Nothing in this package reads the wall clock or an unseeded random source
// on behalf of a guest: the clocks, the random stream and the node's effects
// all come through the Host interface the caller supplies.
package wasmhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/terrarium-sim/terrarium/runtime/fuel"
)

// Defaults for Config.
const (
	// DefaultMemoryPages caps each node at 256 MiB of linear memory.
	DefaultMemoryPages = 4096
	// DefaultFuel is the per-callback budget. A Go guest's runtime start-up
	// spends a few million units; a handler usually far fewer.
	DefaultFuel = 2_000_000_000
	// DefaultInitFuel is the budget for _initialize and on_init together.
	DefaultInitFuel = 20_000_000_000
	// DefaultMaxMessage is the largest message a guest may send.
	DefaultMaxMessage = 4 << 20
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
}

// NewConfig returns the default configuration: wazero's compiler engine, a
// compilation cache under the user cache directory, DefaultMemoryPages,
// DefaultFuel.
func NewConfig() Config {
	return Config{memoryPages: DefaultMemoryPages, fuel: DefaultFuel, initFuel: DefaultInitFuel, maxMessage: DefaultMaxMessage}
}

// WithInterpreter selects wazero's interpreter instead of its compiler.
func (c Config) WithInterpreter(on bool) Config { c.interpreter = on; return c }

// WithCacheDir sets the compilation cache directory; "" disables the cache.
func (c Config) WithCacheDir(dir string) Config {
	c.cacheDir, c.noCache = dir, dir == ""
	return c
}

// WithMemoryPages caps each instance's linear memory, in 64 KiB pages.
func (c Config) WithMemoryPages(pages uint32) Config { c.memoryPages = pages; return c }

// WithFuel sets the per-callback CPU budget in fuel units; 0 turns metering off.
func (c Config) WithFuel(units int64) Config {
	c.fuel, c.noFuel = units, units == 0
	if c.initFuel < units*10 {
		c.initFuel = units * 10
	}
	return c
}

// WithWatchdog sets a wall-clock backstop: a guest call running longer than
// d is aborted (its node crashes) and the engine reports WatchdogFired, which
// means the run is no longer a pure function of its seed. 0 (the default)
// turns it off: the fuel budget already stops runaway guests
// deterministically, and wazero's close-on-context-done check that the
// watchdog needs costs ~100 ns per loop iteration here (RATIONALE.md).
func (c Config) WithWatchdog(d time.Duration) Config { c.watchdog = d; return c }

// WithMemoryImage chooses whether a module's data segments become a memory
// image mapped copy-on-write into each instance (Linux; on by default)
// instead of being copied at every instantiation.
func (c Config) WithMemoryImage(on bool) Config { c.noImage = !on; return c }

// WithMaxMessage sets the largest message, in bytes, a guest may send.
func (c Config) WithMaxMessage(n int) Config { c.maxMessage = n; return c }

func (c Config) validate() error {
	if c.memoryPages == 0 || c.memoryPages > 65536 {
		return fmt.Errorf("wasmhost: memory limit %d pages is outside 1..65536", c.memoryPages)
	}
	if c.fuel < 0 {
		return fmt.Errorf("wasmhost: fuel %d is negative", c.fuel)
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
	rc = rc.WithMemoryLimitPages(cfg.memoryPages).WithCloseOnContextDone(cfg.watchdog > 0)
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
	i32 := api.ValueTypeI32
	wb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(pollOneoff), []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}).
		WithParameterNames("in", "out", "nsubscriptions", "result.nevents").Export("poll_oneoff")
	if _, err := wb.Instantiate(ctx); err != nil {
		return fmt.Errorf("wasmhost: instantiate WASI: %w", err)
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
	// image, if set, is the initial memory mapped into each instance (the
	// data section was taken out of the compiled module).
	image *memImage
}

// Name returns the module's name as given to Compile.
func (m *Module) Name() string { return m.name }

// SHA256 returns the digest of the module's original bytes.
func (m *Module) SHA256() [32]byte { return m.sha256 }

// Compile checks wasm against ABI v1, instruments it for fuel unless metering
// is off, and compiles it. The error names the offending symbol.
func (e *Engine) Compile(ctx context.Context, name string, wasm []byte) (*Module, error) {
	m := &Module{name: name, sha256: sha256.Sum256(wasm)}
	code := wasm
	if !e.cfg.noFuel {
		var err error
		code, err = fuel.InstrumentWithOptions(wasm, fuel.Options{Cost: fuel.CostRegion, StartFuel: fuel.DefaultStartFuel})
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", name, err)
		}
		m.fueled = true
	}
	var img []byte
	if imageSupported && !e.cfg.noImage {
		stripped, image, ok, err := fuel.ExtractData(code)
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", name, err)
		}
		if ok {
			code, img = stripped, image
		}
	}
	cm, err := e.rt.CompileModule(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("module %s: compile: %w", name, err)
	}
	if img != nil {
		// The image must fit the initial memory, as the segments had to.
		if mem, ok := cm.ExportedMemories()["memory"]; !ok || uint64(len(img)) > uint64(mem.Min())*65536 {
			_ = cm.Close(ctx)
			return nil, fmt.Errorf("module %s: %w: data segments lie outside the initial memory", name, ErrABI)
		}
		if m.image, err = newImage(name, img); err != nil {
			_ = cm.Close(ctx)
			return nil, err
		}
		e.images = append(e.images, m.image)
	}
	if err := checkABI(cm); err != nil {
		_ = cm.Close(ctx)
		return nil, fmt.Errorf("module %s: %w", name, err)
	}
	exports := cm.ExportedFunctions()
	_, m.hasInit = exports["_initialize"]
	_, m.hasTimer = exports["on_timer"]
	_, m.hasWake = exports["on_wake"]
	m.compiled = cm
	return m, nil
}

// ErrABI is wrapped by every error that rejects a module for breaking ABI v1.
var ErrABI = errors.New("wasmhost: module breaks guest ABI v1")
