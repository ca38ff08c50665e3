package mcheck

import (
	"fmt"
	"math"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

type broadcast struct{}

type broadcastParams struct {
	setParams
	// Topology is grid (the default, as in Maelstrom), line, ring, total
	// (alias full), tree2, tree3 or tree4.
	Topology string `json:"topology"`
}

// topologyAttempts bounds the sends of one node's topology message.
const topologyAttempts = 5

// Start implements workload.Workload. First every node gets a topology
// message ({"type":"topology","topology":{node:[neighbours]}}), retried
// until its topology_ok; only when every node has answered (or its
// retries ran out) do the operations start: broadcasts of unique integers
// ({"type":"broadcast","message":n}) and reads ({"type":"read"} ->
// read_ok {"messages":[...]}), half and half, throughout the run; after a
// settle time every node is read once more (the final reads).
func (broadcast) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	p := broadcastParams{setParams: setParams{Settle: "2s", Reads: 0.5}, Topology: "grid"}
	if err := params("maelstrom-broadcast", spec.Params, &p); err != nil {
		return 0, err
	}
	settle, err := duration("maelstrom-broadcast", "settle", p.Settle)
	if err != nil {
		return 0, err
	}
	topo, err := Topology(p.Topology, spec.Targets)
	if err != nil {
		return 0, fmt.Errorf("workload maelstrom-broadcast: params.topology: %w", err)
	}
	read := func(final bool) request {
		r := request{f: "read", body: map[string]any{"type": "read"}, ok: intList("messages")}
		if final {
			r.value = finalMark{Final: true}
		}
		return r
	}
	next := 0
	main := &phase{}
	ops := func() {
		runLoop(s, spec, s.Now(), main, func(c workload.Client, target string, done func()) {
			if spec.Rand.Float64() < p.Reads {
				perform(c, target, spec.Timeout, read(false), func(outcome) { done() })
				return
			}
			v := next
			next++
			perform(c, target, spec.Timeout, request{f: "broadcast", value: v, body: map[string]any{"type": "broadcast", "message": v}}, func(outcome) { done() })
		})
	}
	// topology first: each client tells its share of the nodes, one after
	// another; the operations start when the last client is done
	share := workload.Split(spec.Targets, len(spec.Clients))
	waiting := len(spec.Clients)
	for i, c := range spec.Clients {
		c, mine := c, share[i]
		var tell func(k, attempt int)
		tell = func(k, attempt int) {
			if k >= len(mine) {
				if waiting--; waiting == 0 {
					ops()
				}
				return
			}
			n := mine[k]
			err := c.Call(n, map[string]any{"type": "topology", "topology": topo}, spec.Timeout, func(r history.Reply) {
				if r.TimedOut && attempt < topologyAttempts {
					tell(k, attempt+1)
					return
				}
				tell(k+1, 1)
			})
			if err != nil {
				tell(k+1, 1)
			}
		}
		s.At(0, func() { tell(0, 1) })
	}
	return finalReads(s, spec, main, settle, func() request { return read(true) }), nil
}

// Topology returns Maelstrom's neighbour map of the given kind over names.
func Topology(kind string, names []string) (map[string][]string, error) {
	n := len(names)
	t := make(map[string][]string, n)
	link := func(i, j int) {
		if i != j && i >= 0 && j >= 0 && i < n && j < n {
			t[names[i]] = append(t[names[i]], names[j])
		}
	}
	for _, name := range names {
		t[name] = []string{}
	}
	switch kind {
	case "grid":
		side := int(math.Ceil(math.Sqrt(float64(n))))
		for i := range n {
			row, col := i/side, i%side
			if row > 0 {
				link(i, i-side)
			}
			if col > 0 {
				link(i, i-1)
			}
			if col < side-1 && i+1 < n {
				link(i, i+1)
			}
			if i+side < n {
				link(i, i+side)
			}
		}
	case "line":
		for i := range n {
			link(i, i-1)
			link(i, i+1)
		}
	case "ring":
		for i := range n {
			link(i, (i+n-1)%n)
			if n > 2 {
				link(i, (i+1)%n)
			}
		}
	case "total", "full":
		for i := range n {
			for j := range n {
				link(i, j)
			}
		}
	case "tree2", "tree3", "tree4":
		k := int(kind[4] - '0')
		for i := range n {
			if i > 0 {
				link(i, (i-1)/k)
			}
			for c := k*i + 1; c <= k*i+k; c++ {
				link(i, c)
			}
		}
	default:
		return nil, fmt.Errorf("%q is not one of grid, line, ring, total, tree2, tree3, tree4", kind)
	}
	return t, nil
}

// Broadcast checks a Maelstrom broadcast history: see setFull, with
// broadcasts under f "broadcast".
func Broadcast(in check.Input) check.Result { return setFull(in, "broadcast", "message") }
