package rlbscheck

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// nodes of the hand-made runs: a balancer and three replicas.
var testNodes = []string{"lb", "r0", "r1", "r2"}

const ms = int64(time.Millisecond)

type builder struct {
	hist   []history.Op
	events []trace.Event
	proc   int
}

func (b *builder) emit(at int64, node int32, key string, v any) {
	data, _ := json.Marshal(v)
	b.events = append(b.events, trace.Event{Time: at, Kind: trace.KindEmit, Node: node, Peer: -1, Label: key, Data: data})
}

func (b *builder) kind(at int64, node int32, k trace.Kind) {
	b.events = append(b.events, trace.Event{Time: at, Kind: k, Node: node, Peer: -1})
}

// op records one work operation sent to balancer at `at` ending as typ
// after lat ms, served by replica.
func (b *builder) op(balancer string, at int64, typ, replica string, lat float64) {
	b.proc++
	req := fmt.Sprintf("c%d", b.proc)
	inv, _ := json.Marshal(map[string]any{"req": req})
	v := map[string]any{"req": req, "latency_ms": lat, "queued_ms": 0}
	if typ == history.OpOK {
		v["replica"], v["attempts"] = replica, 1
	}
	done, _ := json.Marshal(v)
	b.hist = append(b.hist,
		history.Op{Index: len(b.hist), Process: 100 + b.proc, Type: history.OpInvoke, F: "work", Value: inv, Time: at, Node: balancer},
		history.Op{Index: len(b.hist) + 1, Process: 100 + b.proc, Type: typ, F: "work", Value: done, Time: at + int64(lat*float64(ms)), Node: balancer})
}

func (b *builder) input(params string) check.Input {
	in := check.Input{History: b.hist, Events: b.events, Nodes: testNodes}
	if params != "" {
		in.Params = json.RawMessage(params)
	}
	return in
}

func healthyRun() *builder {
	b := &builder{}
	b.emit(0, 0, "balancer", map[string]any{"algorithm": "round-robin", "replicas": []string{"r0", "r1", "r2"}})
	for i := range 30 {
		r := fmt.Sprintf("r%d", i%3)
		at := int64(i) * 10 * ms
		b.emit(at, 0, "route", map[string]any{"replica": r, "req": fmt.Sprint(i)})
		b.op("lb", at, history.OpOK, r, 5)
	}
	return b
}

func TestAvailabilityValid(t *testing.T) {
	res := Availability(healthyRun().input(""))
	require.Equal(t, check.Valid, res.Verdict, res.Summary)
	assert.Equal(t, 30, res.Details["requests"])
	assert.Equal(t, 30, res.Details["served"])
	assert.Equal(t, 1.0, res.Details["availability"])
	assert.Equal(t, map[string]int{"r0": 10, "r1": 10, "r2": 10}, res.Details["served_per_replica"])
	assert.Equal(t, []string{"r0", "r1", "r2"}, res.Details["live_replicas"])
	assert.Equal(t, 1.0, res.Details["balance"].(map[string]any)["ratio"])
	assert.NotContains(t, res.Details, "dead_replica")
}

// A replica crashes at 100ms and the balancer keeps routing to it: the
// requests it gets time out, availability falls under the threshold.
func deadRun() *builder {
	b := &builder{}
	b.emit(0, 0, "balancer", map[string]any{"algorithm": "round-robin", "replicas": []string{"r0", "r1", "r2"}})
	b.kind(100*ms, 2, trace.KindCrash) // r1
	for i := range 30 {
		r := fmt.Sprintf("r%d", i%3)
		at := int64(i) * 50 * ms
		b.emit(at, 0, "route", map[string]any{"replica": r, "req": fmt.Sprint(i)})
		if r == "r1" && at >= 100*ms {
			b.op("lb", at, history.OpInfo, "", 200)
		} else {
			b.op("lb", at, history.OpOK, r, 5)
		}
	}
	return b
}

func TestAvailabilityInvalidNamesDeadReplica(t *testing.T) {
	res := Availability(deadRun().input(`{"threshold": 0.95, "grace": "200ms"}`))
	require.Equal(t, check.Invalid, res.Verdict, res.Summary)
	assert.Contains(t, res.Summary, "70.0%")
	assert.Contains(t, res.Summary, "dead replica r1")
	assert.Equal(t, "r1", res.Details["dead_replica"])
	assert.Equal(t, map[string]int{"r1": 8}, res.Details["dead_routes"]) // routes at 300ms..1350ms, > 200ms after the crash
	assert.Equal(t, 9, res.Details["timeouts"])
	assert.Equal(t, 1, res.Details["max_down"])
	assert.Equal(t, map[string][]string{"r1": {"100ms-end"}}, res.Details["crashed"])
	// the same run passes a lower bar
	assert.Equal(t, check.Valid, Availability(deadRun().input(`{"threshold": 0.6}`)).Verdict)
}

func TestAvailabilityRestartEndsTheOutage(t *testing.T) {
	b := deadRun()
	b.kind(200*ms, 2, trace.KindRestart)
	res := Availability(b.input(`{"grace": "0s"}`))
	assert.Equal(t, map[string][]string{"r1": {"100ms-200ms"}}, res.Details["crashed"])
	assert.Empty(t, res.Details["dead_routes"])
	assert.NotContains(t, res.Details, "dead_replica")
	assert.Equal(t, check.Invalid, res.Verdict) // the timeouts still count
}

func TestAvailabilityUnknown(t *testing.T) {
	res := Availability((&builder{}).input(""))
	assert.Equal(t, check.Unknown, res.Verdict)
	// more replicas down at once than the check covers: no claim
	b := deadRun()
	b.kind(150*ms, 1, trace.KindCrash) // r0
	b.kind(150*ms, 3, trace.KindCrash) // r2
	res = Availability(b.input(`{"max_down": 2}`))
	assert.Equal(t, check.Unknown, res.Verdict, res.Summary)
	assert.Equal(t, 3, res.Details["max_down"])
	assert.Equal(t, check.Unknown, Availability(healthyRun().input(`{"grace": "soon"}`)).Verdict)
}

func TestAvailabilityImbalance(t *testing.T) {
	b := healthyRun()
	for i := range 10 {
		b.op("lb", 400*ms+int64(i)*ms, history.OpOK, "r0", 5)
	}
	assert.Equal(t, check.Valid, Availability(b.input("")).Verdict)
	res := Availability(b.input(`{"max_imbalance": 1.5}`))
	require.Equal(t, check.Invalid, res.Verdict, res.Summary)
	assert.Equal(t, 2.0, res.Details["balance"].(map[string]any)["ratio"])
}

func TestLatencyByAlgorithm(t *testing.T) {
	b := &builder{}
	nodes := []string{"lb-rr", "lb-lo", "lb-p2c", "r0"}
	for i, a := range []string{"round-robin", "least-outstanding", "p2c"} {
		b.emit(0, int32(i), "balancer", map[string]any{"algorithm": a, "replicas": []string{"r0"}})
	}
	for i := 1; i <= 100; i++ { // 1..100 ms, 2..200 ms, 3..300 ms
		b.op("lb-rr", int64(i)*ms, history.OpOK, "r0", float64(i))
		b.op("lb-lo", int64(i)*ms, history.OpOK, "r0", float64(2*i))
		b.op("lb-p2c", int64(i)*ms, history.OpOK, "r0", float64(3*i))
	}
	b.op("lb-p2c", 0, history.OpInfo, "", 1000) // a timeout: counted, not a latency
	in := b.input(`{"min_algorithms": 3}`)
	in.Nodes = nodes
	res := Latency(in)
	require.Equal(t, check.Valid, res.Verdict, res.Summary)
	algos := res.Details["algorithms"].(map[string]any)
	require.Len(t, algos, 3)
	rr := algos["round-robin"].(map[string]any)
	assert.Equal(t, 50.0, rr["p50_ms"])
	assert.Equal(t, 95.0, rr["p95_ms"])
	assert.Equal(t, 99.0, rr["p99_ms"])
	lo := algos["least-outstanding"].(map[string]any)
	assert.Equal(t, 198.0, lo["p99_ms"])
	p2c := algos["p2c"].(map[string]any)
	assert.Equal(t, 297.0, p2c["p99_ms"])
	assert.Equal(t, 101, p2c["requests"])
	assert.Equal(t, 100, p2c["served"])
	table := res.Details["table"].([]string)
	require.Len(t, table, 4)
	assert.Contains(t, table[1], "round-robin")
	assert.Contains(t, table[2], "least-outstanding")
	assert.Contains(t, table[3], "p2c")
	assert.Contains(t, res.Summary, "p2c p50 150.0ms p95 285.0ms p99 297.0ms")
}

func TestLatencyUnknown(t *testing.T) {
	assert.Equal(t, check.Unknown, Latency((&builder{}).input("")).Verdict)
	// one algorithm, three expected
	res := Latency(healthyRun().input(`{"min_algorithms": 3}`))
	assert.Equal(t, check.Unknown, res.Verdict, res.Summary)
	assert.Equal(t, check.Valid, Latency(healthyRun().input("")).Verdict)
	// only timeouts: nothing to compute
	b := &builder{}
	b.op("lb", 0, history.OpInfo, "", 200)
	assert.Equal(t, check.Unknown, Latency(b.input("")).Verdict)
}

func TestPercentile(t *testing.T) {
	assert.Equal(t, 7.0, percentile([]float64{7}, 99))
	assert.Equal(t, 2.0, percentile([]float64{1, 2, 3, 4}, 50))
	assert.Equal(t, 4.0, percentile([]float64{1, 2, 3, 4}, 99))
	assert.Equal(t, 1.0, percentile([]float64{1, 2, 3, 4}, 0))
}

func TestCatalogueEntry(t *testing.T) {
	assert.Equal(t, "rlbs", Plugin().Name)
	assert.Contains(t, Plugin().Checks, "rlbs-availability")
	assert.Contains(t, Plugin().Checks, "rlbs-latency")
	assert.Contains(t, Plugin().Workloads, "rlbs")
}

// numbered gives the events their trace seq, from 1.
func (b *builder) numbered() *builder {
	for i := range b.events {
		b.events[i].Seq = uint64(i + 1)
	}
	return b
}

// The witness of a dead replica that kept receiving traffic is its first
// route past the grace: r1 crashed at 100 ms, the route of request 7 at
// 350 ms (the 10th event) is the first more than 200 ms later.
func TestAvailabilityWitnessIsTheFirstRouteToTheDeadReplica(t *testing.T) {
	res := Availability(deadRun().numbered().input(`{"threshold": 0.95, "grace": "200ms"}`))
	require.Equal(t, check.Invalid, res.Verdict, res.Summary)
	w, ok := res.Details["violations"].([]check.Witness)
	require.True(t, ok, "no witness in %v", res.Details)
	require.Len(t, w, 1)
	assert.Equal(t, check.Witness{Seq: 10, T: 350 * ms, At: "350ms", Node: "lb",
		What: "lb routed request 7 to r1, down for 250ms (more than 200ms)"}, w[0])
}

func TestAvailabilityNamesNoWitnessWhenValid(t *testing.T) {
	res := Availability(healthyRun().numbered().input(""))
	require.Equal(t, check.Valid, res.Verdict, res.Summary)
	assert.NotContains(t, res.Details, "violations")
	// a dead replica within a bar the run passes is no violation either
	res = Availability(deadRun().numbered().input(`{"threshold": 0.6, "grace": "200ms"}`))
	require.Equal(t, check.Valid, res.Verdict, res.Summary)
	assert.NotContains(t, res.Details, "violations")
}
