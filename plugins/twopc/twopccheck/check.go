package twopccheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// emitted is the union of the guest's event payloads.
type emitted struct {
	Txn          string   `json:"txn"`
	Outcome      string   `json:"outcome"`
	Participants []string `json:"participants"`
	Recovered    bool     `json:"recovered"`
	Keys         []string `json:"keys"`
	Reason       string   `json:"reason"`
}

type event struct {
	emitted
	label string
	node  string
	seq   uint64
	time  int64
}

// events returns the plugin's emitted events, in trace order.
func events(in check.Input) []event {
	var out []event
	for _, e := range in.Events {
		if e.Kind != trace.KindEmit {
			continue
		}
		switch e.Label {
		case "decide", "prepared", "apply", "release":
		default:
			continue
		}
		var v emitted
		if json.Unmarshal(e.Data, &v) != nil || v.Txn == "" {
			continue
		}
		node := fmt.Sprintf("node%d", e.Node)
		if int(e.Node) >= 0 && int(e.Node) < len(in.Nodes) {
			node = in.Nodes[e.Node]
		}
		out = append(out, event{emitted: v, label: e.Label, node: node, seq: e.Seq, time: e.Time})
	}
	return out
}

// local is what one participant did with one transaction.
type local struct {
	prepared   uint64 // seq of its first prepared event, 0 if none
	applied    uint64 // seq of its first apply
	released   uint64 // seq of its first release
	releaseWhy string // the reason of that release
}

type txnView struct {
	id        string
	decisions []event // the coordinator's decide events
	parts     []string
	local     map[string]*local
	acked     string // the outcome a client was told, "" if none
}

func (t *txnView) at(node string) *local {
	l := t.local[node]
	if l == nil {
		l = &local{}
		t.local[node] = l
	}
	return l
}

func collect(in check.Input) (map[string]*txnView, []string) {
	txns := map[string]*txnView{}
	var order []string
	get := func(id string) *txnView {
		t := txns[id]
		if t == nil {
			t = &txnView{id: id, local: map[string]*local{}}
			txns[id] = t
			order = append(order, id)
		}
		return t
	}
	for _, e := range events(in) {
		t := get(e.Txn)
		switch e.label {
		case "decide":
			t.decisions = append(t.decisions, e)
			if t.parts == nil {
				t.parts = e.Participants
			}
		case "prepared":
			if l := t.at(e.node); l.prepared == 0 {
				l.prepared = e.seq
			}
		case "apply":
			if l := t.at(e.node); l.applied == 0 {
				l.applied = e.seq
			}
		case "release":
			if l := t.at(e.node); l.released == 0 {
				l.released, l.releaseWhy = e.seq, e.Reason
			}
		}
	}
	for _, op := range in.History {
		if op.Type != history.OpOK || op.F != "txn" {
			continue
		}
		var v struct {
			Txn     string `json:"txn"`
			Outcome string `json:"outcome"`
		}
		if json.Unmarshal(op.Value, &v) != nil || v.Txn == "" {
			continue
		}
		get(v.Txn).acked = v.Outcome
	}
	return txns, order
}

// Atomicity checks 2PC's safety from the emitted events and the client
// history: no transaction is decided both ways (by the coordinator, across
// its crashes, or by a participant against the coordinator); a commit
// follows a yes vote (a prepared event) from every participant; every
// participant of a committed transaction that finished applied it, and
// none of an aborted one; the outcome a client was told is the one the
// coordinator and the participants carried out. A participant still
// prepared at the end is pending, not a violation (see twopc-blocking).
//
// Details: txns, committed, aborted, client_acked, pending, violations
// (when any).
func Atomicity(in check.Input) check.Result {
	txns, order := collect(in)
	var violations []string
	var committed, aborted, acked int
	var pending []string
	for _, id := range order {
		t := txns[id]
		if t.acked != "" {
			acked++
		}
		outcomes := map[string]bool{}
		for _, d := range t.decisions {
			outcomes[d.Outcome] = true
		}
		decision := ""
		switch {
		case len(outcomes) > 1:
			violations = append(violations, fmt.Sprintf("txn %s: the coordinator decided both commit and abort", id))
		case outcomes[outcomeCommit]:
			decision = outcomeCommit
			committed++
		case outcomes[outcomeAbort]:
			decision = outcomeAbort
			aborted++
		}
		if t.acked != "" && len(outcomes) > 0 && !outcomes[t.acked] {
			violations = append(violations, fmt.Sprintf("txn %s: client told %s, coordinator decided %s", id, t.acked, t.decisions[0].Outcome))
		}
		if t.acked == outcomeCommit && len(outcomes) == 0 {
			violations = append(violations, fmt.Sprintf("txn %s: client told commit, coordinator decided nothing", id))
		}
		want := decision
		if want == "" {
			want = t.acked
		}
		nodes := append([]string(nil), t.parts...)
		for n := range t.local {
			if !slices.Contains(nodes, n) {
				nodes = append(nodes, n)
			}
		}
		sort.Strings(nodes)
		firstCommit := uint64(0)
		for _, d := range t.decisions {
			if d.Outcome == outcomeCommit && (firstCommit == 0 || d.seq < firstCommit) {
				firstCommit = d.seq
			}
		}
		for _, n := range nodes {
			l := t.at(n)
			who := "coordinator decided"
			if decision == "" {
				who = "client told"
			}
			switch {
			case l.applied != 0 && want != outcomeCommit && want != "":
				violations = append(violations, fmt.Sprintf("txn %s: %s %s, %s applied it (commit)", id, who, want, n))
			case l.applied != 0 && want == "":
				violations = append(violations, fmt.Sprintf("txn %s: %s applied it (commit), the coordinator never decided commit", id, n))
			case l.released != 0 && want == outcomeCommit:
				violations = append(violations, fmt.Sprintf("txn %s: %s commit, %s decided abort (%s)", id, who, n, l.releaseWhy))
			case firstCommit != 0 && slices.Contains(t.parts, n) && (l.prepared == 0 || l.prepared > firstCommit):
				what := "never voted yes"
				if l.prepared != 0 {
					what = "voted yes only after the decision"
				}
				violations = append(violations, fmt.Sprintf("txn %s: committed without participant %s, which %s", id, n, what))
			case l.prepared != 0 && l.applied == 0 && l.released == 0:
				pending = append(pending, id+"@"+n)
			}
		}
	}
	d := map[string]any{"txns": len(order), "committed": committed, "aborted": aborted, "client_acked": acked, "pending": len(pending)}
	if len(pending) > 0 {
		d["pending_at"] = cap20(pending)
	}
	if len(violations) > 0 {
		d["violations"] = cap20(violations)
		d["violation_count"] = len(violations)
		return check.Result{Verdict: check.Invalid, Details: d,
			Summary: fmt.Sprintf("%d atomicity violations; first: %s", len(violations), violations[0])}
	}
	if committed+aborted == 0 {
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "no transaction was decided"}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("%d transactions decided (%d commit, %d abort), every participant agreed; %d acknowledged to clients, %d still prepared at the end",
		committed+aborted, committed, aborted, acked, len(pending))}
}

const (
	outcomeCommit = "commit"
	outcomeAbort  = "abort"
)

func cap20(s []string) []string {
	if len(s) > 20 {
		return append(s[:20:20], fmt.Sprintf("... and %d more", len(s)-20))
	}
	return s
}

type interval struct {
	node, txn  string
	start, end int64
	keys       []string
	open       bool
}

// Blocking measures 2PC's limitation: the time each participant spends
// prepared but undecided, holding its locks, and the keys still locked when
// the run ends. It reports numbers and fails nothing: valid when it could
// compute them, unknown when no transaction ran. Params: {"threshold_ms":
// 100}, the length above which a block counts in long_blocks.
//
// Details: participants (per node: prepared, blocked_ms, max_blocked_ms,
// blocked_wall_ms, locked_at_end), total_blocked_ms, max_blocked_ms,
// max_blocked_txn, longest_block_keys (the keys that block held),
// long_blocks, peak_locked_keys, locked_at_end,
// locked_keys_at_end.
func Blocking(in check.Input) check.Result {
	threshold := 100 * time.Millisecond
	if len(in.Params) > 0 {
		var p struct {
			ThresholdMS float64 `json:"threshold_ms"`
		}
		if json.Unmarshal(in.Params, &p) == nil && p.ThresholdMS > 0 {
			threshold = time.Duration(p.ThresholdMS * float64(time.Millisecond))
		}
	}
	evs := events(in)
	var end int64
	for _, e := range in.Events {
		end = max(end, e.Time)
	}
	open := map[string]*interval{} // node/txn
	var all []*interval
	decided := 0
	for _, e := range evs {
		k := e.node + "/" + e.Txn
		switch e.label {
		case "decide":
			decided++
		case "prepared":
			if _, ok := open[k]; !ok {
				iv := &interval{node: e.node, txn: e.Txn, start: e.time, keys: e.Keys, open: true}
				open[k] = iv
				all = append(all, iv)
			}
		case "apply", "release":
			if iv, ok := open[k]; ok && iv.open {
				iv.end, iv.open = e.time, false
			}
		}
	}
	if len(all) == 0 && decided == 0 {
		return check.Result{Verdict: check.Unknown, Summary: "no transaction ran", Details: map[string]any{}}
	}
	type stats struct {
		prepared  int
		blocked   int64
		max       int64
		locked    []string
		intervals [][2]int64
	}
	per := map[string]*stats{}
	var total, maxB int64
	var maxTxn string
	var maxKeys []string
	long := 0
	lockedEnd := []string{}
	type edge struct {
		t     int64
		delta int
	}
	var edges []edge
	for _, iv := range all {
		st := per[iv.node]
		if st == nil {
			st = &stats{locked: []string{}}
			per[iv.node] = st
		}
		e := iv.end
		if iv.open {
			e = end
			for _, k := range iv.keys {
				st.locked = append(st.locked, k)
				lockedEnd = append(lockedEnd, iv.node+":"+k)
			}
		}
		dur := e - iv.start
		st.prepared++
		st.blocked += dur
		st.intervals = append(st.intervals, [2]int64{iv.start, e})
		if dur > st.max {
			st.max = dur
		}
		if dur > maxB {
			maxB, maxTxn = dur, iv.txn+"@"+iv.node
			maxKeys = append([]string{}, iv.keys...)
		}
		if time.Duration(dur) > threshold {
			long++
		}
		total += dur
		edges = append(edges, edge{iv.start, len(iv.keys)})
		if !iv.open {
			edges = append(edges, edge{e, -len(iv.keys)})
		}
	}
	sort.SliceStable(edges, func(i, j int) bool {
		if edges[i].t != edges[j].t {
			return edges[i].t < edges[j].t
		}
		return edges[i].delta < edges[j].delta // releases first at the same instant
	})
	peak, cur := 0, 0
	for _, e := range edges {
		cur += e.delta
		peak = max(peak, cur)
	}
	sort.Strings(lockedEnd)
	parts := map[string]any{}
	for n, st := range per {
		sort.Strings(st.locked)
		parts[n] = map[string]any{
			"prepared": st.prepared, "blocked_ms": msOf(st.blocked), "max_blocked_ms": msOf(st.max),
			"blocked_wall_ms": msOf(union(st.intervals)), "locked_at_end": st.locked,
		}
	}
	d := map[string]any{
		"participants": parts, "total_blocked_ms": msOf(total), "max_blocked_ms": msOf(maxB), "max_blocked_txn": maxTxn,
		"longest_block_keys": maxKeys,
		"long_blocks":        long, "threshold_ms": msOf(int64(threshold)), "peak_locked_keys": peak,
		"locked_at_end": len(lockedEnd), "locked_keys_at_end": lockedEnd,
	}
	var b strings.Builder
	fmt.Fprintf(&b, "participants blocked %.1f ms in total (longest %.1f ms, %s holding %v); %d blocks over %v; peak %d keys locked; %d locked at the end",
		msOf(total), msOf(maxB), maxTxn, maxKeys, long, threshold, peak, len(lockedEnd))
	if len(lockedEnd) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(cap20(lockedEnd), ", "))
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: b.String()}
}

func msOf(ns int64) float64 { return float64(ns/1000) / 1000 }

// union is the total length covered by the intervals.
func union(iv [][2]int64) int64 {
	sort.Slice(iv, func(i, j int) bool { return iv[i][0] < iv[j][0] })
	var total, curS, curE int64
	started := false
	for _, x := range iv {
		if !started || x[0] > curE {
			if started {
				total += curE - curS
			}
			curS, curE, started = x[0], x[1], true
			continue
		}
		curE = max(curE, x[1])
	}
	if started {
		total += curE - curS
	}
	return total
}
