package mcheck

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// counter is g-counter (deltas 0..4) or pn-counter (deltas -5..4).
type counter struct {
	name     string
	negative bool
}

// Start implements workload.Workload: clients add deltas
// ({"type":"add","delta":d}) and read ({"type":"read"} -> read_ok
// {"value":n}); after a settle time every node is read once more.
func (w counter) Start(s *sim.Sim, spec workload.Spec) (time.Duration, error) {
	p := setParams{Settle: "2s", Reads: 0.5}
	if err := params(w.name, spec.Params, &p); err != nil {
		return 0, err
	}
	settle, err := duration(w.name, "settle", p.Settle)
	if err != nil {
		return 0, err
	}
	read := func(final bool) request {
		r := request{f: "read", body: map[string]any{"type": "read"}, ok: func(b json.RawMessage) (any, error) {
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
	loop(s, spec, 0, func(c *sim.Client, target string, done func()) {
		if spec.Rand.Float64() < p.Reads {
			perform(c, target, spec.Timeout, read(false), func(outcome) { done() })
			return
		}
		d := spec.Rand.IntN(5)
		if w.negative {
			d = spec.Rand.IntN(10) - 5
		}
		perform(c, target, spec.Timeout, request{f: "add", value: d, body: map[string]any{"type": "add", "delta": d}}, func(outcome) { done() })
	})
	return finalReads(s, spec, spec.Duration+settle, func() request { return read(true) }), nil
}

// Counter checks a g-counter or pn-counter history as Maelstrom does: each
// node's final read must lie between the sum of the acknowledged deltas
// plus every negative delta that may have happened (timed out) and the
// same plus every positive one. Maelstrom's checker (src/maelstrom/
// workload/pn_counter.clj, checker) reads only final reads; a read during
// the run outside what the deltas not known to have failed could add up
// to is a finding, impossible-read.
func Counter(in check.Input) check.Result {
	done, open := check.Pairs(in.History)
	var okSum, maybeNeg, maybePos, allNeg, allPos int
	adds := 0
	type read struct {
		node  string
		value int
		at    int64
		final bool
	}
	var reads []read
	finals := map[string]read{}
	for _, op := range open {
		if op.F == "add" {
			var d int
			if json.Unmarshal(op.Value, &d) == nil {
				addMaybe(d, &maybeNeg, &maybePos)
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
			case sim.OpOK:
				okSum += d
				addMaybe(d, &allNeg, &allPos)
			case sim.OpInfo:
				addMaybe(d, &maybeNeg, &maybePos)
				addMaybe(d, &allNeg, &allPos)
			}
		case "read":
			if c.Type != sim.OpOK {
				continue
			}
			var v int
			if json.Unmarshal(c.Value, &v) != nil {
				continue
			}
			r := read{node: inv.Node, value: v, at: c.Time, final: isFinal(inv.Value)}
			reads = append(reads, r)
			if r.final {
				finals[inv.Node] = r
			}
		}
	}
	lo, hi := okSum+maybeNeg, okSum+maybePos
	d := map[string]any{"adds": adds, "acknowledged_sum": okSum, "final_range": []int{lo, hi}, "final_reads": len(finals), "reads": len(reads)}
	var bad []string
	nodes := make([]string, 0, len(finals))
	for n := range finals {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range nodes {
		if v := finals[n].value; v < lo || v > hi {
			bad = append(bad, fmt.Sprintf("%s's final read %d is outside [%d, %d]", n, v, lo, hi))
		}
	}
	var impossible []string
	for _, r := range reads {
		if !r.final && (r.value < allNeg || r.value > allPos) {
			impossible = append(impossible, fmt.Sprintf("%s read %d at %v, outside every possible sum [%d, %d]", r.node, r.value, time.Duration(r.at), allNeg, allPos))
		}
	}
	var res check.Result
	switch {
	case len(bad) > 0:
		d["errors"] = bad
		res = check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%d reads impossible; first: %s", len(bad), bad[0])}
	case len(finals) == 0:
		res = check.Result{Verdict: check.Unknown, Details: d, Summary: "no final read completed"}
	case len(finals) < len(in.Nodes):
		res = check.Result{Verdict: check.Unknown, Details: d, Summary: fmt.Sprintf("final reads completed on %d of %d nodes", len(finals), len(in.Nodes))}
	default:
		res = check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("all %d final reads in [%d, %d] (%d adds)", len(finals), lo, hi, adds)}
	}
	res.Find("impossible-read", impossible)
	return res
}

func addMaybe(d int, neg, pos *int) {
	if d < 0 {
		*neg += d
	} else {
		*pos += d
	}
}
