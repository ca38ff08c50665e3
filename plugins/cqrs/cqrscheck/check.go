package cqrscheck

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// LogEvent is an "event" emission: one entry appended to a command node's log.
type LogEvent struct {
	Seq     int    `json:"seq"`
	Cmd     string `json:"cmd"`
	Account string `json:"account"`
	Amount  int    `json:"amount"`
}

// Mismatch is one account whose read model differs from the fold of the log.
type Mismatch struct {
	Node     string `json:"node"`
	Account  string `json:"account"`
	Expected int    `json:"expected"`
	Actual   int    `json:"actual"`
}

func nodeName(in check.Input, idx int32) string {
	if idx >= 0 && int(idx) < len(in.Nodes) {
		return in.Nodes[idx]
	}
	return fmt.Sprintf("#%d", idx)
}

// Projection checks the read side against the write side after
// quiescence: every query node's final read model equals, account by
// account, the fold (sum) of every command node's event log; rejected
// commands are never in a log nor projected; acknowledged commands are in
// the log and refused ones are not.
func Projection(in check.Input) check.Result {
	fold := map[string]int{}
	inLog := map[string]string{} // cmd -> "log#seq"
	var problems []string
	events := 0
	rejected := map[string]bool{}
	projected := map[projKey]map[int]int{} // applications of each (log, seq) per node
	var projectedRejected []string
	// The witnesses: the events at which a violation shows (a projection
	// applied a second time, a command appended twice, a rejected command
	// logged or projected).
	var doubled []appliedAgain
	var problemAt []check.Witness
	logged := map[string]trace.Event{} // cmd -> its "event" emission
	for _, e := range in.Events {
		if e.Kind != trace.KindEmit {
			continue
		}
		switch e.Label {
		case "event":
			var le LogEvent
			if err := json.Unmarshal(e.Data, &le); err != nil {
				problems = append(problems, fmt.Sprintf("undecodable event from %s: %v", nodeName(in, e.Node), err))
				continue
			}
			events++
			at := fmt.Sprintf("%s#%d", nodeName(in, e.Node), le.Seq)
			if prev, dup := inLog[le.Cmd]; dup {
				problems = append(problems, fmt.Sprintf("command %s appended twice (%s and %s)", le.Cmd, prev, at))
				problemAt = append(problemAt, check.WitnessOf(e, in, fmt.Sprintf("command %s appended a second time, at %s", le.Cmd, at)))
			}
			inLog[le.Cmd] = at
			if _, ok := logged[le.Cmd]; !ok {
				logged[le.Cmd] = e
			}
			fold[le.Account] += le.Amount
		case "reject":
			var r struct {
				Cmd string `json:"cmd"`
			}
			if json.Unmarshal(e.Data, &r) == nil {
				rejected[r.Cmd] = true
			}
		case "project":
			var p struct {
				Log     string `json:"log"`
				Seq     int    `json:"seq"`
				Cmd     string `json:"cmd"`
				Account string `json:"account"`
				Amount  int    `json:"amount"`
			}
			if json.Unmarshal(e.Data, &p) != nil {
				continue
			}
			k := projKey{nodeName(in, e.Node), p.Log}
			if projected[k] == nil {
				projected[k] = map[int]int{}
			}
			projected[k][p.Seq]++
			if n := projected[k][p.Seq]; n > 1 {
				doubled = append(doubled, appliedAgain{node: k.node, account: p.Account, w: check.WitnessOf(e, in, fmt.Sprintf(
					"%s applied %s#%d (%s, account %s %+d) again, %d times in all", k.node, p.Log, p.Seq, p.Cmd, p.Account, p.Amount, n))})
			}
			if p.Cmd != "" && rejected[p.Cmd] {
				projectedRejected = append(projectedRejected, fmt.Sprintf("%s projected rejected command %s", k.node, p.Cmd))
				problemAt = append(problemAt, check.WitnessOf(e, in, fmt.Sprintf("%s projected rejected command %s", k.node, p.Cmd)))
			}
		}
	}
	var rejectedInLog []string
	var rejectedAt []check.Witness
	for cmd := range rejected {
		if at, ok := inLog[cmd]; ok {
			rejectedInLog = append(rejectedInLog, fmt.Sprintf("rejected command %s is in the log at %s", cmd, at))
			rejectedAt = append(rejectedAt, check.WitnessOf(logged[cmd], in, fmt.Sprintf("rejected command %s appended to the log at %s", cmd, at)))
		}
	}
	sort.Strings(rejectedInLog)
	sort.Slice(rejectedAt, func(i, j int) bool { return rejectedAt[i].Seq < rejectedAt[j].Seq })
	problemAt = append(problemAt, rejectedAt...)

	acked, refused := 0, 0
	final := map[string]ReadModelValue{}
	finalFailed := map[string]string{}
	for _, p := range pairsOf(in.History) {
		inv, c := p[0], p[1]
		switch inv.F {
		case FCommand:
			var v CommandValue
			_ = json.Unmarshal(c.Value, &v)
			switch c.Type {
			case history.OpOK:
				acked++
				if _, ok := inLog[v.Cmd]; !ok {
					problems = append(problems, fmt.Sprintf("acknowledged command %s (%s#%d) is not in the log", v.Cmd, v.Log, v.Seq))
				}
			case history.OpFail:
				refused++
				if at, ok := inLog[v.Cmd]; ok {
					problems = append(problems, fmt.Sprintf("refused command %s is in the log at %s", v.Cmd, at))
				}
			}
		case FReadModel:
			if c.Type != history.OpOK {
				finalFailed[inv.Node] = c.Type
				continue
			}
			var v ReadModelValue
			if err := json.Unmarshal(c.Value, &v); err != nil {
				finalFailed[inv.Node] = "undecodable: " + err.Error()
				continue
			}
			final[inv.Node] = v
		}
	}
	mismatches := mismatchesOf(fold, final)
	doubly := appliedMoreThanOnce(projected)

	var missing []string
	for n, why := range finalFailed {
		if _, ok := final[n]; !ok {
			missing = append(missing, fmt.Sprintf("%s (%s)", n, why))
		}
	}
	sort.Strings(missing)

	d := map[string]any{"events": events, "accounts": len(fold), "acknowledged": acked, "refused": refused,
		"rejected": len(rejected), "final_reads": len(final), "expected": fold}
	if len(doubly) > 0 {
		d["applied_more_than_once"] = preview(doubly)
	}
	problems = append(problems, rejectedInLog...)
	problems = append(problems, projectedRejected...)
	switch {
	case len(mismatches) > 0:
		d["mismatches"] = mismatches
		if len(problems) > 0 {
			d["problems"] = preview(problems)
		}
		m := mismatches[0]
		if w := witnesses(mismatches, doubled, problemAt); len(w) > 0 {
			d["violations"] = w
		}
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf(
			"%d read-model balances differ from the fold of the event log; first: node %s account %s expected %d actual %d",
			len(mismatches), m.Node, m.Account, m.Expected, m.Actual)}
	case len(problems) > 0:
		d["problems"] = preview(problems)
		if w := witnesses(nil, doubled, problemAt); len(w) > 0 {
			d["violations"] = w
		}
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%d log violations; first: %s", len(problems), problems[0])}
	case len(missing) > 0:
		d["final_read_failures"] = missing
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "final read-model reads did not complete on " + strings.Join(missing, ", ")}
	case len(final) == 0 || events == 0:
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "no event in the log or no final read-model read"}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf(
		"all %d query nodes' read models equal the fold of %d logged events over %d accounts; %d rejected commands absent",
		len(final), events, len(fold), len(rejected))}
}

// projKey is a query node's projection of one command node's log.
type projKey struct{ node, log string }

// mismatchesOf compares each query node's final read model with the fold
// of the logs, account by account, nodes and accounts in order.
func mismatchesOf(fold map[string]int, final map[string]ReadModelValue) []Mismatch {
	var mismatches []Mismatch
	for _, n := range slices.Sorted(maps.Keys(final)) {
		accounts := map[string]bool{}
		for a := range fold {
			accounts[a] = true
		}
		for a := range final[n].Balances {
			accounts[a] = true
		}
		for _, a := range slices.Sorted(maps.Keys(accounts)) {
			if want, got := fold[a], final[n].Balances[a]; want != got {
				mismatches = append(mismatches, Mismatch{Node: n, Account: a, Expected: want, Actual: got})
			}
		}
	}
	return mismatches
}

// appliedMoreThanOnce lists the projections applied more than once, sorted.
func appliedMoreThanOnce(projected map[projKey]map[int]int) []string {
	var doubly []string
	for k, seqs := range projected {
		for seq, times := range seqs {
			if times > 1 {
				doubly = append(doubly, fmt.Sprintf("%s applied %s#%d %d times", k.node, k.log, seq, times))
			}
		}
	}
	sort.Strings(doubly)
	return doubly
}

// appliedAgain is a projection a query node applied more than once.
type appliedAgain struct {
	node, account string
	w             check.Witness
}

// witnesses orders the events at which the violations show, at most 20:
// with mismatches, first the earliest projection applied again on the
// first mismatching node and account that has one (where its balance
// starts to differ from the log), then the other projections applied
// again, then the log violations; without, the log violations first.
func witnesses(mismatches []Mismatch, doubled []appliedAgain, problemAt []check.Witness) []check.Witness {
	var out []check.Witness
	first := -1
	for _, m := range mismatches {
		first = slices.IndexFunc(doubled, func(a appliedAgain) bool { return a.node == m.Node && a.account == m.Account })
		if first >= 0 {
			out = append(out, doubled[first].w)
			break
		}
	}
	var again []check.Witness
	for i, a := range doubled {
		if i != first {
			again = append(again, a.w)
		}
	}
	if len(mismatches) > 0 {
		out = append(append(out, again...), problemAt...)
	} else {
		out = append(append(out, problemAt...), again...)
	}
	return out[:min(len(out), 20)]
}

func preview(s []string) []string {
	if len(s) > 20 {
		return append(slices.Clone(s[:20]), fmt.Sprintf("... and %d more", len(s)-20))
	}
	return s
}

// Staleness measures read-your-writes lag: for each acknowledged command,
// the time from its acknowledgement until the same client held a read from
// a query node that had applied it. It reports p50/p95/max (ms), how many
// writes were never seen within the probe limit, and the share of probe
// reads that were stale. It is a measurement: valid when there is
// something to measure, unknown when no probe saw its write.
func Staleness(in check.Input) check.Result {
	ackAt := map[string]int64{}
	var lags []float64
	reads, stale := 0, 0
	seen := map[string]bool{}
	for _, p := range pairsOf(in.History) {
		inv, c := p[0], p[1]
		switch inv.F {
		case FCommand:
			if c.Type == history.OpOK {
				var v CommandValue
				if json.Unmarshal(c.Value, &v) == nil {
					ackAt[v.Cmd] = c.Time
				}
			}
		case FQuery:
			if c.Type != history.OpOK {
				continue
			}
			var v QueryValue
			if json.Unmarshal(c.Value, &v) != nil {
				continue
			}
			at, ok := ackAt[v.Cmd]
			if !ok || seen[v.Cmd] {
				continue
			}
			reads++
			if !v.Fresh {
				stale++
				continue
			}
			seen[v.Cmd] = true
			lags = append(lags, float64(c.Time-at)/1e6)
		}
	}
	probed := len(ackAt)
	unresolved := probed - len(lags)
	d := map[string]any{"probes": probed, "seen": len(lags), "unresolved": unresolved, "reads": reads, "stale_reads": stale}
	if len(lags) == 0 {
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "no read-your-writes probe saw its write"}
	}
	sort.Float64s(lags)
	pct := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(lags)))) - 1
		return round(lags[max(0, min(i, len(lags)-1))])
	}
	share := round(float64(stale) / float64(reads))
	d["lag_ms"] = map[string]float64{"p50": pct(0.50), "p95": pct(0.95), "max": round(lags[len(lags)-1])}
	d["stale_share"] = share
	return check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf(
		"read-your-writes lag p50 %.1f ms, p95 %.1f ms, max %.1f ms over %d writes; %.1f%% of probe reads stale; %d never seen",
		pct(0.5), pct(0.95), round(lags[len(lags)-1]), len(lags), 100*share, unresolved)}
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

// pairsOf is history.Pairs without the open invocations.
func pairsOf(h []history.Op) [][2]history.Op {
	done, _ := history.Pairs(h)
	return done
}
