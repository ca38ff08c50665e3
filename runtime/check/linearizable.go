package check

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/terrarium-sim/terrarium/runtime/history"
)

// kvInput is one operation on one key as the model sees it. Values are
// the integers the workload writes; 0 means the key is absent.
type kvInput struct {
	F       string // read, write, cas
	Value   int    // write: the value
	From    int    // cas
	To      int    // cas
	Unknown bool   // timed out (info): the effect may or may not have happened
}

type kvOutput struct {
	Value int // read: the value returned (0: absent)
}

// registerModel is a single register: the state is the key's value. A
// timed-out cas may have happened or not, so the model is nondeterministic.
var registerModel = (&porcupine.NondeterministicModel{
	Init: func() []any { return []any{0} },
	Step: func(state, input, output any) []any {
		var out []any
		for _, st := range stepAll(state.(int), input.(kvInput), output.(kvOutput)) {
			out = append(out, st)
		}
		return out
	},
}).ToModel()

type pair struct{ inv, done history.Op }

// pairs matches each completion to its invocation per process; an
// invocation never completed is returned with an empty done.Type.
func pairs(h []history.Op) []pair {
	inflight := map[int]history.Op{}
	var out []pair
	for _, op := range h {
		if op.Type == history.OpInvoke {
			if prev, ok := inflight[op.Process]; ok {
				out = append(out, pair{inv: prev})
			}
			inflight[op.Process] = op
			continue
		}
		if inv, ok := inflight[op.Process]; ok && inv.F == op.F {
			out = append(out, pair{inv, op})
			delete(inflight, op.Process)
		}
	}
	for _, inv := range inflight {
		out = append(out, pair{inv: inv})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].inv.Index < out[j].inv.Index })
	return out
}

type opValue struct {
	Key   string `json:"key"`
	Value *int   `json:"value"`
	From  *int   `json:"from"`
	To    *int   `json:"to"`
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func fmtTime(ns int64) string {
	if ns == math.MaxInt64 {
		return "never"
	}
	return time.Duration(ns).String()
}

func describe(p pair, in kvInput, out kvOutput) string {
	var what string
	switch in.F {
	case "read":
		if in.Unknown {
			what = "read ?"
		} else {
			what = fmt.Sprintf("read -> %s", valueText(out.Value))
		}
	case "write":
		what = fmt.Sprintf("write %d", in.Value)
	case "cas":
		what = fmt.Sprintf("cas %s -> %d", valueText(in.From), in.To)
	}
	if in.Unknown {
		what += " (timed out)"
	}
	end := int64(math.MaxInt64)
	if p.done.Type == history.OpOK {
		end = p.done.Time
	}
	return fmt.Sprintf("process %d %s via %s [%s, %s]", p.inv.Process, what, p.inv.Node, fmtTime(p.inv.Time), fmtTime(end))
}

func valueText(v int) string {
	if v == 0 {
		return "absent"
	}
	return fmt.Sprint(v)
}

// LinearizableParams are LinearizableKV's params.
type LinearizableParams struct {
	// Timeout bounds porcupine over all keys (Go duration, default 5s).
	Timeout string `json:"timeout"`
}

// LinearizableKV checks each key's history for linearizability against a
// register model with porcupine (the history partitioned by key). Failed
// ops did not happen and are left out; timed-out ops may have happened
// (their return is at infinity; a timed-out read is left out). Porcupine's
// Ok is valid, Illegal invalid (naming the key and a counterexample),
// Unknown (the time budget ran out) unknown.
func LinearizableKV(in Input) Result {
	p := LinearizableParams{Timeout: "5s"}
	if len(in.Params) > 0 {
		if err := json.Unmarshal(in.Params, &p); err != nil {
			return Result{Verdict: Unknown, Summary: "bad params: " + err.Error()}
		}
	}
	budget, err := time.ParseDuration(p.Timeout)
	if err != nil || budget <= 0 {
		return Result{Verdict: Unknown, Summary: fmt.Sprintf("params.timeout %q is not a positive duration", p.Timeout)}
	}
	perKey := map[string][]porcupine.Operation{}
	var nOK, nInfo, nFail int
	for _, pr := range pairs(in.History) {
		var v opValue
		if err := json.Unmarshal(pr.inv.Value, &v); err != nil || v.Key == "" {
			continue
		}
		kin := kvInput{F: pr.inv.F, Value: deref(v.Value), From: deref(v.From), To: deref(v.To)}
		if kin.F != "read" && kin.F != "write" && kin.F != "cas" {
			continue
		}
		var kout kvOutput
		ret := int64(math.MaxInt64)
		switch pr.done.Type {
		case history.OpFail:
			nFail++
			continue
		case history.OpOK:
			nOK++
			ret = pr.done.Time
			if kin.F == "read" {
				var o opValue
				if err := json.Unmarshal(pr.done.Value, &o); err != nil {
					continue
				}
				kout.Value = deref(o.Value)
			}
		default: // info, or never completed
			nInfo++
			if kin.F == "read" {
				continue
			}
			kin.Unknown = true
		}
		perKey[v.Key] = append(perKey[v.Key], porcupine.Operation{
			ClientId: pr.inv.Process, Input: kin, Output: kout, Call: pr.inv.Time, Return: ret,
			Metadata: describe(pr, kin, kout),
		})
	}
	keys := make([]string, 0, len(perKey))
	for k := range perKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := map[string]any{"keys": len(keys), "ok": nOK, "info": nInfo, "fail": nFail}
	if nOK == 0 {
		return Result{Verdict: Unknown, Summary: "no operation completed", Details: d}
	}
	deadline := time.Now().Add(budget)
	var unknown []string
	for _, k := range keys {
		left := time.Until(deadline)
		if left <= 0 {
			unknown = append(unknown, k)
			continue
		}
		res, info := porcupine.CheckOperationsVerbose(registerModel, perKey[k], left)
		switch res {
		case porcupine.Illegal:
			cex := counterexample(perKey[k], info)
			d["key"] = k
			d["counterexample"] = cex
			return Result{Verdict: Invalid, Details: d,
				Summary: fmt.Sprintf("key %s is not linearizable (%d ops): %s", k, len(perKey[k]), cex[len(cex)-1])}
		case porcupine.Unknown:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		d["unknown_keys"] = unknown
		return Result{Verdict: Unknown, Details: d,
			Summary: fmt.Sprintf("porcupine ran out of its %s budget on %d keys (%v)", budget, len(unknown), unknown)}
	}
	return Result{Verdict: Valid, Details: d,
		Summary: fmt.Sprintf("%d keys linearizable (%d ok, %d timed out, %d failed ops)", len(keys), nOK, nInfo, nFail)}
}

// counterexample describes the end of the longest linearizable prefix
// porcupine found and the first operation (by invocation) that could not
// follow it.
func counterexample(ops []porcupine.Operation, info porcupine.LinearizationInfo) []string {
	var longest []porcupine.Operation
	for _, part := range info.PartialLinearizationsOperations() {
		for _, l := range part {
			if len(l) > len(longest) {
				longest = l
			}
		}
	}
	var out []string
	from := max(0, len(longest)-3)
	for _, op := range longest[from:] {
		out = append(out, fmt.Sprintf("linearized: %v", op.Metadata))
	}
	in := map[string]bool{}
	for _, op := range longest {
		in[fmt.Sprint(op.Metadata)] = true
	}
	var stuck *porcupine.Operation
	for i := range ops {
		if in[fmt.Sprint(ops[i].Metadata)] {
			continue
		}
		if stuck == nil || ops[i].Call < stuck.Call {
			stuck = &ops[i]
		}
	}
	if stuck != nil {
		state := "absent"
		if len(longest) > 0 {
			state = stateAfter(longest)
		}
		out = append(out, fmt.Sprintf("cannot follow (value %s): %v", state, stuck.Metadata))
	}
	return out
}

// stateAfter replays a linearization (deterministic ops only give one
// state; a timed-out cas may leave two, shown as "a or b").
func stateAfter(ops []porcupine.Operation) string {
	states := []int{0}
	for _, op := range ops {
		var next []int
		seen := map[int]bool{}
		for _, s := range states {
			for _, n := range stepAll(s, op.Input.(kvInput), op.Output.(kvOutput)) {
				if !seen[n] {
					seen[n] = true
					next = append(next, n)
				}
			}
		}
		states = next
	}
	var parts []string
	for _, s := range states {
		parts = append(parts, valueText(s))
	}
	if len(parts) == 0 {
		return "?"
	}
	out := parts[0]
	for _, p := range parts[1:] {
		out += " or " + p
	}
	return out
}

func stepAll(st int, in kvInput, out kvOutput) []int {
	switch in.F {
	case "write":
		return []int{in.Value}
	case "read":
		if out.Value == st {
			return []int{st}
		}
	case "cas":
		switch {
		case st != in.From && in.Unknown:
			return []int{st}
		case st != in.From:
			return nil
		case in.Unknown:
			return []int{st, in.To}
		default:
			return []int{in.To}
		}
	}
	return nil
}
