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
