package mcheck

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

type linKV struct{}

type linKVParams struct {
	// KeyCount is the number of keys (integers 0..KeyCount-1).
	KeyCount int `json:"key_count"`
}

// Start implements workload.Workload: Maelstrom's lin-kv operations on
// integer keys, a third each: {"type":"read","key":k} -> read_ok
// {"value":v} (error 20: the key is absent, an ok read of nothing),
// {"type":"write","key":k,"value":v} -> write_ok and {"type":"cas",
// "key":k,"from":a,"to":b} -> cas_ok (error 20 or 22: it did not
// happen). Values are 1..5 (0 stands for absent in the checker).
//
// History values follow the sharded-kv workload's, so that its porcupine
// checker applies: {"key":"k","value":v}, {"key":"k","from":a,"to":b}.
func (linKV) Start(s *sim.Sim, spec workload.Spec) (time.Duration, error) {
	p := linKVParams{KeyCount: 5}
	if err := params("lin-kv", spec.Params, &p); err != nil {
		return 0, err
	}
	if p.KeyCount < 1 {
		return 0, fmt.Errorf("workload lin-kv: params.key_count must be at least 1, got %d", p.KeyCount)
	}
	loop(s, spec, 0, func(c *sim.Client, target string, done func()) {
		k := spec.Rand.IntN(p.KeyCount)
		key := strconv.Itoa(k)
		var r request
		switch spec.Rand.IntN(3) {
		case 0:
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
						return outcome{typ: sim.OpOK, value: map[string]any{"key": key, "value": nil}}, true
					}
					return outcome{}, false
				}}
		case 1:
			v := 1 + spec.Rand.IntN(5)
			r = request{f: "write", value: map[string]any{"key": key, "value": v}, body: map[string]any{"type": "write", "key": k, "value": v},
				ok: func(json.RawMessage) (any, error) { return map[string]any{"key": key, "value": v}, nil }}
		default:
			from, to := 1+spec.Rand.IntN(5), 1+spec.Rand.IntN(5)
			r = request{f: "cas", value: map[string]any{"key": key, "from": from, "to": to}, body: map[string]any{"type": "cas", "key": k, "from": from, "to": to},
				ok: func(json.RawMessage) (any, error) { return map[string]any{"key": key, "from": from, "to": to}, nil }}
		}
		perform(c, target, spec.Timeout, r, func(outcome) { done() })
	})
	return spec.Duration + spec.Timeout, nil
}
