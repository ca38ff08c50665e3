package service

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// script is a rnd function that returns the given draws in order (each
// checked against its bound).
func script(t *testing.T, draws ...int) func(int) int {
	return func(n int) int {
		t.Helper()
		require.NotEmpty(t, draws, "more draws than scripted")
		d := draws[0]
		draws = draws[1:]
		require.Less(t, d, n, "scripted draw out of range")
		return d
	}
}

func req(src, typ string, key string, value any) *request {
	v, _ := json.Marshal(value)
	k, _ := json.Marshal(key)
	return &request{src: src, typ: typ, rawK: k, key: canonical(k), value: v}
}

func newSeq() *sequential { return &sequential{buf: []state{kvState{}}, clients: map[string]int{}} }

// TestSeqKVEqualWriteStaysOnItsState: upstream's Sequential keeps a
// request on the state it picked when the request leaves that state equal
// (= service service'), and a write of the value a key already holds does.
// So n1's write of 1, picked on the state where x is 1, is answered there
// and the newest state still has x = 2.
func TestSeqKVEqualWriteStaysOnItsState(t *testing.T) {
	s := newSeq()
	s.handle(req("n0", "write", "x", 1), script(t, 0))
	s.handle(req("n0", "write", "x", 2), script(t, 0))
	require.Equal(t, 2, s.last)
	out := s.handle(req("n1", "write", "x", 1), script(t, 1)) // picks index 1: x = 1
	assert.Equal(t, "write_ok", out["type"])
	assert.Equal(t, 2, s.last, "the write of an equal value appended a state")
	assert.Equal(t, 1, s.clients["n1"], "n1's index is the one it was served at")
	out = s.handle(req("n0", "read", "x", nil), script(t, 0)) // n0 is at 2: only index 2
	assert.Equal(t, json.RawMessage("2"), out["value"])
}

// TestSeqKVFarBehindWraps: upstream indexes its ring buffer with a
// negative offset that wraps modulo the states it holds, and keeps the
// picked index as the client's. A client 40 states behind that picks its
// own index 0 reads the state 40 mod 32 = 8 back from the newest, and
// stays at index 0.
func TestSeqKVFarBehindWraps(t *testing.T) {
	s := newSeq()
	for i := 1; i <= 40; i++ {
		s.handle(req("n0", "write", "x", i), script(t, s.last-s.clients["n0"]))
	}
	require.Equal(t, 40, s.last)
	require.Len(t, s.buf, seqBuffer)
	out := s.handle(req("n1", "read", "x", nil), script(t, 0))
	assert.Equal(t, json.RawMessage("32"), out["value"])
	assert.Equal(t, 0, s.clients["n1"])
	out = s.handle(req("n1", "read", "x", nil), script(t, 39)) // index 39: one back
	assert.Equal(t, json.RawMessage("39"), out["value"])
	assert.Equal(t, 39, s.clients["n1"])
}

// TestSeqKVChangeRunsOnNewest: an update that changes the state it
// picked runs again on the newest state.
func TestSeqKVChangeRunsOnNewest(t *testing.T) {
	s := newSeq()
	s.handle(req("n0", "write", "x", 1), script(t, 0))
	s.handle(req("n0", "write", "x", 2), script(t, 0))
	r := req("n1", "cas", "x", nil)
	r.from, r.to = "1", json.RawMessage("3")
	out := s.handle(r, script(t, 1)) // on index 1 the cas would succeed; on the newest x is 2
	assert.Equal(t, "error", out["type"])
	assert.Equal(t, codePrecondition, out["code"])
	assert.Equal(t, 3, s.last, "upstream appends the (equal) newest state again")
	assert.Equal(t, 3, s.clients["n1"])
}

// TestLWWKVReplicasNeverMerge: upstream's Eventual computes a merge and
// then applies the request to the replicas as they were, so a write on
// replica 0 is never seen on replica 1.
func TestLWWKVReplicasNeverMerge(t *testing.T) {
	e := &eventual{replicas: []lwwState{{m: map[string]lwwValue{}}, {m: map[string]lwwValue{}}}}
	assert.Equal(t, "write_ok", e.handle(req("n0", "write", "x", 1), script(t, 0, 0, 0))["type"])
	for i := range 5 {
		out := e.handle(req("n0", "read", "x", nil), script(t, 0, 1, 1)) // "merge 0 into 1", read 1
		assert.Equal(t, codeKeyDoesNotExist, out["code"], fmt.Sprint("read ", i))
	}
	assert.Equal(t, json.RawMessage("1"), e.handle(req("n0", "read", "x", nil), script(t, 1, 0, 0))["value"])
}

// TestKVStatesPersistentOrInPlace: seq-kv's states are persistent (a past
// state it may still serve reads from never sees a later write), while
// lin-kv's one state changes in place instead of being copied per write.
func TestKVStatesPersistentOrInPlace(t *testing.T) {
	old := kvState{}
	next, changed, out := old.apply(req("n0", "write", "x", 1))
	assert.True(t, changed)
	assert.Equal(t, "write_ok", out["type"])
	assert.Empty(t, old, "a persistent state changed under seq-kv's buffer")
	assert.JSONEq(t, "1", string(next.(kvState)[`"x"`]))

	lin := linKV{}
	_, _, out = lin.apply(req("n0", "write", "x", 1))
	assert.Equal(t, "write_ok", out["type"])
	assert.JSONEq(t, "1", string(lin[`"x"`]), "lin-kv copied its state instead of writing in place")
	_, changed, out = lin.apply(req("n0", "read", "y", nil))
	assert.False(t, changed)
	assert.Equal(t, float64(20), float64(out["code"].(int)))
}

// encodeReply writes what json.Marshal writes, byte for byte, whichever
// path it takes (a run's digest covers every reply).
func TestEncodeReplyIsJSONMarshal(t *testing.T) {
	for _, out := range []reply{
		{"type": "read_ok", "value": json.RawMessage(`12`), "in_reply_to": int64(3)},
		{"type": "read_ok", "value": json.RawMessage(`{"a":[1,"x"]}`)},
		{"type": "read_ok", "value": json.RawMessage(`{"a": 1}`)},
		{"type": "read_ok", "value": json.RawMessage(`"<b>&"`)},
		{"type": "read_ok", "value": json.RawMessage("\"\u2028\"")},
		{"type": "read_ok", "value": json.RawMessage(nil)},
		{"type": "error", "code": 22, "text": "current value \"x\" is not <1>", "in_reply_to": int64(-1)},
		{"type": "ts_ok", "ts": int64(7)},
		{"type": "cas_ok", "odd": 1.5},
	} {
		want, wantErr := json.Marshal(map[string]any{"src": "lin-kv", "dest": "n\"1", "body": out})
		got, err := encodeReply("lin-kv", "n\"1", out)
		assert.Equal(t, wantErr == nil, err == nil, "%v", out)
		assert.Equal(t, string(want), string(got), "%v", out)
	}
}
