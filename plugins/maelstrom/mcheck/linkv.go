package mcheck

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

type linKV struct{}

// linKVProcessLimit is jepsen.tests.linearizable-register/test's
// :process-limit default: a key is left once 20 processes have used it.
const linKVProcessLimit = 20

// linKVGroup is one group of 2n clients of
// jepsen.independent/concurrent-generator, working on one key.
type linKVGroup struct {
	key   int
	procs map[[2]int]bool // the (client, incarnation) processes that used key
}

// Start implements workload.Workload: Maelstrom's lin-kv workload
// (src/maelstrom/workload/lin_kv.clj: jepsen.tests.linearizable-register
// /test with the node count). Clients form groups of twice the node count
// (jepsen.independent/concurrent-generator, which refuses a concurrency
// that is not a multiple of it); each group works on one key at a time,
// keys 0, 1, 2, ... in turn, and moves to the next key once 20 processes
// have used its key (gen/process-limit; a client that timed out counts as
// a new process, as Jepsen gives its worker one). In a group, the first n
// clients read (gen/reserve n r) and the others write or cas, one to two
// (gen/mix [w cas cas]):
// {"type":"read","key":k} -> read_ok {"value":v} (error 20: the key is
// absent, an ok read of nothing), {"type":"write","key":k,"value":v} ->
// write_ok and {"type":"cas","key":k,"from":a,"to":b} -> cas_ok (error 20
// or 22: it did not happen). Values are drawn from five, as Jepsen's
// (rand/long 5), but 1..5 instead of 0..4: the checker's register model
// keeps 0 for "absent".
//
// History values follow the sharded-kv workload's, so that its porcupine
// checker applies: {"key":"k","value":v}, {"key":"k","from":a,"to":b}.
func (linKV) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	n := len(spec.Targets)
	size := 2 * n
	if c := len(spec.Clients); c < size || c%size != 0 {
		return 0, fmt.Errorf("workload lin-kv: %d clients for %d nodes: Maelstrom's lin-kv runs each key with %d clients (twice the nodes; jepsen.independent/concurrent-generator), so clients must be a multiple of %d (terrarium test: --concurrency 2n)", c, n, size, size)
	}
	groups := make([]*linKVGroup, len(spec.Clients)/size)
	nextKey := 0
	for i := range groups {
		groups[i] = &linKVGroup{key: nextKey, procs: map[[2]int]bool{}}
		nextKey++
	}
	index := map[workload.Client]int{}
	incarnation := map[workload.Client]int{}
	for i, c := range spec.Clients {
		index[c] = i
	}
	loop(s, spec, 0, func(c workload.Client, target string, done func()) {
		i := index[c]
		g := groups[i/size]
		proc := [2]int{i, incarnation[c]}
		if !g.procs[proc] && len(g.procs) >= linKVProcessLimit {
			g.key, g.procs = nextKey, map[[2]int]bool{}
			nextKey++
		}
		g.procs[proc] = true
		k := g.key
		key := strconv.Itoa(k)
		var r request
		switch {
		case i%size < n:
			r = request{f: "read", value: map[string]any{"key": key}, body: map[string]any{"type": "read", "key": k},
				ok: func(b json.RawMessage) (any, error) {
					var v struct {
						Value *int `json:"value"`
					}
					if err := json.Unmarshal(b, &v); err != nil {
						return nil, err
					}
					return map[string]any{"key": key, "value": v.Value}, nil
				},
				onError: func(e errorBody) (outcome, bool) {
					if e.Code == 20 {
						return outcome{typ: history.OpOK, value: map[string]any{"key": key, "value": nil}}, true
					}
					return outcome{}, false
				}}
		case spec.Rand.IntN(3) == 0:
			v := 1 + spec.Rand.IntN(5)
			r = request{f: "write", value: map[string]any{"key": key, "value": v}, body: map[string]any{"type": "write", "key": k, "value": v},
				ok: func(json.RawMessage) (any, error) { return map[string]any{"key": key, "value": v}, nil }}
		default:
			from, to := 1+spec.Rand.IntN(5), 1+spec.Rand.IntN(5)
			r = request{f: "cas", value: map[string]any{"key": key, "from": from, "to": to}, body: map[string]any{"type": "cas", "key": k, "from": from, "to": to},
				ok: func(json.RawMessage) (any, error) { return map[string]any{"key": key, "from": from, "to": to}, nil }}
		}
		perform(c, target, spec.Timeout, r, func(o outcome) {
			if o.typ == history.OpInfo {
				incarnation[c]++
			}
			done()
		})
	})
	return spec.Duration + spec.Timeout, nil
}
