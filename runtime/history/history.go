// Package history is the vocabulary of a client history, in Jepsen's
// words: the operations clients invoke and complete, how completions pair
// with their invocations, and the reply a client's call gets. It is a leaf:
// checkers and workloads read and write histories through it without
// compiling against the simulator or the Wasm engine.
package history

import (
	"encoding/json"
	"sort"
	"time"
)

// Op is one entry of a client history: an operation is invoked, then
// completes ok, fails (it certainly did not happen) or ends as info
// (unknown: it timed out).
type Op struct {
	Index   int             `json:"index"`
	Process int             `json:"process"`
	Type    string          `json:"type"`
	F       string          `json:"f"`
	Value   json.RawMessage `json:"value,omitempty"`
	Time    int64           `json:"time"`
	Node    string          `json:"node,omitempty"`
	Error   string          `json:"error,omitempty"`
}

// History op types.
const (
	OpInvoke = "invoke"
	OpOK     = "ok"
	OpFail   = "fail"
	OpInfo   = "info"
)

// Reply is the outcome of a client call.
type Reply struct {
	// Body is the reply's body (nil on timeout).
	Body json.RawMessage
	// Type is the reply body's "type" ("" on timeout).
	Type string
	// TimedOut is true when no reply came within the timeout.
	TimedOut bool
	// Latency is the virtual time from send to reply (or to the timeout).
	Latency time.Duration
}

// Pairs matches each completion to its invocation, per process (a process
// keeps one operation in flight), and returns the invocations never
// completed, in history order.
func Pairs(h []Op) (done [][2]Op, open []Op) {
	inflight := map[int]Op{}
	for _, op := range h {
		if op.Type == OpInvoke {
			inflight[op.Process] = op
			continue
		}
		if inv, ok := inflight[op.Process]; ok && inv.F == op.F {
			done = append(done, [2]Op{inv, op})
			delete(inflight, op.Process)
		}
	}
	for _, op := range inflight {
		open = append(open, op)
	}
	sort.Slice(open, func(i, j int) bool { return open[i].Index < open[j].Index })
	return done, open
}
