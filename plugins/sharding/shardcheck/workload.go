package shardcheck

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Maelstrom error codes the workload tells apart.
const (
	codeTemporarilyUnavailable = 11
	codeKeyDoesNotExist        = 20
	codePreconditionFailed     = 22
)

// ShardedKV is the sharded-kv workload: every client keeps one request in
// flight, each a read, write or cas on one of Keys keys (k000, k001, ...)
// drawn from a Zipf distribution with exponent S (0: uniform). Writes and
// cas write unique values; a cas expects the last value any client saw.
//
// History ops: f is read, write or cas; the invoke value is
// {"key","value"} (write), {"key"} (read) or {"key","from","to"} (cas); an
// ok read completes with {"key","value"} (value null: absent). A reply that
// says the op was not applied (error 11 rejected, 20 no such key, 22 cas
// mismatch) completes as fail; a timeout or any other error as info (the op
// may or may not have happened).
type ShardedKV struct{}

// Params are the workload's settings.
type Params struct {
	Keys  int     `json:"keys"`  // default 8
	S     float64 `json:"s"`     // Zipf exponent, >= 0; default 0 (uniform)
	Reads float64 `json:"reads"` // share of reads, default 0.5
	CAS   float64 `json:"cas"`   // share of cas, default 0.2; the rest are writes
}

// KeyName names key i as the guest's range maps do.
func KeyName(i int) string { return fmt.Sprintf("k%03d", i) }

// zipfCDF is the cumulative distribution of ranks 0..n-1 with weight
// 1/(rank+1)^s.
func zipfCDF(n int, s float64) []float64 {
	cdf := make([]float64, n)
	total := 0.0
	for i := 0; i < n; i++ {
		total += 1 / math.Pow(float64(i+1), s)
		cdf[i] = total
	}
	for i := range cdf {
		cdf[i] /= total
	}
	return cdf
}

func pick(cdf []float64, u float64) int {
	for i, c := range cdf {
		if u < c {
			return i
		}
	}
	return len(cdf) - 1
}

// Start implements workload.Workload.
func (ShardedKV) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	p := Params{Keys: 8, Reads: 0.5, CAS: 0.2}
	if len(spec.Params) > 0 {
		if err := json.Unmarshal(spec.Params, &p); err != nil {
			return 0, fmt.Errorf("workload sharded-kv: params: %w", err)
		}
	}
	if p.Keys < 1 || p.Keys > 1000 {
		return 0, fmt.Errorf("workload sharded-kv: params.keys %d is not in 1..1000", p.Keys)
	}
	if p.S < 0 || math.IsNaN(p.S) {
		return 0, fmt.Errorf("workload sharded-kv: params.s %v must be >= 0", p.S)
	}
	if p.Reads < 0 || p.CAS < 0 || p.Reads+p.CAS > 1 {
		return 0, fmt.Errorf("workload sharded-kv: params.reads + params.cas must be in [0, 1]")
	}
	if len(spec.Clients) == 0 || len(spec.Targets) == 0 {
		return 0, fmt.Errorf("workload sharded-kv: needs clients and targets")
	}
	cdf := zipfCDF(p.Keys, p.S)
	last := map[string]int{} // the last value any client saw per key
	next := 0
	workload.Loop(s, spec, func(c workload.Client, _ int, target string, done func()) {
		key := KeyName(pick(cdf, spec.Rand.Float64()))
		u := spec.Rand.Float64()
		switch {
		case u < p.Reads:
			call(s, c, spec, target, "read", map[string]any{"key": key}, last, done)
		case u < p.Reads+p.CAS:
			next++
			call(s, c, spec, target, "cas", map[string]any{"key": key, "from": last[key], "to": next}, last, done)
		default:
			next++
			call(s, c, spec, target, "write", map[string]any{"key": key, "value": next}, last, done)
		}
	})
	return spec.Duration + spec.Timeout, nil
}

func call(s workload.Env, c workload.Client, spec workload.Spec, target, f string, value map[string]any, last map[string]int, done func()) {
	key := value["key"].(string)
	c.Invoke(f, value, target)
	body := map[string]any{"type": f}
	for k, v := range value {
		body[k] = v
	}
	err := c.Call(target, body, spec.Timeout, func(r history.Reply) {
		switch {
		case r.TimedOut:
			c.Complete(history.OpInfo, f, value, target, "timeout")
		case r.Type == f+"_ok":
			out := value
			if f == "read" {
				var b struct {
					Value *int `json:"value"`
				}
				_ = json.Unmarshal(r.Body, &b)
				out = map[string]any{"key": key, "value": b.Value}
				if b.Value != nil {
					last[key] = *b.Value
				}
			} else if f == "write" {
				last[key] = value["value"].(int)
			} else {
				last[key] = value["to"].(int)
			}
			c.Complete(history.OpOK, f, out, target, "")
		case r.Type == "error":
			var e struct {
				Code int    `json:"code"`
				Text string `json:"text"`
			}
			_ = json.Unmarshal(r.Body, &e)
			switch e.Code {
			case codeTemporarilyUnavailable, codeKeyDoesNotExist, codePreconditionFailed:
				c.Complete(history.OpFail, f, value, target, fmt.Sprintf("%d: %s", e.Code, e.Text))
			default:
				c.Complete(history.OpInfo, f, value, target, fmt.Sprintf("%d: %s", e.Code, e.Text))
			}
		default:
			c.Complete(history.OpInfo, f, value, target, "unexpected reply "+r.Type)
		}
		done()
	})
	if err != nil {
		c.Complete(history.OpFail, f, value, target, err.Error())
		done()
	}
}
