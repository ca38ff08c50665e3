// Package twopccheck is the host side of the Two-Phase Commit plugin: the
// "twopc" client workload and the "twopc-atomicity" and "twopc-blocking"
// checkers.
package twopccheck

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Plugin returns the plugin's catalogue entry, workloads and checkers.
func Plugin() contract.Plugin {
	return contract.Plugin{
		Name:      "twopc",
		Title:     "Two-Phase Commit",
		Category:  "object communication",
		Summary:   "A coordinator asks every participant to prepare, logs commit or abort, then tells them all: atomic across nodes, blocking when the coordinator fails.",
		Workloads: map[string]workload.Workload{"twopc": Workload{}},
		Checks:    map[string]check.Checker{"twopc-atomicity": Atomicity, "twopc-blocking": Blocking},
	}
}

// Workload submits transactions to the coordinator: each writes KeysPerTxn
// distinct keys drawn from k0..k(Keys-1), every value being the
// transaction's id. History: invoke txn {txn, writes}, then ok {txn,
// outcome}, fail (error 10 or 12: refused) or info (timeout, other errors).
type Workload struct{}

type params struct {
	// Keys is the size of the key set (default 6).
	Keys int `json:"keys"`
	// KeysPerTxn is how many keys a transaction writes (default 2).
	KeysPerTxn int `json:"keys_per_txn"`
	// Settle is the quiet time after the last transaction (default 1s).
	Settle string `json:"settle"`
	// Coordinator names the node clients send to (default: the first
	// workload target).
	Coordinator string `json:"coordinator"`
}

// Start implements workload.Workload.
func (Workload) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	p := params{Keys: 6, KeysPerTxn: 2, Settle: "1s"}
	if len(spec.Params) > 0 {
		if err := json.Unmarshal(spec.Params, &p); err != nil {
			return 0, fmt.Errorf("workload twopc: params: %w", err)
		}
	}
	settle, err := time.ParseDuration(p.Settle)
	if err != nil || settle < 0 {
		return 0, fmt.Errorf("workload twopc: params.settle %q is not a duration", p.Settle)
	}
	if p.Keys < 1 || p.KeysPerTxn < 1 || p.KeysPerTxn > p.Keys {
		return 0, fmt.Errorf("workload twopc: need 1 <= keys_per_txn (%d) <= keys (%d)", p.KeysPerTxn, p.Keys)
	}
	coord := p.Coordinator
	if coord == "" {
		if len(spec.Targets) == 0 {
			return 0, fmt.Errorf("workload twopc: no target")
		}
		coord = spec.Targets[0]
	}
	// the clients start at 0, whatever spec.Start says
	workload.ClosedLoop{}.Run(s, spec, func(_ int, c workload.Client, seq int, next func()) {
		id := fmt.Sprintf("%s-%d", c.Name(), seq)
		writes := map[string]string{}
		for _, i := range spec.Rand.Perm(p.Keys)[:p.KeysPerTxn] {
			writes[fmt.Sprintf("k%d", i)] = id
		}
		c.Invoke("txn", map[string]any{"txn": id, "writes": writes}, coord)
		err := c.Call(coord, map[string]any{"type": "txn", "txn": id, "writes": writes}, spec.Timeout, func(r history.Reply) {
			var b struct {
				Outcome string `json:"outcome"`
			}
			switch {
			case r.TimedOut:
				c.Complete(history.OpInfo, "txn", map[string]any{"txn": id}, coord, "timeout")
			case r.Type == "txn_ok" && json.Unmarshal(r.Body, &b) == nil:
				c.Complete(history.OpOK, "txn", map[string]any{"txn": id, "outcome": b.Outcome}, coord, "")
			default:
				// Only a refused request certainly did nothing; any other
				// error leaves the outcome unknown.
				var e struct {
					Code int `json:"code"`
				}
				_ = json.Unmarshal(r.Body, &e)
				typ := history.OpInfo
				if r.Type == "error" && (e.Code == 10 || e.Code == 12) {
					typ = history.OpFail
				}
				c.Complete(typ, "txn", map[string]any{"txn": id}, coord, string(r.Body))
			}
			next()
		})
		if err != nil {
			c.Complete(history.OpFail, "txn", map[string]any{"txn": id}, coord, err.Error())
			next()
		}
	})
	return spec.Duration + spec.Timeout + settle, nil
}
