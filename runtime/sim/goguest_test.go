package sim_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/gobuild"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

var goBuilds sync.Map

// goGuest builds a Go guest package once per test process.
func goGuest(t testing.TB, dir string) []byte {
	t.Helper()
	if b, ok := goBuilds.Load(dir); ok {
		return b.([]byte)
	}
	b, err := gobuild.Build(context.Background(), dir)
	require.NoError(t, err)
	goBuilds.Store(dir, b)
	return b
}

func goSim(t testing.TB, cfg sim.Config) *sim.Sim {
	t.Helper()
	s, err := sim.New(context.Background(), cfg.WithEngine(sim.Engine{CacheDir: t.TempDir()}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.LoadModule("gotimer", goGuest(t, "../../internal/testguests/gotimer")))
	return s
}

// Reference: DESIGN.md, "Go guests may use goroutines, time.Sleep, tickers
// and blocking RPC waits, on virtual time, deterministically".
func TestGoGuestTickerFiresAtExactVirtualInstants(t *testing.T) {
	s := goSim(t, sim.NewConfig())
	_, err := s.AddNodes(sim.NodeSpec{Name: "n0", Module: "gotimer", Role: "ticker"})
	require.NoError(t, err)
	require.NoError(t, s.RunUntil(550*time.Millisecond))

	var ticks []int64
	for _, e := range s.Events() {
		if e.Kind == trace.KindEmit && e.Label == "tick" {
			v, err := strconv.ParseInt(string(e.Data), 10, 64)
			require.NoError(t, err)
			assert.Equal(t, e.Time, v, "the guest clock is the event virtual time")
			ticks = append(ticks, e.Time)
		}
	}
	ms := int64(time.Millisecond)
	assert.Equal(t, []int64{100 * ms, 200 * ms, 300 * ms, 400 * ms, 500 * ms}, ticks)
}

func TestGoGuestSyncRPCResumesWhenReplyIsDelivered(t *testing.T) {
	s := goSim(t, sim.NewConfig())
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

	// The go request reaches n0 at 251 ms; ping reaches n1 at 252 ms; n1
	// sleeps 50 ms and replies at 302 ms; the pong reaches n0 at 303 ms.
	var pongDelivered int64 = -1
	var resumed struct {
		At   int64  `json:"at"`
		Type string `json:"type"`
	}
	var resumedAt int64 = -1
	pongs := map[uint64]bool{}
	for _, e := range s.Events() {
		switch {
		case e.Kind == trace.KindSend && e.Label == "pong":
			pongs[e.Msg] = true
		case e.Kind == trace.KindDeliver && pongs[e.Msg]:
			pongDelivered = e.Time
		case e.Kind == trace.KindEmit && e.Label == "resumed":
			require.NoError(t, json.Unmarshal(e.Data, &resumed))
			resumedAt = e.Time
		}
	}
	ms := int64(time.Millisecond)
	assert.Equal(t, 303*ms, pongDelivered)
	assert.Equal(t, pongDelivered, resumedAt, "the blocked handler resumes in the delivery's event")
	assert.Equal(t, pongDelivered, resumed.At)
	assert.Equal(t, "pong", resumed.Type)
}

func TestGoGuestRunsAreIdentical(t *testing.T) {
	digest := func() string {
		s := goSim(t, sim.NewConfig().WithSeed(3))
		_, err := s.AddNodes(sim.NodeSpec{Name: "n0", Module: "gotimer", Role: "ticker"})
		require.NoError(t, err)
		_, err = s.AddNodes(sim.NodeSpec{Name: "n1", Module: "gotimer", Role: "ponger"})
		require.NoError(t, err)
		require.NoError(t, s.RunUntil(time.Second))
		return s.Digest()
	}
	assert.Equal(t, digest(), digest())
}

// Reference: the SDK's HandleInline contract (a handler must not block). A
// handler that blocks crashes only its node, with a reason that names the
// contract; one that starts a goroutine is fine.
func TestGoGuestInlineHandlerThatBlocksCrashesItsNode(t *testing.T) {
	for _, tc := range []struct{ role, reason string }{
		// reason: what the crash reason must contain ("" for no crash)
		{"inline-sleeper", "HandleInline handler"},
		{"inline-waiter", "HandleInline handler"},
		{"inline-spawner", ""},
	} {
		t.Run(tc.role, func(t *testing.T) {
			s := goSim(t, sim.NewConfig())
			_, err := s.AddNodes(sim.NodeSpec{Name: "n0", Module: "gotimer", Role: tc.role})
			require.NoError(t, err)
			_, err = s.AddNodes(sim.NodeSpec{Name: "n1", Module: "gotimer", Role: "ticker"})
			require.NoError(t, err)
			cl, err := s.AddClients(1)
			require.NoError(t, err)
			require.NoError(t, s.Start())
			var got []history.Reply
			s.At(10*time.Millisecond, func() {
				require.NoError(t, cl[0].Call("n0", map[string]any{"type": "ping"}, 0, func(r history.Reply) { got = append(got, r) }))
			})
			require.NoError(t, s.RunUntil(500*time.Millisecond))
			n0, n1 := s.Node("n0"), s.Node("n1")
			assert.Empty(t, n1.CrashReason(), "the other node runs on")
			if tc.role == "inline-spawner" {
				assert.Empty(t, n0.CrashReason())
				require.Len(t, got, 1)
				return
			}
			assert.Empty(t, got)
			require.NotEmpty(t, n0.CrashReason(), "the blocked node crashes")
			assert.Contains(t, n0.CrashReason(), tc.reason)
		})
	}
}

// TickInline ticks at exactly +d, +2d, ... on the host's timers, as a
// time.Ticker does through the idle point; a tick every nanosecond
// crashes only its own node on the callback quota, and a tick that
// blocks crashes its node naming HandleInline's contract.
func TestGoGuestTickInline(t *testing.T) {
	s := goSim(t, sim.NewConfig())
	for name, role := range map[string]string{"n0": "tick-inline", "n1": "tick-flood", "n2": "tick-sleeper", "n3": "ticker"} {
		_, err := s.AddNodes(sim.NodeSpec{Name: name, Module: "gotimer", Role: role})
		require.NoError(t, err)
	}
	require.NoError(t, s.RunUntil(550*time.Millisecond))

	ticks := map[string][]int64{}
	for _, e := range s.Events() {
		if e.Kind == trace.KindEmit && e.Label == "tick" {
			v, err := strconv.ParseInt(string(e.Data), 10, 64)
			require.NoError(t, err)
			assert.Equal(t, e.Time, v, "the guest clock is the event's virtual time")
			ticks[s.Nodes()[e.Node].Name()] = append(ticks[s.Nodes()[e.Node].Name()], e.Time)
		}
	}
	ms := int64(time.Millisecond)
	assert.Equal(t, []int64{100 * ms, 200 * ms, 300 * ms, 400 * ms, 500 * ms}, ticks["n0"])
	assert.Equal(t, ticks["n3"], ticks["n0"], "the same instants as a time.Ticker's")
	assert.Empty(t, s.Node("n0").CrashReason())
	assert.Empty(t, s.Node("n3").CrashReason())
	assert.Contains(t, s.Node("n1").CrashReason(), "callbacks_per_second", "a 1 ns tick is a timer loop")
	assert.Contains(t, s.Node("n2").CrashReason(), "HandleInline handler", "a tick that sleeps breaks the inline contract")
}
