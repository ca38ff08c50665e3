package mcheck

import (
	"fmt"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Figures are Maelstrom's headline numbers for one run, computed as
// Maelstrom computes them: messages are counted when sent (including
// those the network then drops), and an operation is a client
// invocation. Server messages go between two of the program's nodes;
// client messages have a client at one end; service messages count only
// in All.
type Figures struct {
	// Ops counts client invocations; OK, Fail and Info their outcomes
	// (an operation never completed counts as info).
	Ops, OK, Fail, Info int
	// Availability is OK / Ops.
	Availability float64
	// Msgs counts messages sent: all, with a client at one end, and
	// between servers.
	Msgs MsgCounts
	// MsgsPerOp divides each count by Ops.
	MsgsPerOp MsgRates
	// Latency holds the quantiles (0, 0.5, 0.95, 0.99, 1) of ok
	// operations' latencies, invocation to completion.
	Latency map[string]time.Duration
}

// MsgCounts counts messages by who sent and received them.
type MsgCounts struct {
	All, Clients, Servers int
}

// MsgRates is MsgCounts per operation.
type MsgRates struct {
	All, Clients, Servers float64
}

// Figure computes the figures from a run's history and trace; nodes is
// the number of program nodes (indices 0..nodes-1).
func Figure(hist []history.Op, events []trace.Event, nodes int) Figures {
	var f Figures
	clients := map[int32]bool{}
	inflight := map[int]history.Op{}
	var lat []time.Duration
	for _, op := range hist {
		clients[int32(op.Process)] = true
		if op.Type == history.OpInvoke {
			f.Ops++
			inflight[op.Process] = op
			continue
		}
		inv, ok := inflight[op.Process]
		if !ok {
			continue
		}
		delete(inflight, op.Process)
		switch op.Type {
		case history.OpOK:
			f.OK++
			lat = append(lat, time.Duration(op.Time-inv.Time))
		case history.OpFail:
			f.Fail++
		default:
			f.Info++
		}
	}
	f.Info += len(inflight)
	for _, e := range events {
		if e.Kind != trace.KindSend {
			continue
		}
		f.Msgs.All++
		switch {
		case clients[e.Node] || clients[e.Peer]:
			f.Msgs.Clients++
		case int(e.Node) < nodes && int(e.Peer) < nodes && e.Node >= 0 && e.Peer >= 0:
			f.Msgs.Servers++
		}
	}
	if f.Ops > 0 {
		n := float64(f.Ops)
		f.Availability = float64(f.OK) / n
		f.MsgsPerOp = MsgRates{All: float64(f.Msgs.All) / n, Clients: float64(f.Msgs.Clients) / n, Servers: float64(f.Msgs.Servers) / n}
	}
	f.Latency = map[string]time.Duration{}
	for _, q := range []float64{0, 0.5, 0.95, 0.99, 1} {
		f.Latency[fmt.Sprint(q)] = quantile(lat, q)
	}
	return f
}
