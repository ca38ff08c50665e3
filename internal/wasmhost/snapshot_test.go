package wasmhost

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/runtime/gobuild"
)

// snapGuest is one instance of a module under test, with its host.
type snapGuest struct {
	in *Instance
	h  *emitHost
}

func bootSnap(t *testing.T, e *Engine, m *Module) snapGuest {
	t.Helper()
	h := &emitHost{cmdHost: cmdHost{names: []string{"n0", "c0"}}}
	in, err := e.Instantiate(context.Background(), m, h, h, func(p []byte) { clear(p) })
	require.NoError(t, err)
	t.Cleanup(in.Close)
	require.NoError(t, in.Init([]byte(`{"node":"n0","index":0,"nodes":["n0"],"clients":["c0"],"params":{}}`)))
	return snapGuest{in, h}
}

// feed delivers echo requests from..to-1 and returns the state hash after.
func (g snapGuest) feed(t *testing.T, from, to int) []byte {
	t.Helper()
	for i := from; i < to; i++ {
		msg := fmt.Sprintf(`{"src":"c0","dest":"n0","body":{"type":"echo","echo":"m%d","msg_id":%d}}`, i, i)
		require.NoError(t, g.in.Message(1, []byte(msg)))
	}
	var b bytes.Buffer
	require.NoError(t, g.in.HashState(&b))
	return b.Bytes()
}

// A guest snapshot taken between callbacks, restored into a fresh
// instance of the module, runs on as the original does: the same replies
// and the same memory and globals after, for a WAT guest, one whose
// state is in a global alone, and a Go reactor (its runtime keeps its
// goroutines, heap and scheduler in memory and globals between calls).
func TestSnapshotRestoreRunsOnAlike(t *testing.T) {
	ctx := context.Background()
	wat, err := testguests.Wasm("echo")
	require.NoError(t, err)
	count, err := testguests.Wat2Wasm([]byte(countWAT))
	require.NoError(t, err)
	goEcho, err := gobuild.Build(ctx, "../../plugins/echo")
	require.NoError(t, err)
	for name, wasm := range map[string][]byte{"wat echo": wat, "wat global": count, "go echo": goEcho} {
		t.Run(name, func(t *testing.T) {
			e, err := NewEngine(ctx, NewConfig().WithCacheDir(""))
			require.NoError(t, err)
			defer e.Close(ctx)
			m, err := e.Compile(ctx, "g", wasm)
			require.NoError(t, err)
			orig := bootSnap(t, e, m)
			orig.feed(t, 1, 4)
			img, err := orig.in.Snapshot()
			require.NoError(t, err)
			sent := len(orig.h.sent)
			want := orig.feed(t, 4, 8)

			fresh := bootSnap(t, e, m)
			require.NotEqual(t, want, fresh.feed(t, 0, 0), "a fresh instance is elsewhere")
			require.NoError(t, fresh.in.Restore(img))
			assert.Equal(t, want, fresh.feed(t, 4, 8), "memory and globals alike")
			assert.Equal(t, orig.h.sent[sent:], fresh.h.sent[len(fresh.h.sent)-(len(orig.h.sent)-sent):], "the same replies")
		})
	}
}

// Restore refuses an image of another module, and Snapshot a closed
// instance.
func TestRestoreRefusesAnotherModule(t *testing.T) {
	ctx := context.Background()
	wat, err := testguests.Wasm("echo")
	require.NoError(t, err)
	count, err := testguests.Wat2Wasm([]byte(countWAT))
	require.NoError(t, err)
	e, err := NewEngine(ctx, NewConfig().WithCacheDir(""))
	require.NoError(t, err)
	defer e.Close(ctx)
	me, err := e.Compile(ctx, "echo", wat)
	require.NoError(t, err)
	mc, err := e.Compile(ctx, "count", count)
	require.NoError(t, err)
	img, err := bootSnap(t, e, me).in.Snapshot()
	require.NoError(t, err)
	other := bootSnap(t, e, mc)
	assert.EqualError(t, other.in.Restore(img), "wasmhost: restore: an image of module echo (1 globals) into an instance of count (1 globals)")
	other.in.Close()
	_, err = other.in.Snapshot()
	assert.EqualError(t, err, "wasmhost: snapshot: the instance is closed")
}

// A guest whose state is not all in memory and globals is refused, by
// name: a command guest, whose _start is suspended mid-call, a module run
// unmetered, whose globals are not exported, and a guest that made a
// file (gofiles opens its log at init).
func TestSnapshotRefusesWhatItCannotCopy(t *testing.T) {
	ctx := context.Background()
	cmd, err := cmdBuild()
	require.NoError(t, err)
	e, err := NewEngine(ctx, NewConfig().WithCacheDir(""))
	require.NoError(t, err)
	defer e.Close(ctx)
	m, err := e.Compile(ctx, "cmd", cmd)
	require.NoError(t, err)
	in, _ := cmdInstance(t, e, m, "n0")
	defer in.Close()
	_, err = in.Snapshot()
	assert.EqualError(t, err, "wasmhost: snapshot of cmd: a command guest's state includes the call stack of its running _start, which cannot be copied")

	wat, err := testguests.Wasm("echo")
	require.NoError(t, err)
	plain, err := NewEngine(ctx, NewConfig().WithCacheDir("").WithFuel(0))
	require.NoError(t, err)
	defer plain.Close(ctx)
	pm, err := plain.Compile(ctx, "echo", wat)
	require.NoError(t, err)
	_, err = bootSnap(t, plain, pm).in.Snapshot()
	assert.EqualError(t, err, "wasmhost: snapshot of echo: the module runs unmetered, so its globals are not exported for the host to copy")

	files, err := gobuild.Build(ctx, "../../internal/testguests/gofiles")
	require.NoError(t, err)
	fm, err := e.Compile(ctx, "files", files)
	require.NoError(t, err)
	_, err = bootSnap(t, e, fm).in.Snapshot()
	assert.EqualError(t, err, "wasmhost: snapshot of files: the guest made files, and its file system is not copied")
}
