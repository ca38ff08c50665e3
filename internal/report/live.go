package report

import (
	"encoding/json"

	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Live computes a run's message statistics and node timeline from its trace
// events as they are recorded (subscribe it to a run with Run.Observe), with
// the same code that reads a finished run folder, so the two always agree.
// It is not safe for concurrent use.
type Live struct{ p *pass }

// NewLive starts a live report over the named nodes and clients (by index,
// as results.json lists them).
func NewLive(nodes, clients []string) *Live {
	return &Live{p: newPass(&results{Nodes: nodes, Clients: clients})}
}

// Add folds one trace event in.
func (l *Live) Add(e trace.Event) error {
	ev := event{Seq: e.Seq, T: e.Time, Kind: e.Kind.String(), Node: e.Node, Peer: e.Peer, Msg: e.Msg, Label: e.Label}
	switch {
	case len(e.Data) == 0:
	case (e.Data[0] == '{' || e.Data[0] == '[') && json.Valid(e.Data):
		ev.Data = e.Data
	default:
		s, _ := json.Marshal(string(e.Data))
		ev.Text = s
	}
	ev.kind = l.p.kinds.code(ev.Kind)
	return l.p.event(&ev)
}

// Stats returns the message statistics so far (stats.json's content).
func (l *Live) Stats() Stats { return l.p.stats() }

// Timeline returns each node's up, crashed, paused and partitioned
// intervals so far (timeline.json's content).
func (l *Live) Timeline() Timeline { return l.p.timeline() }
