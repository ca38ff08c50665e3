package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// A guest finds every endpoint by name and index through node_index and
// node_name, whether or not its init document lists them.
func TestNamesThroughHostCalls(t *testing.T) {
	for _, tc := range []struct {
		name      string
		initNames int
	}{{"listed", 0}, {"by host call", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, sim.NewConfig().WithInitNames(tc.initNames))
			require.NoError(t, s.LoadModule("names", wasm(t, "names")))
			_, err := s.AddNodes(sim.NodeSpec{Name: "asker", Module: "names"})
			require.NoError(t, err)
			var got []string
			_, err = s.AddNodes(sim.NodeSpec{Name: "n", Count: 3, Native: func(h abi.Host, from int32, msg []byte) {
				got = append(got, string(msg))
			}})
			require.NoError(t, err)
			_, err = s.AddNodes(sim.NodeSpec{Name: "lin-kv", Service: true, Native: func(abi.Host, int32, []byte) {}})
			require.NoError(t, err)
			_, err = s.AddClients(2)
			require.NoError(t, err)
			require.NoError(t, s.Start())
			s.At(0, func() {
				s.Send(2, 0, []byte("c1"))     // a client, after the service
				s.Send(3, 0, []byte("lin-kv")) // the service
				s.Send(1, 0, []byte("nobody"))
			})
			require.NoError(t, s.RunFor(time.Second))
			assert.Equal(t, nodes.Running, s.Node("asker").State())
			assert.ElementsMatch(t, []string{"c1", "n1", "lin-kv", "n2", "?", "n0"}, got)
		})
	}
}

// A guest that hands node_name and node_index bad pointers, lengths and
// indexes crashes only itself: an unknown index or name is -1, a range
// outside its memory an ABI violation.
func TestNamesHostCallsHostile(t *testing.T) {
	const mem = 2 * 65536
	cases := []struct {
		name   string
		rec    []byte
		reason string // "" : the node keeps running
	}{
		{"unknown index", record(17, 99, 0, 64), ""},
		{"negative index", record(17, 1<<31, 0, 64), ""},
		{"capacity too small copies nothing", record(17, 1, mem-1, 1), ""},
		{"name past the end of memory", record(17, 1, mem-1, 64), "abi violation: node_name: range [131071, 131076) is outside memory of 131072 bytes"},
		{"huge capacity at the end", record(17, 1, mem-1, 1<<32-1), "abi violation: node_name: range [131071, 131076)"},
		{"unknown name", record(18, 0, 7), ""},
		{"name range past 4 GiB", record(18, mem-1, 1<<32-1), "abi violation: node_index: range [131071, 4295098366) is outside memory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, sim.NewConfig().WithInitNames(-1))
			require.NoError(t, s.LoadModule("fuzzabi", wasm(t, "fuzzabi")))
			require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
			_, err := s.AddNodes(sim.NodeSpec{Name: "bad", Module: "fuzzabi"})
			require.NoError(t, err)
			_, err = s.AddNodes(sim.NodeSpec{Name: "good", Count: 2, Module: "echo"})
			require.NoError(t, err)
			require.NoError(t, s.Start())
			s.At(0, func() { s.Send(1, 0, tc.rec) })
			s.At(time.Millisecond, func() { s.Send(1, 2, []byte("ping")) })
			require.NoError(t, s.RunFor(100*time.Millisecond))
			if tc.reason == "" {
				assert.Equal(t, nodes.Running, s.Node("bad").State(), s.Node("bad").CrashReason())
			} else {
				assert.Equal(t, nodes.Crashed, s.Node("bad").State())
				assert.Contains(t, s.Node("bad").CrashReason(), tc.reason)
			}
			assert.Equal(t, nodes.Running, s.Node("good0").State())
			assert.Equal(t, nodes.Running, s.Node("good1").State())
			assert.Greater(t, s.Stats().Delivered, uint64(50), "the good nodes keep echoing")
		})
	}
}

// record encodes one call for fuzzabi.wat: a selector and its arguments.
func record(sel byte, args ...uint64) []byte {
	b := make([]byte, 49)
	b[0] = sel
	for i, a := range args {
		for j := range 8 {
			b[1+8*i+j] = byte(a >> (8 * j))
		}
	}
	return b
}

// The Go SDK resolves names through the host when the init document leaves
// them out: n0's RPC to "n1" needs node_index, and the reply is credited
// only if node_name names its sender "n1".
func TestGoGuestNamesThroughHostCalls(t *testing.T) {
	s := goSim(t, sim.NewConfig().WithInitNames(-1))
	_, err := s.AddNodes(sim.NodeSpec{Name: "n0", Module: "gotimer", Role: "caller"})
	require.NoError(t, err)
	_, err = s.AddNodes(sim.NodeSpec{Name: "n1", Module: "gotimer", Role: "ponger"})
	require.NoError(t, err)
	cl, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	s.At(250*time.Millisecond, func() {
		require.NoError(t, cl[0].Call("n0", map[string]any{"type": "go"}, 0, func(history.Reply) {}))
	})
	require.NoError(t, s.RunUntil(time.Second))
	var resumed []string
	for _, e := range s.Events() {
		if e.Kind == trace.KindEmit && e.Label == "resumed" {
			resumed = append(resumed, string(e.Data))
		}
	}
	require.Len(t, resumed, 1)
	assert.Contains(t, resumed[0], `"type":"pong"`)
	assert.Equal(t, nodes.Running, s.Node("n0").State(), s.Node("n0").CrashReason())
}

// 10,000 tiny nodes boot and run: their init documents no longer list
// every node (which took 79 KB each, past the guest's 64 KiB memory), and
// they share one store.
func TestTenThousandWATNodesBoot(t *testing.T) {
	if testing.Short() {
		t.Skip("boots 10,000 nodes")
	}
	const n = 10_000
	// With the names listed, as before, the document does not fit.
	listed := newSim(t, sim.NewConfig().WithTrace(false, nil).WithInitNames(n))
	require.NoError(t, listed.LoadModule("echo", wasm(t, "echo")))
	_, err := listed.AddNodes(sim.NodeSpec{Name: "n", Count: n, Module: "echo"})
	require.NoError(t, err)
	require.NoError(t, listed.Start())
	require.NoError(t, listed.RunFor(time.Millisecond))
	assert.Equal(t, uint64(n), listed.Stats().Crashes)
	assert.Contains(t, listed.Nodes()[0].CrashReason(), "outside memory")
	require.NoError(t, listed.Close())

	s := newSim(t, sim.NewConfig().WithTrace(false, nil))
	require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
	_, err = s.AddNodes(sim.NodeSpec{Name: "n", Count: n, Module: "echo"})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	s.At(0, func() {
		for i := int32(0); i < n; i += 2 {
			s.Send(i, i+1, []byte(`{"type":"ping"}`))
		}
	})
	require.NoError(t, s.RunFor(10*time.Millisecond))
	for _, v := range s.Nodes() {
		require.Equal(t, nodes.Running, v.State(), "%s: %s", v.Name(), v.CrashReason())
	}
	assert.Equal(t, uint64(0), s.Stats().Crashes)
	assert.GreaterOrEqual(t, s.Stats().Delivered, uint64(5*n), "every pair keeps echoing")
}

// Engine.Env gives every guest the same environment; without
// it a guest has none.
func TestGuestEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  [][2]string
		want string
	}{
		{nil, ""},
		{[][2]string{{"GOGC", "25"}, {"A", "1"}, {"GOGC", "50"}}, "A=1\x00GOGC=50\x00"},
		{[][2]string{{"A", "1"}, {"A", ""}}, ""},
	} {
		s := newSim(t, sim.NewConfig().WithEngine(sim.Engine{Env: tc.env}))
		require.NoError(t, s.LoadModule("env", wasm(t, "env")))
		_, err := s.AddNodes(sim.NodeSpec{Name: "env", Module: "env"})
		require.NoError(t, err)
		var got []string
		_, err = s.AddNodes(sim.NodeSpec{Name: "asker", Native: func(h abi.Host, from int32, msg []byte) { got = append(got, string(msg)) }})
		require.NoError(t, err)
		require.NoError(t, s.Start())
		s.At(0, func() { s.Send(1, 0, []byte("?")) })
		require.NoError(t, s.RunFor(10*time.Millisecond))
		assert.Equal(t, []string{tc.want}, got)
	}
	for _, bad := range [][2]string{{"", "x"}, {"A=B", "x"}, {"A", "x\x00y"}} {
		_, err := sim.New(context.Background(), sim.NewConfig().WithEngine(sim.Engine{Env: [][2]string{bad}}))
		assert.ErrorContains(t, err, "environment variable", "%q", bad)
	}
}
