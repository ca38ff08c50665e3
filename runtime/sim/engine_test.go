package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/runtime/limits"
)

// A zero Engine is the engine's defaults, and each field of Engine sets
// its knob on top of the limits, whichever With came first.
func TestEngineBuildsTheEngineConfig(t *testing.T) {
	assert.Equal(t, wasmhost.NewConfig(), NewConfig().wasmConfig())

	l := limits.Limits{Fuel: 50_000, MemoryPages: 64, StoreBytes: 1 << 20}
	e := Engine{Interpreter: true, CacheDir: "/tmp/cache", Watchdog: time.Second, NoMemoryImage: true,
		Unmetered: true, InitFuel: 7_000, Env: [][2]string{{"GOGC", "25"}, {"A", "1"}, {"GOGC", "50"}}}
	want := wasmhost.NewConfig().WithLimits(l).WithInterpreter(true).WithCacheDir("/tmp/cache").WithWatchdog(time.Second).
		WithMemoryImage(false).WithFuel(0).WithInitFuel(7_000).WithEnv("GOGC", "25").WithEnv("A", "1").WithEnv("GOGC", "50")
	assert.Equal(t, want, NewConfig().WithLimits(l).WithEngine(e).wasmConfig())
	assert.Equal(t, want, NewConfig().WithEngine(e).WithLimits(l).wasmConfig())
	assert.Equal(t, []string{"A=1", "GOGC=50"}, want.Env())
}

// The Config keeps its own Engine: changing the Env a caller passed or got
// back does not change it.
func TestEngineEnvIsCopied(t *testing.T) {
	env := [][2]string{{"A", "1"}}
	c := NewConfig().WithEngine(Engine{Env: env})
	env[0][1] = "2"
	got := c.Engine()
	assert.Equal(t, [][2]string{{"A", "1"}}, got.Env)
	got.Env[0][1] = "3"
	assert.Equal(t, [][2]string{{"A", "1"}}, c.Engine().Env)
}
