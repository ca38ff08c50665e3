package mcheck

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// hist builds a history: each op() call adds an invocation and its
// completion for one process, at increasing times.
type hist struct {
	ops []history.Op
	t   int64
}

func (h *hist) op(proc int, node, f string, in any, typ string, out any) *hist {
	h.t += int64(time.Millisecond)
	h.ops = append(h.ops, history.Op{Index: len(h.ops), Process: proc, Type: history.OpInvoke, F: f, Value: raw(in), Time: h.t, Node: node})
	h.t += int64(time.Millisecond)
	h.ops = append(h.ops, history.Op{Index: len(h.ops), Process: proc, Type: typ, F: f, Value: raw(out), Time: h.t, Node: node})
	return h
}

func raw(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}

func input(h *hist, nodes ...string) check.Input { return check.Input{History: h.ops, Nodes: nodes} }

func TestUniqueIDs(t *testing.T) {
	h := (&hist{}).op(10, "n0", "generate", nil, history.OpOK, "n0-1").op(11, "n1", "generate", nil, history.OpOK, 1).op(10, "n0", "generate", nil, history.OpInfo, nil)
	assert.Equal(t, check.Valid, UniqueIDs(input(h)).Verdict)
	h.op(11, "n1", "generate", nil, history.OpOK, "n0-1")
	r := UniqueIDs(input(h))
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, `"n0-1" (ops [1 7])`)
	assert.Equal(t, check.Unknown, UniqueIDs(input((&hist{}).op(10, "n0", "generate", nil, history.OpInfo, nil))).Verdict)
}

var final = finalMark{Final: true}

func TestSetFull(t *testing.T) {
	ok := func() *hist {
		return (&hist{}).
			op(10, "n0", "add", 1, history.OpOK, 1).
			op(11, "n1", "read", nil, history.OpOK, []int{}). // stale: 1 was acknowledged before this read
			op(11, "n1", "add", 2, history.OpInfo, 2).
			op(10, "n0", "read", final, history.OpOK, []int{1, 2}).
			op(11, "n1", "read", final, history.OpOK, []int{1})
	}
	r := GSet(input(ok(), "n0", "n1"))
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, 1, r.Details["stale_count"])
	assert.Equal(t, 1.0, r.Details["stable_latencies_ms"].(map[string]float64)["1"], "1 was absent from a read invoked 1ms after its add was acknowledged")

	lost := ok().op(11, "n1", "read", final, history.OpOK, []int{2})
	r = GSet(input(lost, "n0", "n1"))
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "1 acknowledged elements lost")
	assert.Contains(t, r.Summary, "n1 lacks [1]")

	odd := ok().op(10, "n0", "read", nil, history.OpOK, []int{1, 7})
	r = GSet(input(odd, "n0", "n1"))
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "never added")

	noFinal := (&hist{}).op(10, "n0", "add", 1, history.OpOK, 1).op(10, "n0", "read", final, history.OpInfo, nil)
	assert.Equal(t, check.Unknown, GSet(input(noFinal, "n0")).Verdict)

	b := (&hist{}).op(10, "n0", "broadcast", 5, history.OpOK, 5).op(10, "n0", "read", final, history.OpOK, []int{})
	r = Broadcast(input(b, "n0"))
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "messages lost")
}

// Reference: Maelstrom's pn-counter checker (src/maelstrom/workload/
// pn_counter.clj, checker) and its own cases (test/maelstrom/workload/
// pn_counter_test.clj: empty, definite, indefinite): the acceptable
// values are the acknowledged sum plus any subset of the indeterminate
// deltas, and only final reads that completed are judged.
func TestCounter(t *testing.T) {
	type add struct {
		d   int
		typ string
	}
	for name, tc := range map[string]struct {
		adds       []add
		finals     []any // an int is an ok final read; nil one that timed out
		other      []int // ok reads during the run
		acceptable [][2]int
		valid      bool
		bad        string
	}{
		"empty": {acceptable: [][2]int{{0, 0}}, valid: true},
		// 2 + 3 acknowledged: only 5
		"definite": {adds: []add{{2, history.OpOK}, {3, history.OpOK}}, finals: []any{5, 4}, acceptable: [][2]int{{5, 5}}, bad: "n1's final read 4"},
		// 10 acknowledged; +5, -1, -1 maybe: 10 + {0, 5, -1, -2, 4, 3} = {8, 9, 10, 13, 14, 15}
		"indefinite": {adds: []add{{10, history.OpOK}, {5, history.OpInfo}, {-1, history.OpInfo}, {-1, history.OpInfo}}, finals: []any{11, 15},
			acceptable: [][2]int{{8, 10}, {13, 15}}, bad: "n0's final read 11"},
		// a failed add did not happen; a final read that timed out, and
		// reads during the run, are not judged
		"only completed final reads": {adds: []add{{3, history.OpOK}, {100, history.OpFail}}, finals: []any{3, nil}, other: []int{50},
			acceptable: [][2]int{{3, 3}}, valid: true},
		// no final read completed: upstream's error list is empty, valid
		"no final read": {adds: []add{{1, history.OpOK}}, finals: []any{nil, nil}, acceptable: [][2]int{{1, 1}}, valid: true},
		// g-counter: 1 acknowledged, +4 maybe: {1, 5}; 3 lies between but is no sum
		"a gap": {adds: []add{{1, history.OpOK}, {4, history.OpInfo}}, finals: []any{5, 3}, acceptable: [][2]int{{1, 1}, {5, 5}}, bad: "n1's final read 3"},
	} {
		t.Run(name, func(t *testing.T) {
			h := &hist{}
			for _, a := range tc.adds {
				h.op(10, "n0", "add", a.d, a.typ, a.d)
			}
			for _, v := range tc.other {
				h.op(11, "n1", "read", nil, history.OpOK, v)
			}
			for i, v := range tc.finals {
				typ := history.OpOK
				if v == nil {
					typ = history.OpInfo
				}
				h.op(10+i, []string{"n0", "n1"}[i], "read", final, typ, v)
			}
			r := Counter(input(h, "n0", "n1"))
			assert.Equal(t, tc.acceptable, r.Details["acceptable"])
			if tc.valid {
				assert.Equal(t, check.Valid, r.Verdict, r.Summary)
				return
			}
			assert.Equal(t, check.Invalid, r.Verdict, r.Summary)
			assert.Contains(t, r.Summary, tc.bad)
		})
	}
	// A read during the run that no sum of deltas can give is a finding,
	// never a failure: Maelstrom's checker reads only final reads.
	h := (&hist{}).op(10, "n0", "add", 3, history.OpOK, 3).op(11, "n1", "read", nil, history.OpOK, 50).op(12, "n0", "read", final, history.OpOK, 3)
	r := Counter(input(h, "n0", "n1"))
	assert.Equal(t, check.Valid, r.Verdict, r.Summary)
	require.Len(t, r.Findings, 1, "a read no sum of deltas can give is a finding")
	assert.Equal(t, "impossible-read", r.Findings[0].Name)
	assert.Contains(t, r.Findings[0].Summary, "n1 read 50 at")
}

func TestKafka(t *testing.T) {
	send := func(h *hist, p int, k string, m, off int) *hist {
		return h.op(p, "n0", "send", map[string]any{"key": k, "msg": m}, history.OpOK, map[string]any{"key": k, "msg": m, "offset": off})
	}
	poll := func(h *hist, p int, from map[string]int, msgs map[string][][2]int) *hist {
		commit := map[string]int{}
		for k, ms := range msgs {
			if len(ms) > 0 {
				commit[k] = ms[len(ms)-1][0]
			}
		}
		return h.op(p, "n0", "poll", map[string]any{"offsets": from}, history.OpOK, map[string]any{"msgs": msgs, "commit": commit})
	}
	assign := func(h *hist, p int, keys []string, committed map[string]int) *hist {
		return h.op(p, "n0", "assign", map[string]any{"keys": keys}, history.OpOK, map[string]any{"keys": keys, "committed": committed})
	}
	base := func() *hist {
		h := assign(&hist{}, 10, []string{"a"}, map[string]int{})
		send(h, 11, "a", 1, 0)
		send(h, 11, "a", 2, 1)
		send(h, 11, "a", 3, 2)
		return h
	}
	h := poll(base(), 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{0, 1}, {1, 2}}})
	poll(h, 10, map[string]int{"a": 2}, map[string][][2]int{"a": {{2, 3}}})
	send(h, 11, "b", 1, 0) // messages are unique per key only
	assign(h, 12, []string{"a", "b"}, map[string]int{"a": 2})
	poll(h, 12, map[string]int{"a": 2, "b": 0}, map[string][][2]int{"a": {{2, 3}}, "b": {{0, 1}}})
	r := Kafka(input(h))
	require.Equal(t, check.Valid, r.Verdict, "%s %v", r.Summary, r.Details)
	assert.Empty(t, r.Findings)

	for name, tc := range map[string]struct {
		h    *hist
		want string
	}{
		"lost write": {poll(poll(base(), 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{0, 1}}}), 12, map[string]int{"a": 2}, map[string][][2]int{"a": {{2, 3}}}),
			"anomalies [lost-write]; first: lost-write: key a offset 1 (message 2)"},
		"unseen": {poll(base(), 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{0, 1}, {1, 2}}}),
			"anomalies [unseen]; first: unseen: key a offset 2 (message 3)"},
		"int poll skip": {poll(base(), 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{0, 1}, {2, 3}}}),
			"int-poll-skip: poll op 9 returned key a offsets 0 then 2, skipping 1 known offsets"},
		"int nonmonotonic": {poll(base(), 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{0, 1}, {1, 2}, {2, 3}, {1, 2}}}),
			"int-nonmonotonic-poll: poll op 9 returned key a offset 1 after 2"},
		"poll skip": {poll(poll(base(), 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{0, 1}}}), 10, map[string]int{"a": 1}, map[string][][2]int{"a": {{2, 3}}}),
			"poll-skip: process 10 polled key a up to offset 0, then op 11 from offset 2, skipping 1 known offsets"},
		"nonmonotonic poll": {poll(poll(base(), 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{0, 1}, {1, 2}, {2, 3}}}), 10, map[string]int{"a": 3}, map[string][][2]int{"a": {{1, 2}}}),
			"nonmonotonic-poll: process 10 polled key a up to offset 2, then op 11 from offset 1"},
		"two sends at one offset": {poll(send(base(), 11, "a", 4, 1), 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{0, 1}, {1, 2}, {2, 3}}}),
			"inconsistent-offsets"},
		"inconsistent": {poll(base(), 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{0, 1}, {1, 9}, {2, 3}}}), "inconsistent-offsets: key a offset 1 holds messages [2 9]"},
		"duplicate":    {poll(base(), 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{0, 1}, {1, 2}, {2, 3}, {3, 3}}}), "duplicate: key a message 3 is at offsets [2 3]"},
		"G1a": {poll(base().op(11, "n0", "send", map[string]any{"key": "a", "msg": 4}, history.OpFail, map[string]any{"key": "a", "msg": 4}), 10, map[string]int{"a": 0},
			map[string][][2]int{"a": {{0, 1}, {1, 2}, {2, 3}, {3, 4}}}), "G1a: poll op 11 returned key a message 4, whose send failed"},
	} {
		t.Run(name, func(t *testing.T) {
			r := Kafka(input(tc.h))
			assert.Equal(t, check.Invalid, r.Verdict)
			all := r.Summary
			for _, k := range kafkaAnomalies {
				if errs, ok := r.Details[k].([]string); ok {
					for _, e := range errs {
						all += "\n" + k + ": " + e
					}
				}
			}
			assert.Contains(t, all, tc.want)
		})
	}
	// a process's sends must go forward; a new process (after info) starts afresh
	ns := send(send(assign(&hist{}, 10, []string{"a"}, nil), 11, "a", 1, 5), 11, "a", 2, 3)
	r = Kafka(input(poll(ns, 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{3, 2}, {5, 1}}})))
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "anomalies [nonmonotonic-send]; first: nonmonotonic-send: process 11 sent to key a at offset 5, then op 5 at offset 3")
	ns = send(send(assign(&hist{}, 10, []string{"a"}, nil), 11, "a", 1, 5).op(11, "n0", "poll", map[string]any{"offsets": map[string]int{}}, history.OpInfo, nil), 11, "a", 2, 3)
	r = Kafka(input(poll(ns, 10, map[string]int{"a": 0}, map[string][][2]int{"a": {{3, 2}, {5, 1}}})))
	assert.Equal(t, check.Valid, r.Verdict, r.Summary)

	r = Kafka(input(base()))
	assert.Equal(t, check.Invalid, r.Verdict, "no poll: every acknowledged send is unseen, as in Jepsen")
	assert.Contains(t, r.Summary, "anomalies [unseen]")
	assert.Equal(t, check.Unknown, Kafka(input(assign(&hist{}, 10, []string{"a"}, nil))).Verdict, "nothing sent: no evidence")
}

// TestKafkaFindings: what jepsen.tests.kafka does not check is a finding,
// never the verdict.
func TestKafkaFindings(t *testing.T) {
	h := (&hist{}).
		op(10, "n0", "assign", map[string]any{"keys": []string{"a"}}, history.OpOK, map[string]any{"keys": []string{"a"}, "committed": map[string]int{"a": 0}}).
		op(11, "n0", "send", map[string]any{"key": "a", "msg": 1}, history.OpOK, map[string]any{"key": "a", "msg": 1, "offset": 0}).
		op(11, "n0", "send", map[string]any{"key": "a", "msg": 2}, history.OpOK, map[string]any{"key": "a", "msg": 2, "offset": 1}).
		op(10, "n0", "poll", map[string]any{"offsets": map[string]int{"a": 1}}, history.OpOK, map[string]any{"msgs": map[string][][2]int{"a": {{0, 1}, {1, 2}}}, "commit": map[string]int{"a": 1}})
	r := Kafka(input(h))
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	require.Len(t, r.Findings, 2)
	assert.Equal(t, "phantom-commit", r.Findings[0].Name)
	assert.Contains(t, r.Findings[0].Summary, "assign op 1 listed key a committed at 0, but no poll had committed more than nothing")
	assert.Equal(t, "poll-before-offset", r.Findings[1].Name)
	assert.Contains(t, r.Findings[1].Summary, "poll op 7 asked key a from offset 1 and got offset 0 first")
}

func TestLinKVFindsAStaleRead(t *testing.T) {
	h := (&hist{}).op(10, "n0", "write", map[string]any{"key": "0", "value": 3}, history.OpOK, map[string]any{"key": "0", "value": 3}).
		op(11, "n1", "read", map[string]any{"key": "0"}, history.OpOK, map[string]any{"key": "0", "value": 3})
	assert.Equal(t, check.Valid, check.LinearizableKV(input(h)).Verdict)
	h.op(10, "n0", "write", map[string]any{"key": "0", "value": 4}, history.OpOK, map[string]any{"key": "0", "value": 4}).
		op(11, "n1", "read", map[string]any{"key": "0"}, history.OpOK, map[string]any{"key": "0", "value": 3})
	r := check.LinearizableKV(input(h))
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "key 0 is not linearizable")
}

type mops = [][3]any

func TestTxnRWRegister(t *testing.T) {
	good := func() *hist {
		return (&hist{}).
			op(10, "n0", "txn", mops{{"w", 1, 1}, {"r", 1, nil}}, history.OpOK, mops{{"w", 1, 1}, {"r", 1, 1}}).
			op(11, "n1", "txn", mops{{"r", 1, nil}, {"w", 1, 2}}, history.OpOK, mops{{"r", 1, 1}, {"w", 1, 2}}).
			op(10, "n0", "txn", mops{{"w", 2, 1}}, history.OpFail, nil)
	}
	r := TxnRWRegister(input(good()))
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	for name, tc := range map[string]struct {
		h    *hist
		want string
	}{
		"G1a": {good().op(11, "n1", "txn", mops{{"r", 2, nil}}, history.OpOK, mops{{"r", 2, 1}}), "[G1a]"},
		"G1b": {good().op(10, "n0", "txn", mops{{"w", 3, 1}, {"w", 3, 2}}, history.OpOK, mops{{"w", 3, 1}, {"w", 3, 2}}).
			op(11, "n1", "txn", mops{{"r", 3, nil}}, history.OpOK, mops{{"r", 3, 1}}), "[G1b]"},
		"internal": {good().op(10, "n0", "txn", mops{{"w", 4, 1}, {"r", 4, nil}}, history.OpOK, mops{{"w", 4, 1}, {"r", 4, nil}}), "[internal]"},
		"G1c": {(&hist{}).
			op(10, "n0", "txn", mops{{"w", 1, 1}, {"r", 2, nil}}, history.OpOK, mops{{"w", 1, 1}, {"r", 2, 1}}).
			op(11, "n1", "txn", mops{{"w", 2, 1}, {"r", 1, nil}}, history.OpOK, mops{{"w", 2, 1}, {"r", 1, 1}}), "dependency cycle: op 0 -wr-> op 2 -wr-> op 0"},
	} {
		t.Run(name, func(t *testing.T) {
			r := TxnRWRegister(input(tc.h))
			assert.Equal(t, check.Invalid, r.Verdict)
			assert.Contains(t, r.Summary, tc.want)
		})
	}
	// read-uncommitted allows an aborted read
	in := input(good().op(11, "n1", "txn", mops{{"r", 2, nil}}, history.OpOK, mops{{"r", 2, 1}}))
	in.Params = json.RawMessage(`{"consistency_model":"read-uncommitted"}`)
	assert.Equal(t, check.Valid, TxnRWRegister(in).Verdict)
	in.Params = json.RawMessage(`{"consistency_model":"psi"}`)
	assert.Equal(t, check.Unknown, TxnRWRegister(in).Verdict)
}

func TestTxnListAppend(t *testing.T) {
	good := func() *hist {
		return (&hist{}).
			op(10, "n0", "txn", mops{{"append", 1, 1}, {"r", 1, nil}}, history.OpOK, mops{{"append", 1, 1}, {"r", 1, []int{1}}}).
			op(11, "n1", "txn", mops{{"append", 1, 2}}, history.OpOK, mops{{"append", 1, 2}}).
			op(10, "n0", "txn", mops{{"r", 1, nil}}, history.OpOK, mops{{"r", 1, []int{1, 2}}}).
			op(11, "n1", "txn", mops{{"append", 2, 1}}, history.OpFail, nil)
	}
	r := TxnListAppend(input(good()))
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	for name, tc := range map[string]struct {
		h    *hist
		want string
	}{
		"G1a":   {good().op(10, "n0", "txn", mops{{"r", 2, nil}}, history.OpOK, mops{{"r", 2, []int{1}}}), "[G1a]"},
		"order": {good().op(10, "n0", "txn", mops{{"r", 1, nil}}, history.OpOK, mops{{"r", 1, []int{2}}}), "[incompatible-order]"},
		"G1b": {good().op(10, "n0", "txn", mops{{"append", 3, 1}, {"append", 3, 2}}, history.OpOK, mops{{"append", 3, 1}, {"append", 3, 2}}).
			op(11, "n1", "txn", mops{{"r", 3, nil}}, history.OpOK, mops{{"r", 3, []int{1}}}), "[G1b]"},
		"G0": {(&hist{}).
			op(10, "n0", "txn", mops{{"append", 1, 1}, {"append", 2, 2}}, history.OpOK, mops{{"append", 1, 1}, {"append", 2, 2}}).
			op(11, "n1", "txn", mops{{"append", 1, 2}, {"append", 2, 1}}, history.OpOK, mops{{"append", 1, 2}, {"append", 2, 1}}).
			op(12, "n0", "txn", mops{{"r", 1, nil}, {"r", 2, nil}}, history.OpOK, mops{{"r", 1, []int{1, 2}}, {"r", 2, []int{1, 2}}}), "write cycle"},
	} {
		t.Run(name, func(t *testing.T) {
			r := TxnListAppend(input(tc.h))
			assert.Equal(t, check.Invalid, r.Verdict)
			assert.Contains(t, r.Summary, tc.want)
		})
	}
}

// TestTxnNilReadPrecedesEveryVersion: as Elle's initial state, nil comes
// before every version, so a transaction that saw one write of another
// but read nil for the other's second key is a G-single cycle.
func TestTxnNilReadPrecedesEveryVersion(t *testing.T) {
	h := (&hist{}).
		op(10, "n0", "txn", mops{{"w", 1, 1}, {"w", 2, 1}}, history.OpOK, mops{{"w", 1, 1}, {"w", 2, 1}}).
		op(11, "n1", "txn", mops{{"r", 1, nil}, {"r", 2, nil}}, history.OpOK, mops{{"r", 1, nil}, {"r", 2, 1}})
	in := input(h)
	in.Params = json.RawMessage(`{"consistency_model":"serializable"}`)
	r := TxnRWRegister(in)
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "[G2]")
	assert.Contains(t, r.Summary, "op 0 -wr-> op 2 -rw-> op 0")
	in.Params = json.RawMessage(`{"consistency_model":"read-committed"}`)
	assert.Equal(t, check.Valid, TxnRWRegister(in).Verdict, "read skew is allowed under read-committed")
}

// TestTxnGarbageReadIsAFinding: Elle has no garbage read, so a read of
// a value no transaction wrote (0 for a key never written) does not
// change the verdict; it is a finding.
func TestTxnGarbageReadIsAFinding(t *testing.T) {
	rw := (&hist{}).
		op(10, "n0", "txn", mops{{"w", 1, 1}}, history.OpOK, mops{{"w", 1, 1}}).
		op(11, "n1", "txn", mops{{"r", 5, nil}, {"r", 1, nil}}, history.OpOK, mops{{"r", 5, 0}, {"r", 1, 1}})
	r := TxnRWRegister(input(rw))
	assert.Equal(t, check.Valid, r.Verdict, r.Summary)
	require.Len(t, r.Findings, 1)
	assert.Equal(t, "garbage-read", r.Findings[0].Name)
	assert.Contains(t, r.Findings[0].Summary, "read key 5 = 0, which no transaction wrote")

	la := (&hist{}).
		op(10, "n0", "txn", mops{{"append", 1, 1}}, history.OpOK, mops{{"append", 1, 1}}).
		op(11, "n1", "txn", mops{{"r", 1, nil}}, history.OpOK, mops{{"r", 1, []int{1, 8}}})
	r = TxnListAppend(input(la))
	assert.Equal(t, check.Valid, r.Verdict, r.Summary)
	require.Len(t, r.Findings, 1)
	assert.Contains(t, r.Findings[0].Summary, "holding 8, which no transaction appended")
}

func TestTopology(t *testing.T) {
	names := []string{"n0", "n1", "n2", "n3", "n4"}
	g, err := Topology("grid", names) // 3 wide: n0 n1 n2 / n3 n4
	require.NoError(t, err)
	assert.Equal(t, []string{"n1", "n3"}, g["n0"])
	assert.Equal(t, []string{"n0", "n2", "n4"}, g["n1"])
	assert.Equal(t, []string{"n1", "n3"}, g["n4"])
	l, _ := Topology("line", names)
	assert.Equal(t, []string{"n3"}, l["n4"])
	tr, _ := Topology("tree2", names)
	assert.Equal(t, []string{"n1", "n2"}, tr["n0"])
	assert.Equal(t, []string{"n0", "n3", "n4"}, tr["n1"])
	tot, _ := Topology("total", names)
	assert.Len(t, tot["n2"], 4)
	_, err = Topology("mesh", names)
	assert.ErrorContains(t, err, `"mesh" is not one of grid`)
}

func TestFigures(t *testing.T) {
	// nodes 0-1, a service at 2, client 3
	h := (&hist{}).op(3, "n0", "read", nil, history.OpOK, nil).op(3, "n1", "read", nil, history.OpFail, nil)
	h.ops = append(h.ops, history.Op{Process: 3, Type: history.OpInvoke, F: "read"})
	var evs []trace.Event
	for _, e := range [][2]int32{{3, 0}, {0, 3}, {0, 1}, {1, 0}, {0, 1}, {0, 2}, {2, 0}, {3, 1}} {
		evs = append(evs, trace.Event{Kind: trace.KindSend, Node: e[0], Peer: e[1]}, trace.Event{Kind: trace.KindDeliver, Node: e[1], Peer: e[0]})
	}
	f := Figure(h.ops, evs, 2)
	assert.Equal(t, 3, f.Ops)
	assert.Equal(t, []int{1, 1, 1}, []int{f.OK, f.Fail, f.Info})
	assert.Equal(t, MsgCounts{All: 8, Clients: 3, Servers: 3}, f.Msgs)
	assert.InDelta(t, 1.0, f.MsgsPerOp.Servers, 1e-9)
	assert.InDelta(t, 1.0/3, f.Availability, 1e-9)
	assert.Equal(t, time.Millisecond, f.Latency["0.5"])
}

func withModel(in check.Input, model string) check.Input {
	in.Params = json.RawMessage(`{"consistency_model":"` + model + `"}`)
	return in
}

// TestTxnG2: write skew is read-committed but not serializable.
func TestTxnG2(t *testing.T) {
	la := (&hist{}).
		op(10, "n0", "txn", mops{{"r", 1, nil}, {"append", 2, 1}}, history.OpOK, mops{{"r", 1, nil}, {"append", 2, 1}}).
		op(11, "n1", "txn", mops{{"r", 2, nil}, {"append", 1, 1}}, history.OpOK, mops{{"r", 2, nil}, {"append", 1, 1}}).
		op(12, "n0", "txn", mops{{"r", 1, nil}, {"r", 2, nil}}, history.OpOK, mops{{"r", 1, []int{1}}, {"r", 2, []int{1}}})
	assert.Equal(t, check.Valid, TxnListAppend(input(la)).Verdict)
	r := TxnListAppend(withModel(input(la), "serializable"))
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "[G2]")
	assert.Contains(t, r.Summary, "anti-dependency cycle: op 0 -rw-> op 2 -rw-> op 0")

	rw := (&hist{}).
		op(10, "n0", "txn", mops{{"w", 1, 1}, {"w", 2, 1}}, history.OpOK, mops{{"w", 1, 1}, {"w", 2, 1}}).
		op(11, "n1", "txn", mops{{"r", 1, nil}, {"r", 2, nil}, {"w", 2, 2}}, history.OpOK, mops{{"r", 1, 1}, {"r", 2, 1}, {"w", 2, 2}}).
		op(12, "n2", "txn", mops{{"r", 1, nil}, {"r", 2, nil}, {"w", 1, 2}}, history.OpOK, mops{{"r", 1, 1}, {"r", 2, 1}, {"w", 1, 2}})
	assert.Equal(t, check.Valid, TxnRWRegister(input(rw)).Verdict)
	r = TxnRWRegister(withModel(input(rw), "serializable"))
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "[G2]")

	// a serial history has no cycle at all
	serial := (&hist{}).
		op(10, "n0", "txn", mops{{"r", 1, nil}, {"append", 1, 1}}, history.OpOK, mops{{"r", 1, nil}, {"append", 1, 1}}).
		op(11, "n1", "txn", mops{{"r", 1, nil}, {"append", 1, 2}}, history.OpOK, mops{{"r", 1, []int{1}}, {"append", 1, 2}}).
		op(12, "n0", "txn", mops{{"r", 1, nil}}, history.OpOK, mops{{"r", 1, []int{1, 2}}})
	r = TxnListAppend(withModel(input(serial), "serializable"))
	assert.Equal(t, check.Valid, r.Verdict, r.Summary)
}

// Reference: jepsen.checker/stats as Maelstrom composes it (wrapped by
// jepsen.tests.kafka/stats-checker): an operation name that never
// succeeded makes the run invalid; crash and debug-topic-partitions are
// left out.
func TestStats(t *testing.T) {
	h := (&hist{}).op(10, "n0", "add", 1, history.OpOK, 1).op(11, "n1", "read", nil, history.OpInfo, nil).op(11, "n1", "read", nil, history.OpFail, nil)
	r := Stats(input(h))
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "no operation succeeded: read (1 failed, 1 indeterminate)")
	h.op(12, "n0", "read", nil, history.OpOK, 3).op(13, "n0", "crash", nil, history.OpInfo, nil)
	r = Stats(input(h))
	assert.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, map[string]int{"ok": 1, "fail": 1, "info": 1}, r.Details["read"])
	assert.Equal(t, check.Valid, Stats(input(&hist{})).Verdict, "nothing to count")
}
