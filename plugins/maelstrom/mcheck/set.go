package mcheck

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

type gset struct{}

type setParams struct {
	// Settle is the quiet time between the end of the main phase (every
	// operation completed, and not before the duration) and the final
	// reads; terrarium test sets Maelstrom's 10 s.
	Settle string `json:"settle"`
	// Reads is the share of operations that are reads during the run.
	Reads float64 `json:"reads"`
}

// Start implements workload.Workload: clients add unique integers
// ({"type":"add","element":n}) and read ({"type":"read"} -> read_ok
// {"value":[...]}), half and half; after a settle time every node is read
// once more (the final reads).
func (gset) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	p := setParams{Settle: "2s", Reads: 0.5}
	if err := params("g-set", spec.Params, &p); err != nil {
		return 0, err
	}
	settle, err := duration("g-set", "settle", p.Settle)
	if err != nil {
		return 0, err
	}
	read := func(final bool) request {
		r := request{f: "read", body: map[string]any{"type": "read"}, ok: intList("value")}
		if final {
			r.value = finalMark{Final: true}
		}
		return r
	}
	next := 0
	main := loop(s, spec, 0, func(c workload.Client, target string, done func()) {
		if spec.Rand.Float64() < p.Reads {
			perform(c, target, spec.Timeout, read(false), func(outcome) { done() })
			return
		}
		v := next
		next++
		perform(c, target, spec.Timeout, request{f: "add", value: v, body: map[string]any{"type": "add", "element": v}}, func(outcome) { done() })
	})
	return finalReads(s, spec, main, settle, func() request { return read(true) }), nil
}

// intList decodes an _ok body's field as a list of integers.
func intList(field string) func(json.RawMessage) (any, error) {
	return func(b json.RawMessage) (any, error) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		vs := []int{}
		if raw, ok := m[field]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &vs); err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
		}
		return vs, nil
	}
}

// GSet checks a grow-only set: see setFull, with adds under f "add".
func GSet(in check.Input) check.Result { return setFull(in, "add", "element") }

// setFull checks a history of adds (f addF, value the element) and reads
// (f read, ok value the elements) in the manner of Jepsen's set-full:
//
//   - every acknowledged element is in every node's final read, else it is
//     lost (invalid);
//   - no read holds an element never added (unexpected, invalid);
//   - an element is stale when a read invoked after its add was
//     acknowledged lacked it (allowed: these sets are eventually
//     consistent), counted;
//   - an element's stable latency, as Maelstrom measures it, is the time
//     from its add's acknowledgement to the invocation of the last read
//     that lacked it (0 if none did after the acknowledgement); its
//     quantiles are reported in milliseconds.
func setFull(in check.Input, addF, what string) check.Result {
	done, _ := history.Pairs(in.History)
	type add struct {
		inv, end int64
		acked    bool
	}
	adds := map[int]*add{}
	type read struct {
		inv, end int64
		node     string
		has      map[int]bool
		final    bool
	}
	var reads []read
	attempted := 0
	finals := map[string]read{}
	failedFinal := map[string]string{}
	var unexpected []string
	for _, p := range done {
		inv, c := p[0], p[1]
		switch inv.F {
		case addF:
			v, err := check.Int(inv.Value)
			if err != nil {
				continue
			}
			attempted++
			adds[v] = &add{inv: inv.Time, end: c.Time, acked: c.Type == history.OpOK}
		case "read":
			final := isFinal(inv.Value)
			if c.Type != history.OpOK {
				if final {
					failedFinal[inv.Node] = c.Type
				}
				continue
			}
			vs, err := check.Ints(c.Value)
			if err != nil {
				continue
			}
			r := read{inv: inv.Time, end: c.Time, node: inv.Node, has: map[int]bool{}, final: final}
			for _, v := range vs {
				r.has[v] = true
			}
			reads = append(reads, r)
			if final {
				finals[inv.Node] = r
			}
		}
	}
	// unexpected elements: read but never added (or added after the read ended)
	for _, r := range reads {
		var odd []int
		for v := range r.has {
			if a, ok := adds[v]; !ok || a.inv > r.end {
				odd = append(odd, v)
			}
		}
		if len(odd) > 0 {
			sort.Ints(odd)
			unexpected = append(unexpected, fmt.Sprintf("%s read %v at %v", r.node, odd, time.Duration(r.end)))
		}
	}
	var acked []int
	for v, a := range adds {
		if a.acked {
			acked = append(acked, v)
		}
	}
	sort.Ints(acked)
	nodes := make([]string, 0, len(finals))
	for n := range finals {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	lost := map[string][]int{}
	lostSet := map[int]bool{}
	for _, n := range nodes {
		for _, v := range acked {
			if !finals[n].has[v] {
				lost[n] = append(lost[n], v)
				lostSet[v] = true
			}
		}
	}
	var stale []int
	var latencies []time.Duration
	for _, v := range acked {
		a := adds[v]
		isStale := false
		var lastAbsent int64 = -1
		for _, r := range reads {
			if r.has[v] || r.inv < a.inv {
				continue
			}
			lastAbsent = max(lastAbsent, r.inv)
			if r.inv > a.end {
				isStale = true
			}
		}
		if lostSet[v] {
			continue
		}
		if isStale {
			stale = append(stale, v)
		}
		lat := time.Duration(0)
		if lastAbsent > a.end {
			lat = time.Duration(lastAbsent - a.end)
		}
		latencies = append(latencies, lat)
	}
	var missing []string
	for n, why := range failedFinal {
		if _, ok := finals[n]; !ok {
			missing = append(missing, fmt.Sprintf("%s (%s)", n, why))
		}
	}
	sort.Strings(missing)
	d := map[string]any{"attempted": attempted, "acknowledged": len(acked), "final_reads": len(finals), "reads": len(reads),
		"lost_count": len(lostSet), "stale_count": len(stale), "stable_latencies_ms": quantilesMS(latencies)}
	if len(stale) > 0 {
		d["stale"] = preview(stale)
	}
	switch {
	case len(unexpected) > 0:
		d["unexpected"] = unexpected
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%d reads held elements never added; first: %s", len(unexpected), unexpected[0])}
	case len(lostSet) > 0:
		d["lost"] = lost
		first := ""
		for _, n := range nodes {
			if len(lost[n]) > 0 {
				first = n
				break
			}
		}
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%d acknowledged %ss lost: missing from final reads; %s lacks %s",
			len(lostSet), what, first, preview(lost[first]))}
	case len(missing) > 0:
		d["read_failures"] = missing
		return check.Result{Verdict: check.Unknown, Details: d, Summary: fmt.Sprintf("final reads did not complete on %v", missing)}
	case len(finals) == 0 || len(acked) == 0:
		return check.Result{Verdict: check.Unknown, Details: d, Summary: fmt.Sprintf("no acknowledged %s or no final read", what)}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("all %d acknowledged %ss read on all %d nodes (%d stale; stable latency p50 %v, max %v)",
		len(acked), what, len(finals), len(stale), quantile(latencies, 0.5).Round(time.Millisecond), quantile(latencies, 1).Round(time.Millisecond))}
}

// quantile returns the q-quantile of ds (nearest rank); 0 for none.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q * float64(len(s)-1))
	return s[i]
}

// quantilesMS gives Maelstrom's latency quantiles (0, 0.5, 0.95, 0.99, 1)
// in milliseconds.
func quantilesMS(ds []time.Duration) map[string]float64 {
	out := map[string]float64{}
	for _, q := range []float64{0, 0.5, 0.95, 0.99, 1} {
		out[fmt.Sprint(q)] = float64(quantile(ds, q).Microseconds()) / 1000
	}
	return out
}
