package twopccheck_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/twopc/twopccheck"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// nodes: coord is index 0, participants p0..p2 are 1..3.
var nodes = []string{"coord", "p0", "p1", "p2"}

type trail struct{ evs []trace.Event }

func (tr *trail) emit(ms int, node int32, label string, v map[string]any) *trail {
	b, _ := json.Marshal(v)
	tr.evs = append(tr.evs, trace.Event{Seq: uint64(len(tr.evs) + 1), Time: int64(time.Duration(ms) * time.Millisecond),
		Kind: trace.KindEmit, Node: node, Peer: -1, Label: label, Data: b})
	return tr
}

func (tr *trail) prepared(ms int, node int32, txn string, keys ...string) *trail {
	return tr.emit(ms, node, "prepared", map[string]any{"txn": txn, "keys": keys})
}

func (tr *trail) apply(ms int, node int32, txn string, keys ...string) *trail {
	return tr.emit(ms, node, "apply", map[string]any{"txn": txn, "keys": keys})
}

func (tr *trail) release(ms int, node int32, txn, reason string, keys ...string) *trail {
	return tr.emit(ms, node, "release", map[string]any{"txn": txn, "keys": keys, "reason": reason})
}

func (tr *trail) decide(ms int, txn, outcome string, parts ...string) *trail {
	return tr.emit(ms, 0, "decide", map[string]any{"txn": txn, "outcome": outcome, "participants": parts})
}

func (tr *trail) input(h ...history.Op) check.Input {
	return check.Input{Events: tr.evs, Nodes: nodes, History: h}
}

func ok(txn, outcome string) history.Op {
	v, _ := json.Marshal(map[string]string{"txn": txn, "outcome": outcome})
	return history.Op{Process: 4, Type: history.OpOK, F: "txn", Value: v}
}

// good is a correct run: t1 commits on p0 and p1, t2 aborts on a no vote.
func good() *trail {
	return new(trail).
		prepared(10, 1, "t1", "k0").prepared(11, 2, "t1", "k1").
		decide(15, "t1", "commit", "p0", "p1").
		apply(20, 1, "t1", "k0").apply(21, 2, "t1", "k1").
		prepared(30, 1, "t2", "k0").release(31, 3, "t2", "vote_no", "k2").
		decide(35, "t2", "abort", "p0", "p2").
		release(40, 1, "t2", "abort", "k0")
}

func TestAtomicityValid(t *testing.T) {
	r := twopccheck.Atomicity(good().input(ok("t1", "commit"), ok("t2", "abort")))
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, 1, r.Details["committed"])
	assert.Equal(t, 1, r.Details["aborted"])
	assert.Equal(t, 2, r.Details["client_acked"])
}

func TestAtomicityDecidedBothWays(t *testing.T) {
	// The coordinator committed t1, lost its log, and aborted it after a restart.
	tr := good().decide(50, "t1", "abort", "p0", "p1")
	r := twopccheck.Atomicity(tr.input())
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "txn t1")
	assert.Contains(t, r.Summary, "both commit and abort")
}

func TestAtomicityParticipantAbortsCommitted(t *testing.T) {
	// commit_early: the coordinator committed t3 on p0's yes, p1 voted no.
	tr := good().prepared(60, 1, "t3", "k0").decide(61, "t3", "commit", "p0", "p1").
		release(62, 2, "t3", "vote_no", "k1").apply(63, 1, "t3", "k0")
	r := twopccheck.Atomicity(tr.input())
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "txn t3: coordinator decided commit, p1 decided abort (vote_no)")
}

func TestAtomicityCommittedMissingParticipant(t *testing.T) {
	// t3 committed while p1 had not voted yet: p1 never prepared.
	tr := good().prepared(60, 1, "t3", "k0").decide(61, "t3", "commit", "p0", "p1").apply(63, 1, "t3", "k0")
	r := twopccheck.Atomicity(tr.input())
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "txn t3: committed without participant p1, which never voted yes")

	// p1 voted yes only after the decision.
	tr = good().prepared(60, 1, "t3", "k0").decide(61, "t3", "commit", "p0", "p1").
		prepared(62, 2, "t3", "k1").apply(63, 1, "t3", "k0").apply(64, 2, "t3", "k1")
	r = twopccheck.Atomicity(tr.input())
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "p1, which voted yes only after the decision")
}

func TestAtomicityAppliedAbort(t *testing.T) {
	tr := good().apply(70, 3, "t2", "k2")
	r := twopccheck.Atomicity(tr.input())
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "txn t2: coordinator decided abort, p2 applied it")
}

func TestAtomicityClientToldOtherOutcome(t *testing.T) {
	r := twopccheck.Atomicity(good().input(ok("t1", "abort")))
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "txn t1: client told abort, coordinator decided commit")
}

func TestAtomicityPendingIsNotAViolation(t *testing.T) {
	tr := good().prepared(80, 1, "t4", "k3").prepared(81, 2, "t4", "k4").decide(82, "t4", "commit", "p0", "p1").
		apply(83, 1, "t4", "k3") // p1 is still prepared at the end
	r := twopccheck.Atomicity(tr.input())
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, 1, r.Details["pending"])
}

func TestAtomicityUnknownWithoutDecisions(t *testing.T) {
	r := twopccheck.Atomicity(check.Input{Nodes: nodes})
	assert.Equal(t, check.Unknown, r.Verdict)
}

func TestBlockingNumbers(t *testing.T) {
	// p0 holds k0 for t1 from 10 to 20 ms and for t5 from 100 ms to the end
	// (the last event, at 1000 ms); p1 holds k1 for t1 from 11 to 521 ms.
	tr := new(trail).
		prepared(10, 1, "t1", "k0").prepared(11, 2, "t1", "k1").
		decide(15, "t1", "commit", "p0", "p1").
		apply(20, 1, "t1", "k0").
		prepared(100, 1, "t5", "k0", "k5").
		apply(521, 2, "t1", "k1").
		emit(1000, 3, "other", map[string]any{"txn": "x"})
	in := tr.input()
	in.Params = json.RawMessage(`{"threshold_ms": 100}`)
	r := twopccheck.Blocking(in)
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	d := r.Details
	assert.InDelta(t, 10+900+510, d["total_blocked_ms"], 1e-9)
	assert.InDelta(t, 900, d["max_blocked_ms"], 1e-9)
	assert.Equal(t, "t5@p0", d["max_blocked_txn"])
	assert.Equal(t, []string{"k0", "k5"}, d["longest_block_keys"])
	assert.Equal(t, 2, d["long_blocks"])
	assert.Equal(t, 2, d["locked_at_end"])
	assert.Equal(t, []string{"p0:k0", "p0:k5"}, d["locked_keys_at_end"])
	assert.Equal(t, 3, d["peak_locked_keys"]) // k1 at p1 with k0, k5 at p0
	p0 := d["participants"].(map[string]any)["p0"].(map[string]any)
	assert.Equal(t, 2, p0["prepared"])
	assert.InDelta(t, 910, p0["blocked_ms"], 1e-9)
	assert.Contains(t, r.Summary, "1420.0 ms in total")
}

func TestBlockingUnknownWithoutTransactions(t *testing.T) {
	r := twopccheck.Blocking(check.Input{Nodes: nodes})
	assert.Equal(t, check.Unknown, r.Verdict)
}

func TestCatalogue(t *testing.T) {
	assert.Contains(t, twopccheck.Plugin().Workloads, twopccheck.Plugin().Name)
	assert.Contains(t, twopccheck.Plugin().Checks, "twopc-atomicity")
	assert.Contains(t, twopccheck.Plugin().Checks, "twopc-blocking")
	assert.NotEmpty(t, twopccheck.Plugin().Category)
}
