package rlbscheck

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// algorithmOrder is the order of the latency table's rows.
var algorithmOrder = []string{"round-robin", "least-outstanding", "p2c"}

// op is one completed (or still open) work operation.
type op struct {
	balancer  string
	result    string // ok, info, fail, or "" while open
	replica   string
	algorithm string
	attempts  int
	latencyMS float64 // send to reply
	queuedMS  float64 // waiting in the client's queue before the send
}

// workOps pairs the work invocations with their completions, per process.
func workOps(h []history.Op) []op {
	type open struct {
		inv history.Op
		i   int
	}
	var ops []op
	inflight := map[int]open{}
	for _, o := range h {
		if o.F != "work" {
			continue
		}
		if o.Type == history.OpInvoke {
			inflight[o.Process] = open{o, len(ops)}
			ops = append(ops, op{balancer: o.Node})
			continue
		}
		inv, ok := inflight[o.Process]
		if !ok {
			continue
		}
		delete(inflight, o.Process)
		var v struct {
			Replica   string   `json:"replica"`
			Algorithm string   `json:"algorithm"`
			Attempts  int      `json:"attempts"`
			LatencyMS *float64 `json:"latency_ms"`
			QueuedMS  float64  `json:"queued_ms"`
		}
		_ = json.Unmarshal(o.Value, &v)
		p := &ops[inv.i]
		p.result, p.replica, p.algorithm, p.attempts, p.queuedMS = o.Type, v.Replica, v.Algorithm, v.Attempts, v.QueuedMS
		if v.LatencyMS != nil {
			p.latencyMS = *v.LatencyMS
		} else {
			p.latencyMS = float64(o.Time-inv.inv.Time) / float64(time.Millisecond)
		}
	}
	return ops
}

// route is one forward a balancer emitted.
type route struct {
	at       int64
	balancer string
	replica  string
	req      string
	ev       trace.Event
}

// interval is a span of time a node spent crashed ([from, to), to = -1:
// until the end).
type interval struct{ from, to int64 }

// runInfo is what the checkers read from the events.
type runInfo struct {
	algorithm map[string]string // balancer -> algorithm
	replicas  []string
	routes    []route
	down      map[string][]interval
	end       int64
}

func readEvents(in check.Input) runInfo {
	ri := runInfo{algorithm: map[string]string{}, down: map[string][]interval{}}
	name := func(i int32) string {
		if i >= 0 && int(i) < len(in.Nodes) {
			return in.Nodes[i]
		}
		return fmt.Sprintf("#%d", i)
	}
	reps := map[string]bool{}
	for _, e := range in.Events {
		ri.end = max(ri.end, e.Time)
		switch e.Kind {
		case trace.KindEmit:
			switch e.Label {
			case "balancer":
				var b struct {
					Algorithm string   `json:"algorithm"`
					Replicas  []string `json:"replicas"`
				}
				if json.Unmarshal(e.Data, &b) == nil {
					ri.algorithm[name(e.Node)] = b.Algorithm
					for _, r := range b.Replicas {
						reps[r] = true
					}
				}
			case "route":
				var r struct {
					Replica string `json:"replica"`
					Req     string `json:"req"`
				}
				if json.Unmarshal(e.Data, &r) == nil && r.Replica != "" {
					ri.routes = append(ri.routes, route{at: e.Time, balancer: name(e.Node), replica: r.Replica, req: r.Req, ev: e})
					reps[r.Replica] = true
				}
			}
		case trace.KindCrash:
			n := name(e.Node)
			iv := ri.down[n]
			if len(iv) == 0 || iv[len(iv)-1].to >= 0 {
				ri.down[n] = append(iv, interval{e.Time, -1})
			}
		case trace.KindRestart, trace.KindBoot:
			n := name(e.Node)
			if iv := ri.down[n]; len(iv) > 0 && iv[len(iv)-1].to < 0 {
				iv[len(iv)-1].to = e.Time
			}
		}
	}
	for r := range reps {
		ri.replicas = append(ri.replicas, r)
	}
	sort.Strings(ri.replicas)
	return ri
}

// downFor reports how long replica r had been down at t (-1: up).
func (ri runInfo) downFor(r string, t int64) int64 {
	for _, iv := range ri.down[r] {
		if t >= iv.from && (iv.to < 0 || t < iv.to) {
			return t - iv.from
		}
	}
	return -1
}

// maxDown is the largest number of the replicas down at the same time.
func (ri runInfo) maxDown() int {
	type edge struct {
		at int64
		d  int
	}
	var es []edge
	for _, r := range ri.replicas {
		for _, iv := range ri.down[r] {
			es = append(es, edge{iv.from, +1})
			if iv.to >= 0 {
				es = append(es, edge{iv.to, -1})
			}
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].at < es[j].at || es[i].at == es[j].at && es[i].d < es[j].d })
	cur, best := 0, 0
	for _, e := range es {
		cur += e.d
		best = max(best, cur)
	}
	return best
}

func spans(ivs []interval) []string {
	var out []string
	for _, iv := range ivs {
		to := "end"
		if iv.to >= 0 {
			to = time.Duration(iv.to).String()
		}
		out = append(out, time.Duration(iv.from).String()+"-"+to)
	}
	return out
}

type availabilityParams struct {
	Threshold    *float64 `json:"threshold"`
	MaxDown      *int     `json:"max_down"`
	Grace        string   `json:"grace"`
	MaxImbalance float64  `json:"max_imbalance"`
}

// Availability is "rlbs-availability": the share of work requests served
// (an ok reply within the client's timeout) must be at least
// params.threshold (default 0.95) while at most params.max_down (default
// 2) replicas are down at once. It names the replicas that kept receiving
// traffic more than params.grace (default "500ms") after they crashed, and
// reports the load balance: the max/min of requests served per replica
// that never crashed (params.max_imbalance > 0 makes a larger ratio fail).
func Availability(in check.Input) check.Result {
	p := availabilityParams{Grace: "500ms"}
	if len(in.Params) > 0 {
		if err := json.Unmarshal(in.Params, &p); err != nil {
			return check.Result{Verdict: check.Unknown, Summary: "bad params: " + err.Error()}
		}
	}
	threshold, maxDownAllowed := 0.95, 2
	if p.Threshold != nil {
		threshold = *p.Threshold
	}
	if p.MaxDown != nil {
		maxDownAllowed = *p.MaxDown
	}
	grace, err := time.ParseDuration(p.Grace)
	if err != nil {
		return check.Result{Verdict: check.Unknown, Summary: fmt.Sprintf("bad params.grace %q", p.Grace)}
	}
	ri := readEvents(in)
	ops := workOps(in.History)
	var served, timeouts, failed, open, retried int
	perReplica := map[string]int{}
	for _, r := range ri.replicas {
		perReplica[r] = 0
	}
	for _, o := range ops {
		switch o.result {
		case history.OpOK:
			served++
			perReplica[o.replica]++
			if o.attempts > 1 {
				retried++
			}
		case history.OpInfo:
			timeouts++
		case history.OpFail:
			failed++
		default:
			open++
		}
	}
	deadRoutes, firstDead, deadReplica := ri.routesToDead(in, grace)
	crashed := map[string][]string{}
	var live []string
	for _, r := range ri.replicas {
		if len(ri.down[r]) > 0 {
			crashed[r] = spans(ri.down[r])
		} else {
			live = append(live, r)
		}
	}
	balanceOver := live
	if len(balanceOver) == 0 {
		balanceOver = ri.replicas
	}
	bmax, bmin := 0, -1
	for _, r := range balanceOver {
		bmax = max(bmax, perReplica[r])
		if bmin < 0 || perReplica[r] < bmin {
			bmin = perReplica[r]
		}
	}
	ratio := 0.0
	if bmin > 0 {
		ratio = round3(float64(bmax) / float64(bmin))
	}
	maxDown := ri.maxDown()
	requests := len(ops)
	avail := 0.0
	if requests > 0 {
		avail = float64(served) / float64(requests)
	}
	d := map[string]any{
		"requests": requests, "served": served, "timeouts": timeouts, "failed": failed, "unfinished": open,
		"retried": retried, "availability": round3(avail), "threshold": threshold,
		"max_down": maxDown, "max_down_allowed": maxDownAllowed, "replicas": ri.replicas,
		"crashed": crashed, "served_per_replica": perReplica, "live_replicas": live,
		"balance":     map[string]any{"max": bmax, "min": max(bmin, 0), "ratio": ratio, "over": balanceOver},
		"dead_routes": deadRoutes, "grace": grace.String(),
	}
	if deadReplica != "" {
		d["dead_replica"] = deadReplica
	}
	deadNote := ""
	if deadReplica != "" {
		deadNote = fmt.Sprintf("; dead replica %s kept receiving traffic (%d requests routed more than %s after it crashed)",
			deadReplica, deadRoutes[deadReplica], grace)
	}
	share := fmt.Sprintf("%.1f%% of requests served (%d of %d)", 100*avail, served, requests)
	switch {
	case requests == 0:
		return check.Result{Verdict: check.Unknown, Summary: "no work request was made", Details: d}
	case avail < threshold && maxDown > maxDownAllowed:
		return check.Result{Verdict: check.Unknown, Details: d, Summary: fmt.Sprintf("%s, below %.1f%%, but %d replicas were down at once (the check covers %d)%s",
			share, 100*threshold, maxDown, maxDownAllowed, deadNote)}
	case avail < threshold:
		if w := deadWitnesses(firstDead, deadReplica); len(w) > 0 {
			d["violations"] = w
		}
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("availability %s, below the %.1f%% threshold with at most %d replicas down%s",
			share, 100*threshold, maxDown, deadNote)}
	case p.MaxImbalance > 0 && (ratio > p.MaxImbalance || bmin == 0 && bmax > 0):
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%s, but load is unbalanced: %d vs %d requests per live replica (max %.2f)",
			share, bmax, max(bmin, 0), p.MaxImbalance)}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("%s with up to %d replicas down; per live replica %d..%d requests%s",
		share, maxDown, max(bmin, 0), bmax, deadNote)}
}

// routesToDead counts, per replica, the requests routed to it while it
// had been down for more than grace; firstDead is each one's first such
// route as a witness, and deadReplica the replica with the most.
func (ri runInfo) routesToDead(in check.Input, grace time.Duration) (deadRoutes map[string]int, firstDead map[string]check.Witness, deadReplica string) {
	deadRoutes, firstDead = map[string]int{}, map[string]check.Witness{}
	for _, rt := range ri.routes {
		if d := ri.downFor(rt.replica, rt.at); d >= 0 && d > int64(grace) {
			deadRoutes[rt.replica]++
			if _, ok := firstDead[rt.replica]; !ok {
				firstDead[rt.replica] = check.WitnessOf(rt.ev, in, fmt.Sprintf("%s routed request %s to %s, down for %s (more than %s)",
					rt.balancer, rt.req, rt.replica, time.Duration(d).Round(100*time.Microsecond), grace))
			}
		}
	}
	for _, r := range ri.replicas {
		if deadRoutes[r] > deadRoutes[deadReplica] || deadReplica == "" && deadRoutes[r] > 0 {
			deadReplica = r
		}
	}
	return deadRoutes, firstDead, deadReplica
}

// deadWitnesses are the events at which a dead replica showed it kept
// receiving traffic: each one's first route past the grace, the named
// dead replica's first, then in trace order.
func deadWitnesses(firstDead map[string]check.Witness, deadReplica string) []check.Witness {
	var out []check.Witness
	for r, w := range firstDead {
		if r != deadReplica {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	if w, ok := firstDead[deadReplica]; ok {
		out = append([]check.Witness{w}, out...)
	}
	return out
}

type latencyParams struct {
	MinAlgorithms int `json:"min_algorithms"`
}

// Latency is "rlbs-latency", the pattern's limitation metric: tail latency
// of served requests (from send to reply) by the algorithm of the balancer
// that handled it, as p50/p95/p99 (and p99 counted from each request's
// arrival, with the time it queued at its client). It is valid
// when it could compute them for at least params.min_algorithms (default
// 1) algorithms.
func Latency(in check.Input) check.Result {
	var p latencyParams
	if len(in.Params) > 0 {
		if err := json.Unmarshal(in.Params, &p); err != nil {
			return check.Result{Verdict: check.Unknown, Summary: "bad params: " + err.Error()}
		}
	}
	p.MinAlgorithms = max(p.MinAlgorithms, 1)
	ri := readEvents(in)
	type acc struct {
		requests int
		lat      []float64 // send to reply
		arrival  []float64 // arrival to reply (with the client's queueing)
	}
	by := map[string]*acc{}
	for _, o := range workOps(in.History) {
		algo := ri.algorithm[o.balancer]
		if algo == "" {
			algo = o.algorithm
		}
		if algo == "" {
			algo = "unknown"
		}
		a := by[algo]
		if a == nil {
			a = &acc{}
			by[algo] = a
		}
		a.requests++
		if o.result == history.OpOK {
			a.lat = append(a.lat, o.latencyMS)
			a.arrival = append(a.arrival, o.latencyMS+o.queuedMS)
		}
	}
	var names []string
	for a := range by {
		names = append(names, a)
	}
	sort.Slice(names, func(i, j int) bool {
		oi, oj := slices.Index(algorithmOrder, names[i]), slices.Index(algorithmOrder, names[j])
		if oi < 0 {
			oi = len(algorithmOrder)
		}
		if oj < 0 {
			oj = len(algorithmOrder)
		}
		return oi < oj || oi == oj && names[i] < names[j]
	})
	algos := map[string]any{}
	table := []string{fmt.Sprintf("%-18s %8s %8s %9s %9s %9s %9s", "algorithm", "requests", "served", "p50_ms", "p95_ms", "p99_ms", "max_ms")}
	var parts []string
	computed := 0
	for _, n := range names {
		a := by[n]
		sort.Float64s(a.lat)
		sort.Float64s(a.arrival)
		row := map[string]any{"requests": a.requests, "served": len(a.lat)}
		if len(a.lat) > 0 {
			computed++
			p50, p95, p99, mx := percentile(a.lat, 50), percentile(a.lat, 95), percentile(a.lat, 99), a.lat[len(a.lat)-1]
			row["p50_ms"], row["p95_ms"], row["p99_ms"], row["max_ms"] = p50, p95, p99, round3(mx)
			row["p99_from_arrival_ms"] = percentile(a.arrival, 99)
			table = append(table, fmt.Sprintf("%-18s %8d %8d %9.2f %9.2f %9.2f %9.2f", n, a.requests, len(a.lat), p50, p95, p99, mx))
			parts = append(parts, fmt.Sprintf("%s p50 %.1fms p95 %.1fms p99 %.1fms", n, p50, p95, p99))
		} else {
			table = append(table, fmt.Sprintf("%-18s %8d %8d %9s %9s %9s %9s", n, a.requests, 0, "-", "-", "-", "-"))
		}
		algos[n] = row
	}
	d := map[string]any{"algorithms": algos, "table": table}
	if computed < p.MinAlgorithms {
		return check.Result{Verdict: check.Unknown, Details: d, Summary: fmt.Sprintf("latency computed for %d algorithm(s), %d expected", computed, p.MinAlgorithms)}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: strings.Join(parts, "; ")}
}

// percentile is the nearest-rank percentile of sorted values, in ms
// rounded to the microsecond.
func percentile(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return round3(sorted[min(max(i, 0), len(sorted)-1)])
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
