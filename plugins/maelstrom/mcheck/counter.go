package mcheck

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// counter is g-counter (deltas 0..4) or pn-counter (deltas -5..4).
type counter struct {
	name     string
	negative bool
}

// Start implements workload.Workload: clients add deltas
// ({"type":"add","delta":d}) and read ({"type":"read"} -> read_ok
// {"value":n}); then comes Maelstrom's final phase (finalReads): each
// client reads its node once. As Maelstrom's pn-counter client
// (src/maelstrom/workload/pn_counter.clj, client) wraps no error handling
// around its RPCs, any error reply or timeout leaves the operation
// indeterminate (info): an add that got an error may still have happened.
func (w counter) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	p := setParams{Settle: "2s", Reads: 0.5}
	if err := params(w.name, spec.Params, &p); err != nil {
		return 0, err
	}
	settle, err := duration(w.name, "settle", p.Settle)
	if err != nil {
		return 0, err
	}
	indefinite := func(e errorBody) (outcome, bool) {
		return outcome{typ: history.OpInfo, err: fmt.Sprintf("error %d: %s", e.Code, e.Text)}, true
	}
	read := func(final bool) request {
		r := request{f: "read", body: map[string]any{"type": "read"}, onError: indefinite, ok: func(b json.RawMessage) (any, error) {
			var v struct {
				Value *int `json:"value"`
			}
			if err := json.Unmarshal(b, &v); err != nil || v.Value == nil {
				return nil, fmt.Errorf("no integer value in %s", b)
			}
			return *v.Value, nil
		}}
		if final {
			r.value = finalMark{Final: true}
		}
		return r
	}
	main := loop(s, spec, 0, func(c workload.Client, target string, done func()) {
		if spec.Rand.Float64() < p.Reads {
			perform(c, target, spec.Timeout, read(false), func(outcome) { done() })
			return
		}
		d := spec.Rand.IntN(5)
		if w.negative {
			d = spec.Rand.IntN(10) - 5
		}
		perform(c, target, spec.Timeout, request{f: "add", value: d, body: map[string]any{"type": "add", "delta": d}, onError: indefinite}, func(outcome) { done() })
	})
	return finalReads(s, spec, main, settle, func() request { return read(true) }), nil
}

// Counter checks a g-counter or pn-counter history as Maelstrom's checker
// does (src/maelstrom/workload/pn_counter.clj, checker): the acceptable
// values are the sum of the acknowledged (ok) deltas plus the sum of any
// subset of the indeterminate (info) ones, and every final read that
// completed (op/ok?) must be one of them. Final reads that did not
// complete do not count; none completing is valid, as upstream's empty
// error list is. Reads during the run are not judged (upstream does not);
// any that no sum of deltas can give is a finding, impossible-read.
func Counter(in check.Input) check.Result {
	done, open := history.Pairs(in.History)
	var okSum, allNeg, allPos int
	var maybe []int
	adds := 0
	type read struct {
		node  string
		value int
		at    int64
		final bool
	}
	var reads []read
	var finals []read
	for _, op := range open {
		if op.F == "add" {
			var d int
			if json.Unmarshal(op.Value, &d) == nil {
				maybe = append(maybe, d)
				addMaybe(d, &allNeg, &allPos)
			}
		}
	}
	for _, p := range done {
		inv, c := p[0], p[1]
		switch inv.F {
		case "add":
			var d int
			if json.Unmarshal(inv.Value, &d) != nil {
				continue
			}
			adds++
			switch c.Type {
			case history.OpOK:
				okSum += d
				addMaybe(d, &allNeg, &allPos)
			case history.OpInfo:
				maybe = append(maybe, d)
				addMaybe(d, &allNeg, &allPos)
			}
		case "read":
			if c.Type != history.OpOK {
				continue
			}
			v, err := check.Int(c.Value)
			if err != nil {
				continue
			}
			r := read{node: inv.Node, value: v, at: c.Time, final: isFinal(inv.Value)}
			reads = append(reads, r)
			if r.final {
				finals = append(finals, r)
			}
		}
	}
	acceptable := acceptableSums(okSum, maybe)
	d := map[string]any{"adds": adds, "acknowledged_sum": okSum, "acceptable": acceptable, "final_reads": len(finals), "reads": len(reads)}
	var finalValues []int
	var bad []string
	for _, r := range finals {
		finalValues = append(finalValues, r.value)
		if !inRanges(acceptable, r.value) {
			bad = append(bad, fmt.Sprintf("%s's final read %d is not acceptable %v", r.node, r.value, acceptable))
		}
	}
	d["final_values"] = finalValues
	var impossible []string
	for _, r := range reads {
		if !r.final && (r.value < okSum+allNeg || r.value > okSum+allPos) {
			impossible = append(impossible, fmt.Sprintf("%s read %d at %v", r.node, r.value, time.Duration(r.at)))
		}
	}
	res := check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("%d final reads acceptable %v (%d adds)", len(finals), acceptable, adds)}
	if len(bad) > 0 {
		d["errors"] = bad
		res = check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%d final reads not acceptable; first: %s", len(bad), bad[0])}
	}
	res.Find("impossible-read", impossible)
	return res
}

// acceptableSums is upstream's acceptable TreeRangeSet as closed integer
// ranges: start from {definite}; for each indeterminate delta, add every
// range shifted by it; coalesce ranges that touch or overlap.
func acceptableSums(definite int, maybe []int) [][2]int {
	rs := [][2]int{{definite, definite}}
	for _, d := range maybe {
		if d == 0 {
			continue
		}
		next := slices.Clone(rs)
		for _, r := range rs {
			next = append(next, [2]int{r[0] + d, r[1] + d})
		}
		slices.SortFunc(next, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
		rs = next[:1]
		for _, r := range next[1:] {
			last := &rs[len(rs)-1]
			if r[0] <= last[1]+1 {
				last[1] = max(last[1], r[1])
				continue
			}
			rs = append(rs, r)
		}
	}
	return rs
}

func inRanges(rs [][2]int, v int) bool {
	for _, r := range rs {
		if r[0] <= v && v <= r[1] {
			return true
		}
	}
	return false
}

func addMaybe(d int, neg, pos *int) {
	if d < 0 {
		*neg += d
	} else {
		*pos += d
	}
}
