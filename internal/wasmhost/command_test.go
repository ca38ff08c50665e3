package wasmhost

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/gobuild"
)

// cmdHost is a Host that records sends and logs and does nothing else.
type cmdHost struct {
	sent  []string
	logs  []string
	names []string // every endpoint's name by index
}

func (h *cmdHost) EndpointName(i int32) (string, bool) {
	if i < 0 || int(i) >= len(h.names) {
		return "", false
	}
	return h.names[i], true
}
func (h *cmdHost) EndpointIndex(name []byte) (int32, bool) {
	for i, n := range h.names {
		if n == string(name) {
			return int32(i), true
		}
	}
	return -1, false
}

func (h *cmdHost) Send(_ int32, msg []byte) int32 { h.sent = append(h.sent, string(msg)); return 0 }
func (h *cmdHost) TimerSet(int64) int64           { return 1 }
func (h *cmdHost) TimerCancel(int64) bool         { return false }
func (h *cmdHost) Now() int64                     { return 0 }
func (h *cmdHost) Rand() uint64                   { return 4 }
func (h *cmdHost) KVGet([]byte) ([]byte, bool, error) {
	return nil, false, nil
}
func (h *cmdHost) KVPut(_, _ []byte) error                { return nil }
func (h *cmdHost) KVDelete([]byte) error                  { return nil }
func (h *cmdHost) KVScan([]byte, func(k, v []byte)) error { return nil }
func (h *cmdHost) KVSync() error                          { return nil }
func (h *cmdHost) Log(_ int32, line []byte)               { h.logs = append(h.logs, string(line)) }
func (h *cmdHost) Emit(_, _ []byte)                       {}
func (h *cmdHost) Key(int32, int32) ([]byte, int32)       { return nil, abi.ErrnoDenied }
func (h *cmdHost) Attack(int32, int32, int32, []byte) int32 {
	return abi.ErrnoDenied
}
func (h *cmdHost) Recorded(int32) (int32, int32, []byte, int32) { return 0, 0, nil, abi.ErrnoDenied }
func (cmdHost) Nanotime() int64                                 { return 1e9 }
func (cmdHost) Walltime() int64                                 { return 1e18 }

var cmdBuild = sync.OnceValues(func() ([]byte, error) {
	return gobuild.Build(context.Background(), "../../internal/testguests/cmdguest")
})

// cmdInstance boots a command guest; a crash during boot closes it (the
// caller checks Closed).
func cmdInstance(t *testing.T, e *Engine, m *Module, name string) (*Instance, *cmdHost) {
	t.Helper()
	h := &cmdHost{names: []string{name, "c0"}}
	in, err := e.Instantiate(context.Background(), m, h, h, func(p []byte) { clear(p) })
	require.NoError(t, err)
	doc := `{"node":"` + name + `","index":0,"nodes":["` + name + `"],"clients":["c0"],"params":{}}`
	if err := in.Init([]byte(doc)); err != nil {
		var ce *abi.CrashError
		require.ErrorAs(t, err, &ce)
	}
	return in, h
}

func exited(c *command) bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// Closing a command guest, parked or crashed, ends its goroutine: no leak.
func TestCommandGuestGoroutineEnds(t *testing.T) {
	wasm, err := cmdBuild()
	require.NoError(t, err)
	ctx := context.Background()
	e, err := NewEngine(ctx, NewConfig().WithCacheDir(t.TempDir()).WithFuel(50_000_000))
	require.NoError(t, err)
	defer e.Close(ctx)
	m, err := e.Compile(ctx, "cmd", wasm)
	require.NoError(t, err)
	require.True(t, m.Command())

	before := runtime.NumGoroutine()
	for range 20 {
		in, h := cmdInstance(t, e, m, "sleeper")
		require.False(t, in.Closed())
		assert.False(t, exited(in.cmd), "the guest is parked at its idle point")
		reached, wake := in.Idle()
		assert.True(t, reached)
		assert.Equal(t, int64(-1), wake, "nothing to wake for")
		require.NoError(t, in.Message(0, []byte(`{"src":"c0","dest":"sleeper","body":{"type":"sleep","ms":5,"msg_id":1}}`)))
		_, wake = in.Idle()
		assert.Equal(t, int64(5e6), wake, "the guest sleeps 5 ms on the ordinary clock")
		in.Close()
		assert.True(t, exited(in.cmd), "Close ended the parked guest's goroutine")
		assert.Empty(t, h.sent, "init_ok is swallowed; sleep_ok has not come")

		in, _ = cmdInstance(t, e, m, "spin")
		assert.True(t, in.Closed(), "spin ran out of fuel")
		assert.True(t, exited(in.cmd), "a crash ends the goroutine")
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "no goroutine is left behind")
}

func TestCommandGuestValidation(t *testing.T) {
	ctx := context.Background()
	e, err := NewEngine(ctx, NewConfig().WithCacheDir(t.TempDir()))
	require.NoError(t, err)
	defer e.Close(ctx)
	for name, want := range map[string]string{
		"cmdimport":   `import terrarium.now: a command guest (it exports _start, not terrarium_abi_v1) may import only WASI`,
		"cmdbadstart": `export "_start" has type (i32) -> (), want () -> ()`,
	} {
		b, err := testguests.Wasm(name)
		require.NoError(t, err)
		_, err = e.Compile(ctx, name, b)
		require.ErrorIs(t, err, ErrABI, name)
		assert.Contains(t, err.Error(), want, name)
	}
	b, err := testguests.Wasm("cmdreturn")
	require.NoError(t, err)
	m, err := e.Compile(ctx, "cmdreturn", b)
	require.NoError(t, err)
	assert.True(t, m.Command())
	b, err = testguests.Wasm("echo")
	require.NoError(t, err)
	m, err = e.Compile(ctx, "echo", b)
	require.NoError(t, err)
	assert.False(t, m.Command(), "a reactor is not a command")
}
