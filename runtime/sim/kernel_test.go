package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// reply answers a Maelstrom request as node `as` would, sent to `to`.
func reply(t *testing.T, h abi.Host, to int32, as string, msg []byte) {
	var env struct {
		Src  string `json:"src"`
		Body struct {
			MsgID int `json:"msg_id"`
		} `json:"body"`
	}
	require.NoError(t, json.Unmarshal(msg, &env))
	b, _ := json.Marshal(map[string]any{"src": as, "dest": env.Src, "body": map[string]any{"type": "echo_ok", "in_reply_to": env.Body.MsgID}})
	h.Send(to, b)
}

func nativeSim(t *testing.T, cfg sim.Config, specs ...sim.NodeSpec) *sim.Sim {
	s, err := sim.New(context.Background(), cfg.WithNetwork(netsim.Link{Latency: netsim.Constant(time.Millisecond)}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	for _, sp := range specs {
		_, err := s.AddNodes(sp)
		require.NoError(t, err)
	}
	return s
}

// Reference: issue 7, "honest replies": a client believes a reply only from
// the node its request went to, whatever the envelope says.
func TestForgedRepliesAreCountedAndIgnored(t *testing.T) {
	var client int32 = 2
	var s *sim.Sim
	s = nativeSim(t, sim.NewConfig(),
		sim.NodeSpec{Name: "n0", Native: func(h abi.Host, from int32, msg []byte) {
			// slow honest server: answers after 10 ms
			s.After(10*time.Millisecond, func() { reply(t, h, from, "n0", msg) })
		}},
		sim.NodeSpec{Name: "forger", Native: func(abi.Host, int32, []byte) {}},
	)
	clients, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	var got []history.Reply
	s.At(time.Millisecond, func() {
		require.NoError(t, clients[0].Call("n0", map[string]any{"type": "echo"}, time.Second, func(r history.Reply) { got = append(got, r) }))
	})
	// The forger guesses msg_id 1 and claims to be n0.
	s.At(2*time.Millisecond, func() {
		b, _ := json.Marshal(map[string]any{"src": "n0", "dest": "c0", "body": map[string]any{"type": "echo_ok", "in_reply_to": 1, "forged": true}})
		s.Send(1, client, b)
	})
	require.NoError(t, s.RunUntil(100*time.Millisecond))
	require.Len(t, got, 1)
	assert.NotContains(t, string(got[0].Body), "forged")
	assert.Equal(t, 12*time.Millisecond, got[0].Latency, "the honest reply: 1 ms there, 10 ms of work, 1 ms back")
	assert.Equal(t, uint64(1), s.Stats().ForgedReplies)
}

// Reference: issue 7, run-wide caps: a run that reaches one stops with a
// LimitError naming the cap instead of running out of memory.
func TestRunWideEventCap(t *testing.T) {
	s := nativeSim(t, sim.NewConfig().WithMaxEvents(500),
		sim.NodeSpec{Name: "ping", Count: 2, Native: func(h abi.Host, from int32, msg []byte) { h.Send(from, msg) }})
	require.NoError(t, s.Start())
	s.At(0, func() { s.Send(0, 1, []byte("x")) })
	err := s.RunUntil(time.Hour)
	var lim *sim.LimitError
	require.True(t, errors.As(err, &lim), "got %v", err)
	assert.Equal(t, "max_events", lim.Limit)
	assert.Contains(t, err.Error(), "limits.max_events = 500")
	assert.LessOrEqual(t, s.Stats().Events, uint64(503))
}

// A pinned fault applies just before its event, even inside one instant.
func TestApplyBeforePinsAFaultBetweenTwoEventsOfOneInstant(t *testing.T) {
	build := func() *sim.Sim {
		s := nativeSim(t, sim.NewConfig(), sim.NodeSpec{Name: "n", Count: 2, Native: func(abi.Host, int32, []byte) {}})
		require.NoError(t, s.Start())
		for range 4 { // four sends at 5 ms arrive together at 6 ms
			s.At(5*time.Millisecond, func() { s.Send(0, 1, []byte("m")) })
		}
		return s
	}
	// Live: run to the second delivery at 6 ms, then crash n1 by hand.
	live := build()
	require.NoError(t, live.RunUntil(5*time.Millisecond))
	for live.Stats().Delivered < 2 {
		_, err := live.Step()
		require.NoError(t, err)
	}
	at, steps := live.Now(), live.Steps()
	require.NoError(t, live.Apply(fault.Fault{Kind: fault.Crash, Node: "n1"}))
	require.NoError(t, live.RunUntil(time.Second))
	assert.Equal(t, uint64(2), live.Stats().Delivered)
	assert.Equal(t, uint64(2), live.Stats().Dropped, "the other two find n1 down")

	// Replay: the same fault pinned before the next event gives the same trace.
	again := build()
	require.NoError(t, again.ApplyBefore(steps+1, at, fault.Fault{Kind: fault.Crash, Node: "n1"}))
	require.NoError(t, again.RunUntil(time.Second))
	assert.Equal(t, live.Digest(), again.Digest())

	// Scheduled by time instead, it lands after the whole instant: another run.
	timed := build()
	timed.At(at, func() { require.NoError(t, timed.Apply(fault.Fault{Kind: fault.Crash, Node: "n1"})) })
	require.NoError(t, timed.RunUntil(time.Second))
	assert.NotEqual(t, live.Digest(), timed.Digest())
	var kinds []trace.Kind
	for _, e := range again.Events() {
		kinds = append(kinds, e.Kind)
	}
	assert.Contains(t, kinds, trace.KindFault)
}

// Reference: issue 7, "bytes in flight from one node": a node cannot queue
// more than its cap of undelivered messages; sends past it return -5 and
// succeed again once messages land.
func TestBytesInFlightPerNodeAreCapped(t *testing.T) {
	payload := make([]byte, 1000)
	var codes []int32
	s := nativeSim(t, sim.NewConfig().WithMaxInFlightBytes(10_000),
		sim.NodeSpec{Name: "src", Native: func(h abi.Host, from int32, msg []byte) {
			for range 15 {
				codes = append(codes, h.Send(1, payload))
			}
		}},
		sim.NodeSpec{Name: "dst", Native: func(abi.Host, int32, []byte) {}})
	require.NoError(t, s.Start())
	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Hold, From: []string{"src"}, To: []string{"dst"}}))
	s.At(time.Millisecond, func() { s.Send(1, 0, []byte("go")) })
	require.NoError(t, s.RunUntil(10*time.Millisecond))
	require.Len(t, codes, 15)
	assert.Equal(t, []int32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -5, -5, -5, -5, -5}, codes, "10 x 1000 bytes held, then the cap")
	assert.Len(t, s.Held(), 10)

	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Release, From: []string{"src"}, To: []string{"dst"}}))
	s.After(time.Millisecond, func() { s.Send(1, 0, []byte("again")) })
	require.NoError(t, s.RunUntil(20*time.Millisecond))
	require.Len(t, codes, 30)
	assert.Equal(t, []int32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -5, -5, -5, -5, -5}, codes[15:], "the released bytes landed and freed the quota")
	assert.Equal(t, uint64(2+10+10), s.Stats().Delivered, "two go messages, the ten held, the ten sent again")
}

// Reference: issue 15, "CLI": a node may have at most its cap of messages
// on their way (held ones included); the send past it crashes the node
// with the quota's name, and landed messages free the count.
func TestMessagesInFlightPerNodeAreCapped(t *testing.T) {
	var sent int
	burst := func(n int) nodes.NativeFunc {
		return func(h abi.Host, from int32, msg []byte) {
			for range n {
				h.Send(1, []byte("x"))
				sent++
			}
		}
	}
	s := nativeSim(t, sim.NewConfig().WithMaxInFlightMessages(10),
		sim.NodeSpec{Name: "src", Native: burst(10)},
		sim.NodeSpec{Name: "dst", Native: func(abi.Host, int32, []byte) {}})
	require.NoError(t, s.Start())
	s.At(time.Millisecond, func() { s.Send(1, 0, []byte("go")) })
	s.At(5*time.Millisecond, func() { s.Send(1, 0, []byte("again")) })
	require.NoError(t, s.RunUntil(10*time.Millisecond))
	require.Equal(t, nodes.Running, s.Node("src").State(), "ten on their way, then they land: %s", s.Node("src").CrashReason())
	assert.Equal(t, 20, sent)
	assert.Equal(t, int64(10), s.PeakLoad().InFlightMessages)

	require.NoError(t, s.Apply(fault.Fault{Kind: fault.Hold, From: []string{"src"}, To: []string{"dst"}}))
	s.After(time.Millisecond, func() { s.Send(1, 0, []byte("go")) })
	s.After(2*time.Millisecond, func() { s.Send(1, 0, []byte("more")) })
	require.NoError(t, s.RunUntil(20*time.Millisecond))
	assert.Equal(t, 30, sent, "the held ten are on their way: the eleventh send crashes the node")
	require.Equal(t, nodes.Crashed, s.Node("src").State())
	assert.Equal(t, "quota in_flight_messages exceeded: more than 10 of this node's messages on their way at once (a flood that grows with every hop?) (raise limits.in_flight_messages)", s.Node("src").CrashReason())
	assert.Len(t, s.Held(), 10)
}
