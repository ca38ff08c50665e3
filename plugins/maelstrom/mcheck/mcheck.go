// Package mcheck holds Maelstrom's workloads and their checkers for
// Terrarium: the client side of unique-ids, g-set, g-counter, pn-counter,
// broadcast (registered as maelstrom-broadcast, next to the core
// broadcast workload), kafka, lin-kv, txn-rw-register and txn-list-append,
// with Maelstrom's message bodies and error codes, and the checks that
// judge their histories. Figures computes Maelstrom's headline numbers
// (messages per operation, latency quantiles, availability).
package mcheck

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Plugin returns Maelstrom's workloads and checkers as a plugin. It has no
// title: Maelstrom's workloads are not a pattern, so the catalogue does not
// list them.
func Plugin() contract.Plugin {
	return contract.Plugin{Name: "maelstrom", Workloads: workloads(), Checks: checks()}
}

// workloads returns the workloads this package adds, by registry name.
func workloads() map[string]workload.Workload {
	return map[string]workload.Workload{
		"unique-ids":          uniqueIDs{},
		"g-set":               gset{},
		"g-counter":           counter{name: "g-counter"},
		"pn-counter":          counter{name: "pn-counter", negative: true},
		"maelstrom-broadcast": broadcast{},
		"kafka":               kafka{},
		"lin-kv":              linKV{},
		"txn-rw-register":     txn{name: "txn-rw-register"},
		"txn-list-append":     txn{name: "txn-list-append", appends: true},
	}
}

// checks returns the checkers this package adds, by registry name.
func checks() map[string]check.Checker {
	return map[string]check.Checker{
		"unique-ids":          UniqueIDs,
		"g-set":               GSet,
		"g-counter":           Counter,
		"pn-counter":          Counter,
		"maelstrom-broadcast": Broadcast,
		"kafka":               Kafka,
		"lin-kv":              check.LinearizableKV,
		"txn-rw-register":     TxnRWRegister,
		"txn-list-append":     TxnListAppend,
		"maelstrom-stats":     Stats,
	}
}

// Workload names the workload a Maelstrom workload name (as given to
// terrarium test -w) is registered under, and the checks to run with it:
// the workload's own, then maelstrom-stats, which Maelstrom composes with
// every workload's checker.
func Workload(name string) (registered string, checks []string, ok bool) {
	switch name {
	case "echo":
		return "echo", []string{"echo", "maelstrom-stats"}, true
	case "broadcast":
		return "maelstrom-broadcast", []string{"maelstrom-broadcast", "maelstrom-stats"}, true
	}
	if _, ok := workloads()[name]; ok {
		return name, []string{name, "maelstrom-stats"}, true
	}
	return "", nil, false
}

// WorkloadNames lists the names terrarium test -w accepts.
func WorkloadNames() []string {
	return []string{"broadcast", "echo", "g-counter", "g-set", "kafka", "lin-kv", "pn-counter", "txn-list-append", "txn-rw-register", "unique-ids"}
}

// Maelstrom's error codes, and whether each is definite: a definite error
// means the operation certainly did not happen (fail); an indefinite one
// (timeout, crash) that it may have (info).
var definite = map[int]bool{1: true, 10: true, 11: true, 12: true, 14: true, 20: true, 21: true, 22: true, 30: true}

// errorBody is Maelstrom's error reply.
type errorBody struct {
	Code int    `json:"code"`
	Text string `json:"text"`
}

// outcome is how a reply completes an operation.
type outcome struct {
	typ   string // history.OpOK, history.OpFail, history.OpInfo
	value any
	err   string
}

// request is one client operation: its history f and value, the body to
// send, and how an _ok reply's body becomes the completion's value. ok
// may return an error: the reply did not have the promised shape (info).
type request struct {
	f     string
	value any
	body  map[string]any
	ok    func(body json.RawMessage) (any, error)
	// onError, if set, may turn an error reply into another outcome (e.g.
	// lin-kv's read of a missing key is an ok read of nothing).
	onError func(e errorBody) (outcome, bool)
}

// perform records the request's invocation, sends it and records its
// completion, then calls next (if not nil) with the outcome.
func perform(c workload.Client, target string, timeout time.Duration, r request, next func(outcome)) {
	c.Invoke(r.f, r.value, target)
	finish := func(o outcome) {
		v := o.value
		if o.typ != history.OpOK {
			v = r.value
		}
		c.Complete(o.typ, r.f, v, target, o.err)
		if next != nil {
			next(o)
		}
	}
	err := c.Call(target, r.body, timeout, func(rep history.Reply) {
		switch {
		case rep.TimedOut:
			finish(outcome{typ: history.OpInfo, err: "timeout"})
		case rep.Type == fmt.Sprint(r.body["type"])+"_ok":
			var v any
			if r.ok != nil {
				var err error
				if v, err = r.ok(rep.Body); err != nil {
					finish(outcome{typ: history.OpInfo, err: fmt.Sprintf("malformed %s: %v", rep.Type, err)})
					return
				}
			}
			finish(outcome{typ: history.OpOK, value: v})
		case rep.Type == "error":
			var e errorBody
			_ = json.Unmarshal(rep.Body, &e)
			if r.onError != nil {
				if o, ok := r.onError(e); ok {
					finish(o)
					return
				}
			}
			typ := history.OpInfo
			if definite[e.Code] {
				typ = history.OpFail
			}
			finish(outcome{typ: typ, err: fmt.Sprintf("error %d: %s", e.Code, e.Text)})
		default:
			finish(outcome{typ: history.OpInfo, err: "unexpected reply " + string(rep.Body)})
		}
	})
	if err != nil {
		finish(outcome{typ: history.OpFail, err: err.Error()})
	}
}

// boundTarget is the node Jepsen binds client index ci to (see loop).
func boundTarget(spec workload.Spec, ci int) string { return spec.Targets[ci%len(spec.Targets)] }

// loop runs op for each client from start on (or spec.Start, if later),
// one operation at a time, spec.Interval after the previous one
// completed, until spec.Duration or spec.Ops; clients start staggered
// across one interval. Client i always talks to target i mod the number
// of targets, as Jepsen's interpreter binds worker i to node i mod the
// node count (jepsen/src/jepsen/generator/interpreter.clj, ClientWorker).
// The phase it returns ends when every client is done.
func loop(s workload.Env, spec workload.Spec, start time.Duration, op func(c workload.Client, target string, next func())) *phase {
	ph := &phase{}
	runLoop(s, spec, start, ph, op)
	return ph
}

// runLoop is loop reporting to a phase made beforehand.
func runLoop(s workload.Env, spec workload.Spec, start time.Duration, ph *phase, op func(c workload.Client, target string, next func())) {
	start = max(start, spec.Start)
	ph.left = len(spec.Clients)
	if start >= spec.Duration { // no operation at all (Maelstrom's --rate 0)
		s.At(start, func() {
			for range spec.Clients {
				ph.done()
			}
		})
		return
	}
	workload.ClosedLoop{Start: start, StopEarly: true, Stopped: ph.done}.Run(s, spec, func(ci int, c workload.Client, _ int, next func()) {
		op(c, boundTarget(spec, ci), next)
	})
}

// phase is the main phase of a workload: it ends when its last client has
// completed its last operation.
type phase struct {
	left  int
	ended bool
	then  []func()
}

func (p *phase) done() {
	if p.left--; p.left > 0 || p.ended {
		return
	}
	p.ended = true
	for _, f := range p.then {
		f()
	}
}

// whenDone runs f when the phase ends (at once if it has).
func (p *phase) whenDone(f func()) {
	if p.ended {
		f()
		return
	}
	p.then = append(p.then, f)
}

// finalReads is Maelstrom's final phase for workloads that have one
// (src/maelstrom/core.clj, maelstrom-test): when the main phase is over
// and every operation in flight has completed (gen/phases), and not
// before spec.Duration, wait settle (Maelstrom: 10 s, "Waiting for
// recovery...", gen/sleep 10, once the nemesis has healed everything at
// the time limit; terrarium test sets it), then each client performs
// one final read (gen/each-thread), of the node it is bound to (Jepsen's
// interpreter binds worker i to node i mod the node count), with no
// retry: a read that fails or times out simply does not count. It
// returns when the last read can have ended.
func finalReads(s workload.Env, spec workload.Spec, main *phase, settle time.Duration, mk func() request) time.Duration {
	main.whenDone(func() {
		at := max(s.Now(), spec.Duration) + settle
		for i, c := range spec.Clients {
			target := spec.Targets[i%len(spec.Targets)]
			s.At(at, func() { perform(c, target, spec.Timeout, mk(), nil) })
		}
	})
	// the main phase ends at most one timeout after the duration
	return spec.Duration + spec.Timeout + settle + spec.Timeout + time.Millisecond
}

// params decodes a workload's params into p (defaults already set).
func params(name string, raw json.RawMessage, p any) error {
	if len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, p); err != nil {
		return fmt.Errorf("workload %s: params: %w", name, err)
	}
	return nil
}

// duration parses a params duration field.
func duration(name, field, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("workload %s: params.%s %q is not a duration", name, field, v)
	}
	return d, nil
}

// isFinal marks final reads in the history: their invocation value is
// {"final": true}.
type finalMark struct {
	Final bool `json:"final"`
}

func isFinal(v json.RawMessage) bool {
	var m finalMark
	return json.Unmarshal(v, &m) == nil && m.Final
}

// preview shortens a list for a summary line.
func preview[T any](vs []T) string {
	if len(vs) > 8 {
		return fmt.Sprintf("%v and %d more", vs[:8], len(vs)-8)
	}
	return fmt.Sprint(vs)
}
