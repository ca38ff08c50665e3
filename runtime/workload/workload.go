// Package workload drives host-side clients against the nodes of a
// simulation: it schedules requests on virtual time and records each
// operation in the client history (invoke, then ok / fail / info).
package workload

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/history"
)

// Env is what a workload sees of the simulation: its virtual clock, a
// way to schedule a callback on it, and the node names it may address.
// Callbacks run on the event loop, one at a time.
type Env interface {
	// Now is the current virtual time.
	Now() time.Duration
	// At runs fn at virtual time t (now, if t has passed).
	At(t time.Duration, fn func())
	// After runs fn d after now.
	After(d time.Duration, fn func())
	// Index returns the index of a named node or client.
	Index(name string) (int32, bool)
}

// Client is a host-side actor that sends Maelstrom-shaped requests and
// records the operations it makes in the client history.
type Client interface {
	// Name is the client's node name (c0, c1, ...).
	Name() string
	// Call sends body (a JSON object, to which "msg_id" is added) to the
	// named node and calls done with the reply, or with TimedOut after
	// timeout (0: wait forever).
	Call(to string, body map[string]any, timeout time.Duration, done func(history.Reply)) error
	// Invoke records the start of an operation and returns its history
	// index.
	Invoke(f string, value any, node string) int
	// Complete records an operation's outcome (history.OpOK, OpFail or
	// OpInfo) and returns its history index.
	Complete(typ, f string, value any, node, errText string) int
}

// Spec is what a workload needs to know.
type Spec struct {
	// Clients run the workload; each keeps one request in flight.
	Clients []Client
	// Targets are the node names clients send to.
	Targets []string
	// Duration is how long clients issue new operations.
	Duration time.Duration
	// Interval separates a client's operations.
	Interval time.Duration
	// Start is when clients begin (a start at or after Duration leaves
	// only the final phase).
	Start time.Duration
	// Ops bounds operations per client (0: until Duration).
	Ops int
	// Timeout is a request's deadline.
	Timeout time.Duration
	// Params are the workload's own settings (JSON object).
	Params json.RawMessage
	// Rand is the workload's seeded stream.
	Rand *rand.Rand
}

// Section is a scenario's workload: section: which workload the clients
// run and how. Package scenario reads it through its yaml tags and
// applies the defaults (scenario.DefaultInterval, DefaultTimeout).
type Section struct {
	// Type names the workload; "none" (scenario.WorkloadNone) when the
	// section is absent.
	Type string `yaml:"type" check:"required"`
	// Clients is the number of clients: >= 1 when the section is present,
	// 0 when it is absent.
	Clients int `yaml:"clients" range:"1,65536"`
	// Interval is the time between a client's operations, > 0.
	Interval time.Duration `yaml:"interval" check:"positive"`
	// Start is when clients begin their operations (0: at once). A start
	// at or after the duration leaves only a workload's final phase, as
	// Maelstrom's --rate 0 does.
	Start time.Duration `yaml:"start,omitempty"`
	// Ops is the number of operations per client; 0 means until the run
	// ends.
	Ops int `yaml:"ops,omitempty" range:"0,4611686018427387904"`
	// Timeout is the per-request timeout, > 0.
	Timeout time.Duration `yaml:"timeout" check:"positive"`
	// Targets lists the names of the nodes clients may send to; by default
	// every node, in index order.
	Targets []string `yaml:"targets,omitempty" item:"target"`
	// Params is the workload's params as a JSON object with sorted keys;
	// "{}" when absent.
	Params json.RawMessage `yaml:"params,omitempty"`
	// Line is the line of the workload mapping, 0 when absent.
	Line int `yaml:"-" pos:"line"`
}

// HasClient reports whether name is one of the section's clients, c0 to
// c{Clients-1} as the simulation names them (none if Type is unset).
func (w *Section) HasClient(name string) bool {
	k, err := strconv.Atoi(strings.TrimPrefix(name, "c"))
	return err == nil && w.Type != "" && k >= 0 && k < w.Clients && name == "c"+strconv.Itoa(k)
}

// ClientsHint names the section's clients for messages.
func (w *Section) ClientsHint() string {
	if w.Type == "" || w.Clients <= 0 {
		return "no clients"
	}
	return fmt.Sprintf("clients: c0 to c%d", w.Clients-1)
}

// Workload schedules client operations on a simulation.
type Workload interface {
	// Start schedules the workload; it returns the virtual time at which
	// the run may end (after any final phase, such as final reads).
	Start(s Env, spec Spec) (end time.Duration, err error)
}

// Names lists the registered workloads.
func Names() []string {
	n := []string{"none"}
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Get returns a registered workload.
func Get(name string) (Workload, error) {
	w, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("workload: unknown workload %q (known: %v)", name, Names())
	}
	return w, nil
}

var registry = map[string]Workload{
	"echo":      echo{},
	"broadcast": broadcast{},
}

// Split deals names round-robin into n shares, so that n clients can each
// work through theirs one operation at a time.
func Split(names []string, n int) [][]string {
	share := make([][]string, n)
	for i, name := range names {
		share[i%n] = append(share[i%n], name)
	}
	return share
}

// Loop runs op for each client, one operation at a time, Interval after
// the previous one completed, until Duration or Ops; clients start
// staggered across one Interval from Start. The target is drawn from the
// workload's stream before op runs. op must call next exactly once, when
// its operation completes.
func Loop(s Env, spec Spec, op func(c Client, n int, target string, next func())) {
	ClosedLoop{Start: spec.Start}.Run(s, spec, func(_ int, c Client, n int, next func()) {
		target := spec.Targets[spec.Rand.IntN(len(spec.Targets))]
		op(c, n, target, next)
	})
}

// ClosedLoop paces closed-loop clients: each client sends a request, waits
// for its reply or its timeout, and sends the next one Interval later,
// until Duration or Ops. Every workload's clients go through Run, so they
// all schedule their events in one order.
type ClosedLoop struct {
	// Start is when client 0 begins; client i begins i/len(Clients) of an
	// Interval after it.
	Start time.Duration
	// StopEarly stops a client as an operation completes if its next one
	// would begin at or after Duration, or would pass Ops (Jepsen's
	// gen/phases waits for free workers); otherwise a client stops at the
	// first step that finds Duration or Ops reached.
	StopEarly bool
	// Stopped, if set, is called once for each client, when it stops.
	Stopped func()
}

// Run starts the clients of spec. op performs operation n (counted from 1)
// of client ci and must call next exactly once, when that operation
// completes.
func (l ClosedLoop) Run(s Env, spec Spec, op func(ci int, c Client, n int, next func())) {
	over := func(n int) bool { return spec.Ops > 0 && n >= spec.Ops }
	stopped := func() {
		if l.Stopped != nil {
			l.Stopped()
		}
	}
	for ci, c := range spec.Clients {
		n := 0
		var step func()
		step = func() {
			if s.Now() >= spec.Duration || over(n) {
				stopped()
				return
			}
			n++
			op(ci, c, n, func() {
				if l.StopEarly && (s.Now()+spec.Interval >= spec.Duration || over(n)) {
					stopped()
					return
				}
				s.After(spec.Interval, step)
			})
		}
		s.At(l.Start+time.Duration(ci)*spec.Interval/time.Duration(max(len(spec.Clients), 1)), step)
	}
}

type echo struct{}

// Start implements Workload: each operation sends {"type":"echo","echo":s}
// and expects echo_ok carrying the same string.
func (echo) Start(s Env, spec Spec) (time.Duration, error) {
	Loop(s, spec, func(c Client, n int, target string, next func()) {
		payload := fmt.Sprintf("%s-%d", c.Name(), n)
		c.Invoke("echo", payload, target)
		err := c.Call(target, map[string]any{"type": "echo", "echo": payload}, spec.Timeout, func(r history.Reply) {
			switch {
			case r.TimedOut:
				c.Complete(history.OpInfo, "echo", payload, target, "timeout")
			case r.Type == "error":
				c.Complete(history.OpFail, "echo", payload, target, string(r.Body))
			default:
				var b struct {
					Echo string `json:"echo"`
				}
				_ = json.Unmarshal(r.Body, &b)
				c.Complete(history.OpOK, "echo", b.Echo, target, "")
			}
			next()
		})
		if err != nil {
			c.Complete(history.OpFail, "echo", payload, target, err.Error())
			next()
		}
	})
	return spec.Duration + spec.Timeout, nil
}

type broadcast struct{}

// finalReadAttempts bounds the retries of a final read lost on the way.
const finalReadAttempts = 5

type broadcastParams struct {
	// Settle is the quiet time between the last broadcast and the final reads.
	Settle string `json:"settle"`
	// Topology, if set ("ring", "line" or "full"), is sent to every node first.
	Topology string `json:"topology"`
}

// Start implements Workload: clients broadcast unique integers; after the
// workload and a settle time every node is read once ("final" reads).
func (broadcast) Start(s Env, spec Spec) (time.Duration, error) {
	p := broadcastParams{Settle: "2s"}
	if len(spec.Params) > 0 {
		if err := json.Unmarshal(spec.Params, &p); err != nil {
			return 0, fmt.Errorf("workload broadcast: params: %w", err)
		}
	}
	settle, err := time.ParseDuration(p.Settle)
	if err != nil || settle < 0 {
		return 0, fmt.Errorf("workload broadcast: params.settle %q is not a duration", p.Settle)
	}
	if p.Topology != "" {
		topo, err := topology(p.Topology, spec.Targets)
		if err != nil {
			return 0, err
		}
		c := spec.Clients[0]
		for _, n := range spec.Targets {
			n := n
			s.At(0, func() {
				_ = c.Call(n, map[string]any{"type": "topology", "topology": topo}, spec.Timeout, func(history.Reply) {})
			})
		}
	}
	next := 0
	Loop(s, spec, func(c Client, _ int, target string, done func()) {
		v := next
		next++
		c.Invoke("broadcast", v, target)
		err := c.Call(target, map[string]any{"type": "broadcast", "message": v}, spec.Timeout, func(r history.Reply) {
			switch {
			case r.TimedOut:
				c.Complete(history.OpInfo, "broadcast", v, target, "timeout")
			case r.Type == "broadcast_ok":
				c.Complete(history.OpOK, "broadcast", v, target, "")
			default:
				c.Complete(history.OpFail, "broadcast", v, target, string(r.Body))
			}
			done()
		})
		if err != nil {
			c.Complete(history.OpFail, "broadcast", v, target, err.Error())
			done()
		}
	})
	// Final reads: every node once, each client reading its share one after
	// another (a client keeps one operation in flight).
	final := spec.Duration + settle
	share := Split(spec.Targets, len(spec.Clients))
	for i, c := range spec.Clients {
		c, mine := c, share[i]
		var readNext func(k, attempt int)
		readNext = func(k, attempt int) {
			if k >= len(mine) {
				return
			}
			n := mine[k]
			c.Invoke("read", nil, n)
			err := c.Call(n, map[string]any{"type": "read"}, spec.Timeout, func(r history.Reply) {
				var b struct {
					Messages []int `json:"messages"`
				}
				switch {
				case r.TimedOut:
					c.Complete(history.OpInfo, "read", nil, n, "timeout")
					if attempt < finalReadAttempts { // a lost read is retried
						readNext(k, attempt+1)
						return
					}
				case r.Type == "read_ok" && json.Unmarshal(r.Body, &b) == nil:
					if b.Messages == nil {
						b.Messages = []int{}
					}
					c.Complete(history.OpOK, "read", b.Messages, n, "")
				default:
					c.Complete(history.OpFail, "read", nil, n, string(r.Body))
				}
				readNext(k+1, 1)
			})
			if err != nil {
				c.Complete(history.OpFail, "read", nil, n, err.Error())
				readNext(k+1, 1)
			}
		}
		s.At(final, func() { readNext(0, 1) })
	}
	rounds := (len(spec.Targets) + len(spec.Clients) - 1) / len(spec.Clients)
	return final + time.Duration(rounds*finalReadAttempts)*spec.Timeout, nil
}

func topology(kind string, names []string) (map[string][]string, error) {
	t := map[string][]string{}
	k := len(names)
	for i, n := range names {
		switch kind {
		case "full":
			for _, m := range names {
				if m != n {
					t[n] = append(t[n], m)
				}
			}
		case "ring", "line":
			if k < 2 {
				t[n] = []string{}
				continue
			}
			if i > 0 || kind == "ring" {
				t[n] = append(t[n], names[(i+k-1)%k])
			}
			if i < k-1 || kind == "ring" {
				if nb := names[(i+1)%k]; len(t[n]) == 0 || t[n][0] != nb {
					t[n] = append(t[n], nb)
				}
			}
		default:
			return nil, fmt.Errorf("workload broadcast: params.topology %q is not one of full, ring, line", kind)
		}
	}
	return t, nil
}
