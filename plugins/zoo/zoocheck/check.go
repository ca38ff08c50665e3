// Package zoocheck holds the bug zoo's checkers (plugins/zoo): pure
// functions of the events the zoo's guests emit. Each zoo guest has a
// bug only some schedules show; these are the properties they break.
package zoocheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Plugin is the zoo's host side: its checkers, no workload. It is not a
// pattern the catalogue lists.
func Plugin() contract.Plugin {
	return contract.Plugin{Name: "zoo", Summary: "protocols with subtle ordering and crash bugs, for terrarium explore",
		Checks:     map[string]check.Checker{"zoo-delivered": Delivered, "zoo-atomic": Atomic, "zoo-coherent": Coherent, "zoo-exclusive": Exclusive, "zoo-saga": Saga, "zoo-leader": Leader, "zoo-sold": Sold},
		Invariants: map[string]check.Invariant{"zoo-leader": LeaderStep, "zoo-exclusive": ExclusiveStep}}
}

// emitted is one emit event: its node, key and value's v or outcome.
type emitted struct {
	node    int32
	key     string
	V       int    `json:"v"`
	Outcome string `json:"outcome"`
}

func emits(in check.Input) ([]emitted, error) {
	var out []emitted
	for _, e := range in.Events {
		if e.Kind != trace.KindEmit {
			continue
		}
		x := emitted{node: e.Node, key: e.Label}
		if err := json.Unmarshal(e.Data, &x); err != nil {
			return nil, fmt.Errorf("%s's %s event: %w", name(in, e.Node), e.Label, err)
		}
		out = append(out, x)
	}
	return out, nil
}

func name(in check.Input, i int32) string { return nodeName(in.Nodes, i) }

func nodeName(nodes []string, i int32) string {
	if i >= 0 && int(i) < len(nodes) {
		return nodes[i]
	}
	return fmt.Sprintf("#%d", i)
}

func unknown(err error) check.Result {
	return check.Result{Verdict: check.Unknown, Summary: "unreadable events: " + err.Error()}
}

// Delivered is broadcast validity: every value a node sent (sent {v}) is
// received (got {v}) by every node that received anything.
func Delivered(in check.Input) check.Result {
	evs, err := emits(in)
	if err != nil {
		return unknown(err)
	}
	var sent []int
	got := map[int32][]int{}
	for _, e := range evs {
		switch e.key {
		case "sent":
			sent = append(sent, e.V)
		case "got":
			got[e.node] = append(got[e.node], e.V)
		}
	}
	if len(sent) == 0 || len(got) == 0 {
		return check.Result{Verdict: check.Unknown, Summary: "nothing was sent or received"}
	}
	var lost []string
	for _, node := range sortedKeys(got) {
		for _, v := range sent {
			if !slices.Contains(got[node], v) {
				lost = append(lost, fmt.Sprintf("%s never got %d", name(in, node), v))
			}
		}
	}
	if len(lost) > 0 {
		return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("%d values lost; first: %s", len(lost), lost[0]), Details: map[string]any{"lost": lost}}
	}
	return check.Result{Verdict: check.Valid, Summary: fmt.Sprintf("%d values reached %d nodes", len(sent), len(got))}
}

// Atomic is atomic commitment: every node that decides (decide
// {outcome}) decides the same.
func Atomic(in check.Input) check.Result {
	evs, err := emits(in)
	if err != nil {
		return unknown(err)
	}
	var first *emitted
	for i, e := range evs {
		if e.key != "decide" {
			continue
		}
		if first == nil {
			first = &evs[i]
			continue
		}
		if e.Outcome != first.Outcome {
			return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("%s decided %s but %s decided %s",
				name(in, first.node), first.Outcome, name(in, e.node), e.Outcome)}
		}
	}
	if first == nil {
		return check.Result{Verdict: check.Unknown, Summary: "nobody decided"}
	}
	return check.Result{Verdict: check.Valid, Summary: "every decision was " + first.Outcome}
}

// Coherent is cache coherence at the end of the run: if the cache holds
// a value (its last state {v} has v >= 0), it is the database's (the
// database's last state). Params: {"db": NODE, "cache": NODE}.
func Coherent(in check.Input) check.Result {
	var p struct {
		DB    string `json:"db"`
		Cache string `json:"cache"`
	}
	if err := json.Unmarshal(in.Params, &p); err != nil || p.DB == "" || p.Cache == "" {
		return check.Result{Verdict: check.Unknown, Summary: `zoo-coherent needs params {"db": NODE, "cache": NODE}`}
	}
	evs, err := emits(in)
	if err != nil {
		return unknown(err)
	}
	last := map[string]int{}
	for _, e := range evs {
		if e.key == "state" {
			last[name(in, e.node)] = e.V
		}
	}
	db, ok := last[p.DB]
	if !ok {
		return check.Result{Verdict: check.Unknown, Summary: "the database never said what it holds"}
	}
	if c, ok := last[p.Cache]; ok && c >= 0 && c != db {
		return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("%s holds %d for good, %s holds %d", p.Cache, c, p.DB, db)}
	}
	return check.Result{Verdict: check.Valid, Summary: fmt.Sprintf("the cache agrees with the database (%d)", db)}
}

// Exclusive is mutual exclusion of a lease: a grant {holder, until_ns}
// to one holder while another's grant still runs (its until_ns, a
// virtual time, is after the new grant's) gives two holders at once.
func Exclusive(in check.Input) check.Result {
	var holder string
	var until int64
	grants := 0
	for _, e := range in.Events {
		if e.Kind != trace.KindEmit || e.Label != "grant" {
			continue
		}
		var g struct {
			Holder string `json:"holder"`
			Until  int64  `json:"until_ns"`
		}
		if err := json.Unmarshal(e.Data, &g); err != nil {
			return unknown(fmt.Errorf("%s's grant event: %w", name(in, e.Node), err))
		}
		grants++
		if holder != "" && g.Holder != holder && e.Time < until {
			return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("at %v the lease went to %s while %s held it until %v",
				time.Duration(e.Time), g.Holder, holder, time.Duration(until))}
		}
		holder, until = g.Holder, g.Until
	}
	if grants == 0 {
		return check.Result{Verdict: check.Unknown, Summary: "no lease was granted"}
	}
	return check.Result{Verdict: check.Valid, Summary: fmt.Sprintf("%d grants, one holder at a time", grants)}
}

// Saga is a one-step saga's consistency: the orchestrator ends it with one
// outcome (outcome {outcome}, "committed" or "aborted"), and the
// participant's effects (debit {v}, refund {v}) match it: an aborted saga
// leaves nothing debited, a committed one is not refunded.
func Saga(in check.Input) check.Result {
	evs, err := emits(in)
	if err != nil {
		return unknown(err)
	}
	var outcomes []string
	var debited, refunded int
	for _, e := range evs {
		switch e.key {
		case "outcome":
			if !slices.Contains(outcomes, e.Outcome) {
				outcomes = append(outcomes, e.Outcome)
			}
		case "debit":
			debited += e.V
		case "refund":
			refunded += e.V
		}
	}
	switch {
	case len(outcomes) == 0:
		return check.Result{Verdict: check.Unknown, Summary: "the saga has no outcome"}
	case len(outcomes) > 1:
		return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("the saga ended %s and %s (debited %d, refunded %d)",
			outcomes[0], outcomes[1], debited, refunded)}
	case outcomes[0] == "aborted" && debited != refunded:
		return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("the saga aborted with %d debited and %d refunded", debited, refunded)}
	case outcomes[0] == "committed" && refunded > 0:
		return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("the saga committed but %d was refunded", refunded)}
	}
	return check.Result{Verdict: check.Valid, Summary: fmt.Sprintf("the saga %s (debited %d, refunded %d)", outcomes[0], debited, refunded)}
}

// Leader is election safety (Raft's figure 3): at most one node wins the
// election (lead {term}) of any term.
func Leader(in check.Input) check.Result {
	leaders := map[int]int32{}
	for _, e := range in.Events {
		if e.Kind != trace.KindEmit || e.Label != "lead" {
			continue
		}
		var l struct {
			Term int `json:"term"`
		}
		if err := json.Unmarshal(e.Data, &l); err != nil {
			return unknown(fmt.Errorf("%s's lead event: %w", name(in, e.Node), err))
		}
		if first, ok := leaders[l.Term]; ok && first != e.Node {
			return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("%s and %s both lead term %d", name(in, first), name(in, e.Node), l.Term)}
		}
		leaders[l.Term] = e.Node
	}
	if len(leaders) == 0 {
		return check.Result{Verdict: check.Unknown, Summary: "nobody was elected"}
	}
	return check.Result{Verdict: check.Valid, Summary: fmt.Sprintf("%d terms, one leader each", len(leaders))}
}

// LeaderStep is Leader's per-step predicate (check.Invariant): it fails
// at the lead event that makes a second leader of one term. An unreadable
// event is left to Leader, which calls the run unknown.
func LeaderStep(nodes []string, _ json.RawMessage) func(trace.Event) error {
	leaders := map[int]int32{}
	return func(e trace.Event) error {
		if e.Kind != trace.KindEmit || e.Label != "lead" {
			return nil
		}
		var l struct {
			Term int `json:"term"`
		}
		if json.Unmarshal(e.Data, &l) != nil {
			return nil
		}
		if first, ok := leaders[l.Term]; ok && first != e.Node {
			return fmt.Errorf("%s and %s both lead term %d", nodeName(nodes, first), nodeName(nodes, e.Node), l.Term)
		}
		leaders[l.Term] = e.Node
		return nil
	}
}

// ExclusiveStep is Exclusive's per-step predicate (check.Invariant): it
// fails at the grant that gives the lease to a second holder while the
// first's still runs.
func ExclusiveStep(_ []string, _ json.RawMessage) func(trace.Event) error {
	var holder string
	var until int64
	return func(e trace.Event) error {
		if e.Kind != trace.KindEmit || e.Label != "grant" {
			return nil
		}
		var g struct {
			Holder string `json:"holder"`
			Until  int64  `json:"until_ns"`
		}
		if json.Unmarshal(e.Data, &g) != nil {
			return nil
		}
		if holder != "" && g.Holder != holder && e.Time < until {
			return fmt.Errorf("the lease went to %s while %s held it until %v", g.Holder, holder, time.Duration(until))
		}
		holder, until = g.Holder, g.Until
		return nil
	}
}

func sortedKeys(m map[int32][]int) []int32 {
	keys := make([]int32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// Sold is the box office's promise (plugins/zoo/tickets): with a ticket
// for every purchase, every purchase made (buy {v}) is sold (sold {v})
// exactly once.
func Sold(in check.Input) check.Result {
	evs, err := emits(in)
	if err != nil {
		return unknown(err)
	}
	bought, sold := map[int]bool{}, map[int]int{}
	for _, e := range evs {
		switch e.key {
		case "buy":
			bought[e.V] = true
		case "sold":
			sold[e.V]++
		}
	}
	if len(bought) == 0 {
		return check.Result{Verdict: check.Unknown, Summary: "nobody bought anything"}
	}
	var lost, twice []int
	for v := range bought {
		switch {
		case sold[v] == 0:
			lost = append(lost, v)
		case sold[v] > 1:
			twice = append(twice, v)
		}
	}
	slices.Sort(lost)
	slices.Sort(twice)
	switch {
	case len(lost) > 0:
		return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("%d of %d purchases never sold; first: %d (dropped from a full waitlist?)", len(lost), len(bought), lost[0])}
	case len(twice) > 0:
		return check.Result{Verdict: check.Invalid, Summary: fmt.Sprintf("purchase %d sold %d times", twice[0], sold[twice[0]])}
	}
	return check.Result{Verdict: check.Valid, Summary: fmt.Sprintf("all %d purchases sold once", len(bought))}
}
