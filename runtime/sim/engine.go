package sim

import (
	"time"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
)

// Engine chooses how the guest engine runs guests: the knobs of a run that
// are not limits (those are Config.WithLimits's). The zero value is the
// default: wazero's compiler, the compilation cache under the user cache
// directory, memory images on, fuel metering on, no watchdog and no
// environment.
type Engine struct {
	// Interpreter selects wazero's interpreter instead of its compiler.
	// A run's trace and digest are the same under both.
	Interpreter bool
	// CacheDir is the compilation cache directory ("": the default one,
	// under the user cache directory).
	CacheDir string
	// Watchdog is a wall-clock backstop: a guest call running longer is
	// aborted and its node crashes, and the run is marked as no longer a
	// pure function of its seed (0: off, the default; fuel already stops
	// runaway guests deterministically).
	Watchdog time.Duration
	// NoMemoryImage copies a module's data segments into every instance
	// instead of mapping them copy-on-write from one image (Linux). The run
	// and its digest are the same either way.
	NoMemoryImage bool
	// Unmetered turns fuel metering off, whatever the limits' fuel, so
	// that a guest that never returns runs until the Watchdog stops it.
	// It is for benchmarks and watchdog tests: an unmetered run is no
	// longer protected against runaway guests.
	Unmetered bool
	// InitFuel, when set, is the fuel of a node's boot (the module's start
	// function, and _initialize with on_init, each getting all of it)
	// instead of the default (20 billion units, or ten times the limits'
	// fuel if that is more).
	InitFuel int64
	// Env holds the environment variables every guest sees through WASI
	// (environ_get), as key-value pairs applied in order: a later pair with
	// the same key replaces an earlier one, and a value of "" removes the
	// key. Guests have no environment unless one is set; it is the same
	// for every node and run, so runs stay pure functions of their seed. A
	// key that is empty or holds '=' or a NUL byte, or a value holding a
	// NUL byte, makes New fail.
	Env [][2]string
}

// wasmConfig is the engine configuration of a run: the defaults with the
// limits (WithLimits), and the Engine's knobs on top.
func (c Config) wasmConfig() wasmhost.Config {
	e, w := c.engine, c.wasm
	w = w.WithInterpreter(e.Interpreter).WithWatchdog(e.Watchdog).WithMemoryImage(!e.NoMemoryImage)
	if e.CacheDir != "" {
		w = w.WithCacheDir(e.CacheDir)
	}
	if e.Unmetered {
		w = w.WithFuel(0)
	}
	if e.InitFuel > 0 {
		w = w.WithInitFuel(e.InitFuel)
	}
	for _, kv := range e.Env {
		w = w.WithEnv(kv[0], kv[1])
	}
	return w
}
