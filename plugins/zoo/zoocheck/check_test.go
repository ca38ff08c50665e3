package zoocheck_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/plugins/zoo/zoocheck"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func emit(node int32, key, data string) trace.Event {
	return trace.Event{Kind: trace.KindEmit, Node: node, Peer: -1, Label: key, Data: []byte(data)}
}

func input(params string, evs ...trace.Event) check.Input {
	return check.Input{Events: evs, Nodes: []string{"a", "b", "c"}, Params: json.RawMessage(params)}
}

func TestDelivered(t *testing.T) {
	ok := zoocheck.Delivered(input("", emit(0, "sent", `{"v":0}`), emit(1, "sent", `{"v":1}`), emit(2, "got", `{"v":1}`), emit(2, "got", `{"v":0}`)))
	assert.Equal(t, check.Valid, ok.Verdict, ok.Summary)
	lost := zoocheck.Delivered(input("", emit(0, "sent", `{"v":0}`), emit(1, "sent", `{"v":1}`), emit(2, "got", `{"v":1}`), emit(2, "stale", `{"v":0}`)))
	assert.Equal(t, check.Invalid, lost.Verdict)
	assert.Equal(t, "1 values lost; first: c never got 0", lost.Summary)
	assert.Equal(t, check.Unknown, zoocheck.Delivered(input("", emit(0, "sent", `{"v":0}`))).Verdict, "nobody received")
	assert.Equal(t, check.Unknown, zoocheck.Delivered(input("", emit(0, "sent", `{"v":`))).Verdict, "unreadable")
}

func TestAtomic(t *testing.T) {
	ok := zoocheck.Atomic(input("", emit(0, "decide", `{"outcome":"commit"}`), emit(1, "decide", `{"outcome":"commit"}`)))
	assert.Equal(t, check.Valid, ok.Verdict, ok.Summary)
	split := zoocheck.Atomic(input("", emit(0, "decide", `{"outcome":"commit"}`), emit(2, "decide", `{"outcome":"abort"}`)))
	assert.Equal(t, check.Invalid, split.Verdict)
	assert.Equal(t, "a decided commit but c decided abort", split.Summary)
	assert.Equal(t, check.Unknown, zoocheck.Atomic(input("")).Verdict, "nobody decided")
}

func TestCoherent(t *testing.T) {
	p := `{"db":"a","cache":"b"}`
	ok := zoocheck.Coherent(input(p, emit(0, "state", `{"v":1}`), emit(1, "state", `{"v":1}`), emit(0, "state", `{"v":2}`), emit(1, "state", `{"v":-1}`)))
	assert.Equal(t, check.Valid, ok.Verdict, ok.Summary)
	stale := zoocheck.Coherent(input(p, emit(0, "state", `{"v":1}`), emit(0, "state", `{"v":2}`), emit(1, "state", `{"v":-1}`), emit(1, "state", `{"v":1}`)))
	assert.Equal(t, check.Invalid, stale.Verdict)
	assert.Equal(t, "b holds 1 for good, a holds 2", stale.Summary)
	assert.Equal(t, check.Unknown, zoocheck.Coherent(input("{}")).Verdict, "no params")
	assert.Equal(t, check.Unknown, zoocheck.Coherent(input(p, emit(1, "state", `{"v":1}`))).Verdict, "the db never said")
}

func TestExclusive(t *testing.T) {
	at := func(ms int64, e trace.Event) trace.Event { e.Time = ms * 1e6; return e }
	ok := zoocheck.Exclusive(input("", at(1, emit(0, "grant", `{"holder":"c0","until_ns":5000000}`)), at(5, emit(0, "grant", `{"holder":"c1","until_ns":9000000}`))))
	assert.Equal(t, check.Valid, ok.Verdict, ok.Summary)
	two := zoocheck.Exclusive(input("", at(1, emit(0, "grant", `{"holder":"c0","until_ns":5000000}`)), at(5, emit(0, "grant", `{"holder":"c0","until_ns":9000000}`)),
		at(5, emit(0, "grant", `{"holder":"c1","until_ns":9000000}`))))
	assert.Equal(t, check.Invalid, two.Verdict)
	assert.Equal(t, "at 5ms the lease went to c1 while c0 held it until 9ms", two.Summary)
	assert.Equal(t, check.Unknown, zoocheck.Exclusive(input("")).Verdict)
}

func TestSaga(t *testing.T) {
	debit, refund := emit(1, "debit", `{"v":10}`), emit(1, "refund", `{"v":10}`)
	aborted, committed := emit(0, "outcome", `{"outcome":"aborted"}`), emit(0, "outcome", `{"outcome":"committed"}`)
	for name, evs := range map[string][]trace.Event{"aborted": {debit, aborted, refund}, "committed": {debit, committed}} {
		ok := zoocheck.Saga(input("", evs...))
		assert.Equal(t, check.Valid, ok.Verdict, name+": "+ok.Summary)
	}
	both := zoocheck.Saga(input("", debit, aborted, refund, committed))
	assert.Equal(t, check.Invalid, both.Verdict)
	assert.Equal(t, "the saga ended aborted and committed (debited 10, refunded 10)", both.Summary)
	kept := zoocheck.Saga(input("", debit, aborted))
	assert.Equal(t, check.Invalid, kept.Verdict)
	assert.Equal(t, "the saga aborted with 10 debited and 0 refunded", kept.Summary)
	assert.Equal(t, check.Invalid, zoocheck.Saga(input("", debit, committed, refund)).Verdict, "committed, then refunded")
	assert.Equal(t, check.Unknown, zoocheck.Saga(input("", debit)).Verdict, "no outcome")
}

func TestLeader(t *testing.T) {
	ok := zoocheck.Leader(input("", emit(1, "lead", `{"term":1}`), emit(1, "lead", `{"term":1}`), emit(2, "lead", `{"term":2}`)))
	assert.Equal(t, check.Valid, ok.Verdict, ok.Summary)
	split := zoocheck.Leader(input("", emit(1, "lead", `{"term":1}`), emit(2, "lead", `{"term":1}`)))
	assert.Equal(t, check.Invalid, split.Verdict)
	assert.Equal(t, "b and c both lead term 1", split.Summary)
	assert.Equal(t, check.Unknown, zoocheck.Leader(input("")).Verdict, "nobody elected")
	assert.Equal(t, check.Unknown, zoocheck.Leader(input("", emit(1, "lead", `{"term":`))).Verdict, "unreadable")
}

func TestSold(t *testing.T) {
	ok := zoocheck.Sold(input("", emit(1, "buy", `{"v":0}`), emit(1, "buy", `{"v":1}`), emit(2, "sold", `{"v":1}`), emit(2, "sold", `{"v":0}`)))
	assert.Equal(t, check.Valid, ok.Verdict, ok.Summary)
	lost := zoocheck.Sold(input("", emit(1, "buy", `{"v":0}`), emit(1, "buy", `{"v":1}`), emit(2, "sold", `{"v":1}`)))
	assert.Equal(t, check.Invalid, lost.Verdict)
	assert.Equal(t, "1 of 2 purchases never sold; first: 0 (dropped from a full waitlist?)", lost.Summary)
	twice := zoocheck.Sold(input("", emit(1, "buy", `{"v":0}`), emit(2, "sold", `{"v":0}`), emit(2, "sold", `{"v":0}`)))
	assert.Equal(t, check.Invalid, twice.Verdict)
	assert.Equal(t, "purchase 0 sold 2 times", twice.Summary)
	assert.Equal(t, check.Unknown, zoocheck.Sold(input("")).Verdict, "nobody bought")
	assert.Equal(t, check.Unknown, zoocheck.Sold(input("", emit(1, "buy", `{"v":`))).Verdict, "unreadable")
}

// steps feeds events to a per-step predicate and returns the index of the
// first that breaks it (-1: none) with its error.
func steps(inv check.Invariant, evs ...trace.Event) (int, error) {
	pred := inv([]string{"a", "b", "c"}, nil)
	for i, e := range evs {
		if err := pred(e); err != nil {
			return i, err
		}
	}
	return -1, nil
}

func TestLeaderStep(t *testing.T) {
	i, err := steps(zoocheck.LeaderStep, emit(1, "lead", `{"term":1}`), emit(1, "lead", `{"term":1}`), emit(2, "lead", `{"term":2}`))
	assert.Equal(t, -1, i, "one leader a term, whoever says it twice")
	assert.NoError(t, err)
	i, err = steps(zoocheck.LeaderStep, emit(1, "lead", `{"term":1}`), emit(0, "vote", `{}`), emit(2, "lead", `{"term":1}`), emit(0, "lead", `{"term":1}`))
	assert.Equal(t, 2, i, "the emit that makes the second leader")
	assert.EqualError(t, err, "b and c both lead term 1")
	i, _ = steps(zoocheck.LeaderStep, emit(1, "lead", `{"term":`), emit(2, "lead", `{"term":1}`))
	assert.Equal(t, -1, i, "an unreadable event is the end-of-run checker's to judge")
}

func TestExclusiveStep(t *testing.T) {
	at := func(ms int64, e trace.Event) trace.Event { e.Time = ms * 1e6; return e }
	i, err := steps(zoocheck.ExclusiveStep, at(1, emit(0, "grant", `{"holder":"c0","until_ns":5000000}`)), at(5, emit(0, "grant", `{"holder":"c1","until_ns":9000000}`)))
	assert.Equal(t, -1, i)
	assert.NoError(t, err)
	i, err = steps(zoocheck.ExclusiveStep, at(1, emit(0, "grant", `{"holder":"c0","until_ns":5000000}`)), at(4, emit(0, "grant", `{"holder":"c0","until_ns":9000000}`)),
		at(5, emit(0, "grant", `{"holder":"c1","until_ns":9000000}`)))
	assert.Equal(t, 2, i)
	assert.EqualError(t, err, "the lease went to c1 while c0 held it until 9ms")
}

// Every per-step predicate the zoo registers has the checker it belongs to.
func TestZooInvariantsHaveTheirCheckers(t *testing.T) {
	p := zoocheck.Plugin()
	assert.NotEmpty(t, p.Invariants)
	for name := range p.Invariants {
		assert.Contains(t, p.Checks, name)
	}
}
