package check

import (
	"time"

	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Witness names the trace event at which a violation shows, so that a
// reader can go there: the playground's violation links seek the run to
// Seq (playground/ui/app.js, violationTarget). A checker lists its
// witnesses, the first one's first, in its Result.Details["violations"].
type Witness struct {
	// Seq and T are the event's sequence number and virtual time (ns).
	Seq uint64 `json:"seq"`
	T   int64  `json:"t"`
	// At is T as a duration, for a person.
	At string `json:"at"`
	// Node is the node whose event it is.
	Node string `json:"node,omitempty"`
	// What says what the event shows.
	What string `json:"what"`
}

// WitnessOf is the witness of event e, which shows what.
func WitnessOf(e trace.Event, in Input, what string) Witness {
	w := Witness{Seq: e.Seq, T: e.Time, At: time.Duration(e.Time).String(), What: what}
	if e.Node >= 0 && int(e.Node) < len(in.Nodes) {
		w.Node = in.Nodes[e.Node]
	}
	return w
}
