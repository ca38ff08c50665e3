package rlbscheck

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Workload is the "rlbs" workload. Client i sends to Targets[i mod
// len(Targets)], so clients are split evenly between balancers. Requests
// arrive open-loop: a client's arrivals are a Poisson process with mean gap
// Interval (params {"arrivals": "fixed"} spaces them exactly Interval
// apart), independent of replies. Clients i and j with the same i/len(
// Targets) draw the same arrival times, so each balancer is offered the
// same load. A client keeps one request on the wire
// (one operation in flight per process, as histories expect); arrivals
// that find it busy wait in its queue. Each operation records latency_ms,
// from send to reply (what the balancer and its replicas cost), and
// queued_ms, how long it waited in the client's queue before that, so
// queueing behind a slow reply is reported rather than hidden.
//
// Each request is {"type":"work","req":"c0-7"}. History: invoke with
// {"req"}; ok with {"req","replica","balancer","algorithm","attempts",
// "latency_ms","queued_ms"}; info (timeout) and fail (error reply) with
// {"req","latency_ms","queued_ms"}.
type Workload struct{}

type workloadParams struct {
	Arrivals string `json:"arrivals"`
	// Settle is how long after Duration queued requests may still finish.
	Settle string `json:"settle"`
}

// Start implements workload.Workload.
func (Workload) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	p := workloadParams{Arrivals: "poisson"}
	if len(spec.Params) > 0 {
		if err := json.Unmarshal(spec.Params, &p); err != nil {
			return 0, fmt.Errorf("workload rlbs: params: %w", err)
		}
	}
	if p.Arrivals != "poisson" && p.Arrivals != "fixed" {
		return 0, fmt.Errorf("workload rlbs: params.arrivals %q is not poisson or fixed", p.Arrivals)
	}
	settle := 2 * spec.Timeout
	if p.Settle != "" {
		d, err := time.ParseDuration(p.Settle)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("workload rlbs: params.settle %q is not a duration", p.Settle)
		}
		settle = d
	}
	if len(spec.Targets) == 0 {
		return 0, fmt.Errorf("workload rlbs: no targets")
	}
	// Clients of the same rank ci/len(Targets) draw the same arrival
	// times, so every target is offered the same load (a paired comparison
	// of balancers).
	seeds := make([]uint64, (len(spec.Clients)+len(spec.Targets)-1)/len(spec.Targets))
	for i := range seeds {
		seeds[i] = spec.Rand.Uint64()
	}
	for ci, c := range spec.Clients {
		c := c
		target := spec.Targets[ci%len(spec.Targets)]
		rank := ci / len(spec.Targets)
		rng := rand.New(rand.NewPCG(seeds[rank], uint64(rank)))
		gap := func() time.Duration {
			if p.Arrivals == "fixed" {
				return spec.Interval
			}
			return time.Duration(rng.ExpFloat64() * float64(spec.Interval))
		}
		var queue []time.Duration // arrival times waiting to be sent
		busy := false
		n := 0
		var send func()
		send = func() {
			if busy || len(queue) == 0 {
				return
			}
			arrived := queue[0]
			queue = queue[1:]
			busy = true
			n++
			req := fmt.Sprintf("%s-%d", c.Name(), n)
			c.Invoke("work", map[string]any{"req": req}, target)
			sent := s.Now()
			finish := func(typ string, v map[string]any, errText string) {
				v["req"] = req
				v["latency_ms"] = float64(s.Now()-sent) / float64(time.Millisecond)
				v["queued_ms"] = float64(sent-arrived) / float64(time.Millisecond)
				c.Complete(typ, "work", v, target, errText)
				busy = false
				send()
			}
			err := c.Call(target, map[string]any{"type": "work", "req": req}, spec.Timeout, func(r history.Reply) {
				switch {
				case r.TimedOut:
					finish(history.OpInfo, map[string]any{}, "timeout")
				case r.Type == "work_ok":
					var b struct {
						Replica   string `json:"replica"`
						Balancer  string `json:"balancer"`
						Algorithm string `json:"algorithm"`
						Attempts  int    `json:"attempts"`
					}
					_ = json.Unmarshal(r.Body, &b)
					finish(history.OpOK, map[string]any{"replica": b.Replica, "balancer": b.Balancer, "algorithm": b.Algorithm, "attempts": b.Attempts}, "")
				default:
					finish(history.OpFail, map[string]any{}, string(r.Body))
				}
			})
			if err != nil {
				finish(history.OpFail, map[string]any{}, err.Error())
			}
		}
		arrivals := 0
		var arrive func()
		arrive = func() {
			if s.Now() >= spec.Duration || (spec.Ops > 0 && arrivals >= spec.Ops) {
				return
			}
			arrivals++
			queue = append(queue, s.Now())
			send()
			s.After(max(gap(), time.Microsecond), arrive)
		}
		// stagger ranks so they do not all start at the same instant
		s.At(time.Duration(rank)*spec.Interval/time.Duration(max(len(seeds), 1)), arrive)
	}
	return spec.Duration + settle, nil
}
