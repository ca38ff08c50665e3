package cqrscheck

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// nodes: cmd0 (0), q0 (1), q1 (2); client process 3.
var testNodes = []string{"cmd0", "q0", "q1"}

func emit(node int32, label string, v any) trace.Event {
	b, _ := json.Marshal(v)
	return trace.Event{Kind: trace.KindEmit, Node: node, Label: label, Data: b}
}

func raw(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}

type hist struct{ ops []history.Op }

func (h *hist) op(typ, f string, v any, node string, t int64) {
	h.ops = append(h.ops, history.Op{Index: len(h.ops), Process: 3, Type: typ, F: f, Value: raw(v), Node: node, Time: t})
}

// good is a run where a0 got +100, -30 and a1 +5; c-3 (withdraw 500 from
// a1) was rejected; c-1 was probed once stale, then fresh.
func good() (check.Input, *hist) {
	ev := []trace.Event{
		emit(0, "event", LogEvent{Seq: 1, Cmd: "c-1", Account: "a0", Amount: 100}),
		emit(1, "project", map[string]any{"node": "q0", "log": "cmd0", "seq": 1, "cmd": "c-1"}),
		emit(0, "event", LogEvent{Seq: 2, Cmd: "c-2", Account: "a0", Amount: -30}),
		emit(0, "reject", map[string]any{"cmd": "c-3"}),
		emit(0, "event", LogEvent{Seq: 3, Cmd: "c-4", Account: "a1", Amount: 5}),
	}
	h := &hist{}
	h.op(history.OpInvoke, FCommand, CommandValue{Cmd: "c-1", Op: "deposit", Account: "a0", Amount: 100}, "cmd0", 0)
	h.op(history.OpOK, FCommand, CommandValue{Cmd: "c-1", Op: "deposit", Account: "a0", Amount: 100, Log: "cmd0", Seq: 1}, "cmd0", 10e6)
	h.op(history.OpInvoke, FQuery, QueryValue{Cmd: "c-1", Account: "a0", Log: "cmd0", Seq: 1}, "q0", 10e6)
	h.op(history.OpOK, FQuery, QueryValue{Cmd: "c-1", Account: "a0", Log: "cmd0", Seq: 1}, "q0", 15e6) // stale
	h.op(history.OpInvoke, FQuery, QueryValue{Cmd: "c-1", Account: "a0", Log: "cmd0", Seq: 1}, "q1", 25e6)
	h.op(history.OpOK, FQuery, QueryValue{Cmd: "c-1", Account: "a0", Log: "cmd0", Seq: 1, Applied: 1, Balance: 100, Fresh: true}, "q1", 30e6)
	h.op(history.OpInvoke, FCommand, CommandValue{Cmd: "c-3", Op: "withdraw", Account: "a1", Amount: 500}, "cmd0", 40e6)
	h.op(history.OpFail, FCommand, CommandValue{Cmd: "c-3", Op: "withdraw", Account: "a1", Amount: 500}, "cmd0", 50e6)
	return check.Input{Events: ev, Nodes: testNodes}, h
}

func finalReads(h *hist, q0, q1 map[string]int) {
	h.op(history.OpInvoke, FReadModel, nil, "q0", 1e9)
	h.op(history.OpOK, FReadModel, ReadModelValue{Balances: q0, Applied: map[string]int{"cmd0": 3}}, "q0", 1e9+5)
	h.op(history.OpInvoke, FReadModel, nil, "q1", 1e9+10)
	h.op(history.OpOK, FReadModel, ReadModelValue{Balances: q1, Applied: map[string]int{"cmd0": 3}}, "q1", 1e9+15)
}

func TestProjectionValidWhenReadModelsEqualTheFold(t *testing.T) {
	in, h := good()
	finalReads(h, map[string]int{"a0": 70, "a1": 5}, map[string]int{"a0": 70, "a1": 5})
	in.History = h.ops
	r := Projection(in)
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, 3, r.Details["events"])
	assert.Equal(t, 1, r.Details["rejected"])
	assert.Equal(t, 2, r.Details["final_reads"])
}

func TestProjectionNamesNodeAccountExpectedActual(t *testing.T) {
	in, h := good()
	finalReads(h, map[string]int{"a0": 70, "a1": 5}, map[string]int{"a0": 170, "a1": 5})
	in.History = h.ops
	r := Projection(in)
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "node q1 account a0 expected 70 actual 170")
	assert.Equal(t, []Mismatch{{Node: "q1", Account: "a0", Expected: 70, Actual: 170}}, r.Details["mismatches"])
}

func TestProjectionCatchesAnAccountMissingFromTheReadModel(t *testing.T) {
	in, h := good()
	finalReads(h, map[string]int{"a0": 70}, map[string]int{"a0": 70, "a1": 5})
	in.History = h.ops
	r := Projection(in)
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "node q0 account a1 expected 5 actual 0")
}

func TestProjectionCatchesARejectedCommandInTheLog(t *testing.T) {
	in, h := good()
	in.Events = append(in.Events, emit(0, "event", LogEvent{Seq: 4, Cmd: "c-3", Account: "a1", Amount: -500}))
	finalReads(h, map[string]int{"a0": 70, "a1": -495}, map[string]int{"a0": 70, "a1": -495})
	in.History = h.ops
	r := Projection(in)
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "c-3")
}

func TestProjectionCatchesAnAcknowledgedCommandMissingFromTheLog(t *testing.T) {
	in, h := good()
	in.Events = in.Events[1:] // c-1 never logged; the fold is a0=-30, a1=5
	finalReads(h, map[string]int{"a0": -30, "a1": 5}, map[string]int{"a0": -30, "a1": 5})
	in.History = h.ops
	r := Projection(in)
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "acknowledged command c-1")
}

func TestProjectionReportsDoubleApplication(t *testing.T) {
	in, h := good()
	in.Events = append(in.Events, emit(1, "project", map[string]any{"node": "q0", "log": "cmd0", "seq": 1, "cmd": "c-1"}))
	finalReads(h, map[string]int{"a0": 170, "a1": 5}, map[string]int{"a0": 70, "a1": 5})
	in.History = h.ops
	r := Projection(in)
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Equal(t, []string{"q0 applied cmd0#1 2 times"}, r.Details["applied_more_than_once"])
}

func TestProjectionUnknownWithoutFinalReads(t *testing.T) {
	in, h := good()
	h.op(history.OpInvoke, FReadModel, nil, "q0", 1e9)
	h.op(history.OpInfo, FReadModel, nil, "q0", 2e9)
	in.History = h.ops
	r := Projection(in)
	assert.Equal(t, check.Unknown, r.Verdict)
	assert.Contains(t, r.Summary, "q0")
}

func TestStalenessComputesLagAndStaleShare(t *testing.T) {
	in, h := good()
	in.History = h.ops
	r := Staleness(in)
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	// acked at 10 ms; first fresh read completed at 30 ms; one of two probe reads was stale
	assert.Equal(t, map[string]float64{"p50": 20, "p95": 20, "max": 20}, r.Details["lag_ms"])
	assert.Equal(t, 0.5, r.Details["stale_share"])
	assert.Equal(t, 1, r.Details["stale_reads"])
	assert.Equal(t, 0, r.Details["unresolved"])
}

func TestStalenessCountsUnresolvedProbes(t *testing.T) {
	in, h := good()
	h.op(history.OpInvoke, FCommand, CommandValue{Cmd: "c-9", Op: "deposit", Account: "a2", Amount: 1}, "cmd0", 60e6)
	h.op(history.OpOK, FCommand, CommandValue{Cmd: "c-9", Op: "deposit", Account: "a2", Amount: 1, Log: "cmd0", Seq: 9}, "cmd0", 70e6)
	h.op(history.OpInvoke, FQuery, QueryValue{Cmd: "c-9", Account: "a2", Log: "cmd0", Seq: 9}, "q0", 70e6)
	h.op(history.OpOK, FQuery, QueryValue{Cmd: "c-9", Account: "a2", Log: "cmd0", Seq: 9, Applied: 3}, "q0", 75e6)
	in.History = h.ops
	r := Staleness(in)
	require.Equal(t, check.Valid, r.Verdict)
	assert.Equal(t, 1, r.Details["unresolved"])
	assert.InDelta(t, 2.0/3, r.Details["stale_share"], 0.001)
}

func TestStalenessUnknownWithoutProbes(t *testing.T) {
	r := Staleness(check.Input{Nodes: testNodes})
	assert.Equal(t, check.Unknown, r.Verdict)
}

// numbered gives the events their trace seq (from 1) and a time (1 ms each).
func numbered(ev []trace.Event) []trace.Event {
	for i := range ev {
		ev[i].Seq, ev[i].Time = uint64(i+1), int64(i+1)*1e6
	}
	return ev
}

func violations(t *testing.T, r check.Result) []check.Witness {
	t.Helper()
	w, ok := r.Details["violations"].([]check.Witness)
	require.True(t, ok, "no witness in %v", r.Details)
	require.NotEmpty(t, w)
	return w
}

func TestProjectionNamesNoWitnessWhenValid(t *testing.T) {
	in, h := good()
	in.Events = numbered(in.Events)
	finalReads(h, map[string]int{"a0": 70, "a1": 5}, map[string]int{"a0": 70, "a1": 5})
	in.History = h.ops
	r := Projection(in)
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.NotContains(t, r.Details, "violations")
}

// The witness of a read model that differs from the log is the event at
// which its node applied a projection of that account a second time; an
// earlier double application elsewhere comes after it.
func TestProjectionWitnessIsTheSecondApplicationOnTheMismatchingAccount(t *testing.T) {
	in, h := good()
	in.Events = numbered(append(in.Events,
		emit(2, "project", map[string]any{"node": "q1", "log": "cmd0", "seq": 3, "cmd": "c-4", "account": "a1", "amount": 5}),
		emit(2, "project", map[string]any{"node": "q1", "log": "cmd0", "seq": 3, "cmd": "c-4", "account": "a1", "amount": 5}),
		emit(1, "project", map[string]any{"node": "q0", "log": "cmd0", "seq": 1, "cmd": "c-1", "account": "a0", "amount": 100}),
	))
	finalReads(h, map[string]int{"a0": 170, "a1": 5}, map[string]int{"a0": 70, "a1": 10})
	in.History = h.ops
	r := Projection(in)
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "node q0 account a0")
	w := violations(t, r)
	require.Len(t, w, 2)
	assert.Equal(t, check.Witness{Seq: 8, T: 8e6, At: "8ms", Node: "q0",
		What: "q0 applied cmd0#1 (c-1, account a0 +100) again, 2 times in all"}, w[0])
	assert.Equal(t, uint64(7), w[1].Seq, "q1's second application of cmd0#3")
	assert.Equal(t, "q1", w[1].Node)
}

func TestProjectionWitnessOfARejectedCommandIsItsLogEvent(t *testing.T) {
	in, h := good()
	in.Events = numbered(append(in.Events, emit(0, "event", LogEvent{Seq: 4, Cmd: "c-3", Account: "a1", Amount: -500})))
	finalReads(h, map[string]int{"a0": 70, "a1": -495}, map[string]int{"a0": 70, "a1": -495})
	in.History = h.ops
	r := Projection(in)
	require.Equal(t, check.Invalid, r.Verdict)
	w := violations(t, r)
	assert.Equal(t, uint64(6), w[0].Seq)
	assert.Equal(t, "cmd0", w[0].Node)
	assert.Contains(t, w[0].What, "rejected command c-3")
}
