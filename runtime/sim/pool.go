package sim

import (
	"context"
	"crypto/sha256"
	"sync"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
)

// EnginePool lets many simulations, one after the other, share one guest
// engine and the modules it compiled: a search that makes thousands of
// short runs of one scenario compiles and instruments each module once
// instead of once a run. The first simulation's engine configuration is
// the pool's, and the later ones' configurations are not looked at: every
// simulation given the pool (Config.WithEnginePool) must ask for the same
// one. A pool serves one simulation at a time; Close it
// when done.
type EnginePool struct {
	mu      sync.Mutex
	engine  *wasmhost.Engine
	modules map[poolKey]*wasmhost.Module
}

type poolKey struct {
	name string
	sum  [32]byte
}

// NewEnginePool returns an empty pool.
func NewEnginePool() *EnginePool { return &EnginePool{modules: map[poolKey]*wasmhost.Module{}} }

// WithEnginePool makes the simulation take its engine, and its compiled
// modules, from p (nil: an engine of its own).
func (c Config) WithEnginePool(p *EnginePool) Config { c.pool = p; return c }

// get returns the pool's engine, creating it with cfg the first time.
func (p *EnginePool) get(ctx context.Context, cfg wasmhost.Config) (*wasmhost.Engine, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.engine != nil {
		return p.engine, nil
	}
	e, err := wasmhost.NewEngine(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p.engine = e
	return e, nil
}

// compile returns the module compiled under name from wasm, compiling it
// the first time.
func (p *EnginePool) compile(ctx context.Context, name string, wasm []byte) (*wasmhost.Module, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := poolKey{name: name, sum: sha256.Sum256(wasm)}
	if m, ok := p.modules[key]; ok {
		return m, nil
	}
	m, err := p.engine.Compile(ctx, name, wasm)
	if err != nil {
		return nil, err
	}
	p.modules[key] = m
	return m, nil
}

// Close releases the engine and every module compiled in it.
func (p *EnginePool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.engine == nil {
		return nil
	}
	err := p.engine.Close(context.Background())
	p.engine, p.modules = nil, map[poolKey]*wasmhost.Module{}
	return err
}
