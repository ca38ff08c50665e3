package nodes_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/gobuild"
)

var echoBuild = sync.OnceValues(func() ([]byte, error) {
	return gobuild.Build(context.Background(), "../plugins/echo")
})

// echoRequest is a Maelstrom echo request whose payload makes the whole
// message size bytes long.
func echoRequest(size int) []byte {
	const head, tail = `{"src":"c0","dest":"n0","body":{"type":"echo","msg_id":1,"echo":"`, `"}}`
	return []byte(head + strings.Repeat("x", size-len(head)-len(tail)) + tail)
}

// goEcho boots the Go echo plugin as n0 (n0, n1 and client c0) under cfg.
func goEcho(t *testing.T, cfg wasmhost.Config) (*nodes.Node, *kernel) {
	t.Helper()
	code, err := echoBuild()
	require.NoError(t, err)
	eng, err := wasmhost.NewEngine(context.Background(), cfg.WithCacheDir(t.TempDir()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	mod, err := eng.Compile(context.Background(), "echo", code)
	require.NoError(t, err)
	st, err := nodes.OpenStore("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	k := &kernel{}
	n := nodes.New(nodes.Spec{Name: "n0", Module: mod, Peers: []string{"n0", "n1"}, Clients: []string{"c0"}}, k, wasmEngine{eng}, st, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, n.Boot(context.Background()))
	require.Equal(t, nodes.Running, n.State(), n.CrashReason())
	return n, k
}

// Reference: issue 7, "Legal input kills a good node": a 4,000,000-byte
// echo (inside the default 4 MiB max_message_bytes) through the Go echo
// plugin fits the default budget, because it grows with the bytes
// delivered; without the per-byte part the same request runs out.
func TestLargeLegalMessageFitsTheDefaultFuel(t *testing.T) {
	msg := echoRequest(4_000_000)
	n, k := goEcho(t, wasmhost.NewConfig())
	require.NoError(t, n.Deliver(2, msg))
	require.Equal(t, nodes.Running, n.State(), n.CrashReason())
	assert.Equal(t, 1, k.sent, "the echo was answered")

	n, _ = goEcho(t, wasmhost.NewConfig().WithFuelPerByte(0).WithFuel(200_000_000))
	require.NoError(t, n.Deliver(2, msg))
	require.Equal(t, nodes.Crashed, n.State())
	assert.Equal(t, "cpu budget exhausted in on_message (200000000 units of limits.fuel)", n.CrashReason())

	n, _ = goEcho(t, wasmhost.NewConfig().WithFuelPerByte(10).WithFuel(200_000_000))
	require.NoError(t, n.Deliver(2, msg))
	require.Equal(t, nodes.Crashed, n.State())
	assert.Equal(t, fmt.Sprintf("cpu budget exhausted in on_message (%d units: limits.fuel 200000000 + limits.fuel_per_byte 10 x (%d bytes delivered + 0 sent))", 200_000_000+10*len(msg), len(msg)), n.CrashReason())
}

// wasmNode boots the test guest name as n0 (of n0, n1) under cfg.
func wasmNode(t *testing.T, cfg wasmhost.Config, name string) (*nodes.Node, *kernel) {
	t.Helper()
	code, err := testguests.Wasm(name)
	require.NoError(t, err)
	eng, err := wasmhost.NewEngine(context.Background(), cfg.WithCacheDir(""))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	mod, err := eng.Compile(context.Background(), name, code)
	require.NoError(t, err)
	st, err := nodes.OpenStore("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	k := &kernel{}
	n := nodes.New(nodes.Spec{Name: "n0", Module: mod, Peers: []string{"n0", "n1"}}, k, wasmEngine{eng}, st, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, n.Boot(context.Background()))
	require.Equal(t, nodes.Running, n.State(), n.CrashReason())
	return n, k
}

// Each byte a callback sends earns fuel, in both engines alike: earn.wat's
// loop between sends fits only with the fuel its sends earn.
func TestSendingEarnsFuel(t *testing.T) {
	msg := make([]byte, 100)
	for _, interp := range []bool{false, true} {
		cfg := wasmhost.NewConfig().WithInterpreter(interp).WithFuel(50_000).WithFuelPerByte(100)
		n, k := wasmNode(t, cfg, "earn")
		require.NoError(t, n.Deliver(1, msg))
		require.Equal(t, nodes.Running, n.State(), n.CrashReason())
		assert.Equal(t, 100, k.sent)

		n, k = wasmNode(t, cfg.WithFuelPerByte(1), "earn")
		require.NoError(t, n.Deliver(1, msg))
		require.Equal(t, nodes.Crashed, n.State())
		assert.Less(t, k.sent, 100)
		assert.Contains(t, n.CrashReason(), "cpu budget exhausted in on_message (")
		assert.Contains(t, n.CrashReason(), "limits.fuel 50000 + limits.fuel_per_byte 1 x (100 bytes delivered + ")
	}
}

// Reference: docs/ABI.md, "Limits" (limits.spin_fuel): a callback whose
// work is spread between sends runs on a budget far above any window, as
// long as no stretch between two sends is longer than the window; a loop
// that makes no progress at all crashes with a reason that names the
// behaviour, not a budget.
func TestSpinWindowTellsSpinFromWork(t *testing.T) {
	msg := make([]byte, 100)
	for _, interp := range []bool{false, true} {
		// earn.wat loops 1,000 times between its 100 sends: over 100,000
		// units in all, under 50,000 between two sends
		cfg := wasmhost.NewConfig().WithInterpreter(interp).WithFuel(1e12).WithFuelPerByte(1).WithSpinFuel(50_000)
		n, k := wasmNode(t, cfg, "earn")
		require.NoError(t, n.Deliver(1, msg))
		require.Equal(t, nodes.Running, n.State(), n.CrashReason())
		assert.Equal(t, 100, k.sent)
		used, stretch, where := n.Guest().(*wasmhost.Instance).FuelHighWater()
		assert.Greater(t, used, int64(100_000), "the callback used more than twice the window")
		assert.Less(t, stretch, int64(50_000), "no stretch between sends filled the window")
		assert.Greater(t, stretch, int64(1_000), "a stretch is the loop between two sends")
		assert.Equal(t, "on_message", where)

		n, k = wasmNode(t, cfg.WithSpinFuel(1_000), "earn")
		require.NoError(t, n.Deliver(1, msg))
		require.Equal(t, nodes.Crashed, n.State())
		assert.Equal(t, 1, k.sent, "the first stretch between sends is over the window")
		assert.Equal(t, "spin wait in on_message: 1000 units of fuel with no send, timer, store write, log line or idle point (limits.spin_fuel): "+
			"a loop waits for what cannot happen while the guest runs (virtual time stands still until it blocks)", n.CrashReason())

		n, _ = wasmNode(t, cfg, "spin")
		require.NoError(t, n.Deliver(1, msg))
		require.Equal(t, nodes.Crashed, n.State())
		assert.Contains(t, n.CrashReason(), "spin wait in on_message: 50000 units of fuel")

		// without a window, the same loop is a budget error, as before
		n, _ = wasmNode(t, cfg.WithSpinFuel(0).WithFuel(1e6), "spin")
		require.NoError(t, n.Deliver(1, msg))
		assert.Equal(t, "cpu budget exhausted in on_message (1000100 units: limits.fuel 1000000 + limits.fuel_per_byte 1 x (100 bytes delivered + 0 sent))", n.CrashReason())
	}
}
