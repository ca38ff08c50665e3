package shardcheck

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// hist builds a history from ops written as (process, type, f, value, time).
type hop struct {
	p     int
	typ   string
	f     string
	value string
	t     int64
}

func hist(ops ...hop) []history.Op {
	h := make([]history.Op, len(ops))
	for i, o := range ops {
		h[i] = history.Op{Index: i, Process: o.p, Type: o.typ, F: o.f, Value: json.RawMessage(o.value), Time: o.t, Node: "r"}
	}
	return h
}

func TestLinearizableAcceptsALinearizableHistory(t *testing.T) {
	h := hist(
		hop{1, history.OpInvoke, "write", `{"key":"k000","value":1}`, 0},
		hop{1, history.OpOK, "write", `{"key":"k000","value":1}`, 10},
		// concurrent with the cas: may see 1 or 2
		hop{2, history.OpInvoke, "read", `{"key":"k000"}`, 15},
		hop{1, history.OpInvoke, "cas", `{"key":"k000","from":1,"to":2}`, 16},
		hop{1, history.OpOK, "cas", `{"key":"k000","from":1,"to":2}`, 25},
		hop{2, history.OpOK, "read", `{"key":"k000","value":2}`, 30},
		// another key, read before any write: absent
		hop{3, history.OpInvoke, "read", `{"key":"k001"}`, 0},
		hop{3, history.OpOK, "read", `{"key":"k001","value":null}`, 5},
		// a timed-out write may have happened: a later read may see it
		hop{3, history.OpInvoke, "write", `{"key":"k001","value":7}`, 40},
		hop{3, history.OpInfo, "write", `{"key":"k001","value":7}`, 90},
		hop{4, history.OpInvoke, "read", `{"key":"k001"}`, 100},
		hop{4, history.OpOK, "read", `{"key":"k001","value":7}`, 110},
		// a failed cas did not happen
		hop{4, history.OpInvoke, "cas", `{"key":"k001","from":3,"to":9}`, 120},
		hop{4, history.OpFail, "cas", `{"key":"k001","from":3,"to":9}`, 130},
		hop{4, history.OpInvoke, "read", `{"key":"k001"}`, 140},
		hop{4, history.OpOK, "read", `{"key":"k001","value":7}`, 150},
	)
	r := check.LinearizableKV(check.Input{History: h})
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, 2, r.Details["keys"])
	assert.Equal(t, 1, r.Details["info"])
	assert.Equal(t, 1, r.Details["fail"])
}

func TestLinearizableRejectsAStaleRead(t *testing.T) {
	h := hist(
		hop{1, history.OpInvoke, "write", `{"key":"k003","value":1}`, 0},
		hop{1, history.OpOK, "write", `{"key":"k003","value":1}`, 10},
		hop{1, history.OpInvoke, "write", `{"key":"k003","value":2}`, 20},
		hop{1, history.OpOK, "write", `{"key":"k003","value":2}`, 30},
		hop{2, history.OpInvoke, "read", `{"key":"k003"}`, 40},
		hop{2, history.OpOK, "read", `{"key":"k003","value":1}`, 50},
		// k004 is fine
		hop{3, history.OpInvoke, "write", `{"key":"k004","value":5}`, 0},
		hop{3, history.OpOK, "write", `{"key":"k004","value":5}`, 10},
	)
	r := check.LinearizableKV(check.Input{History: h})
	require.Equal(t, check.Invalid, r.Verdict, r.Summary)
	assert.Equal(t, "k003", r.Details["key"])
	assert.Contains(t, r.Summary, "k003")
	cex, ok := r.Details["counterexample"].([]string)
	require.True(t, ok)
	assert.Contains(t, cex[len(cex)-1], "read -> 1")
	assert.Contains(t, cex[len(cex)-1], "value 2")
}

func TestLinearizableRejectsACasThatCannotHaveSucceeded(t *testing.T) {
	h := hist(
		hop{1, history.OpInvoke, "write", `{"key":"k000","value":1}`, 0},
		hop{1, history.OpOK, "write", `{"key":"k000","value":1}`, 10},
		hop{2, history.OpInvoke, "cas", `{"key":"k000","from":5,"to":6}`, 20},
		hop{2, history.OpOK, "cas", `{"key":"k000","from":5,"to":6}`, 30},
	)
	r := check.LinearizableKV(check.Input{History: h})
	assert.Equal(t, check.Invalid, r.Verdict, r.Summary)
}

func TestLinearizableTimedOutCasMayOrMayNotHaveHappened(t *testing.T) {
	for _, seen := range []string{"1", "2"} {
		h := hist(
			hop{1, history.OpInvoke, "write", `{"key":"k000","value":1}`, 0},
			hop{1, history.OpOK, "write", `{"key":"k000","value":1}`, 10},
			hop{1, history.OpInvoke, "cas", `{"key":"k000","from":1,"to":2}`, 20},
			hop{1, history.OpInfo, "cas", `{"key":"k000","from":1,"to":2}`, 30},
			hop{2, history.OpInvoke, "read", `{"key":"k000"}`, 40},
			hop{2, history.OpOK, "read", `{"key":"k000","value":` + seen + `}`, 50},
			hop{2, history.OpInvoke, "read", `{"key":"k000"}`, 60},
			hop{2, history.OpOK, "read", `{"key":"k000","value":` + seen + `}`, 70},
		)
		r := check.LinearizableKV(check.Input{History: h})
		assert.Equal(t, check.Valid, r.Verdict, "read %s: %s", seen, r.Summary)
	}
}

func TestLinearizableIsUnknownWhenOutOfTimeOrEvidence(t *testing.T) {
	h := hist(
		hop{1, history.OpInvoke, "write", `{"key":"k000","value":1}`, 0},
		hop{1, history.OpOK, "write", `{"key":"k000","value":1}`, 10},
	)
	r := check.LinearizableKV(check.Input{History: h, Params: json.RawMessage(`{"timeout":"1ns"}`)})
	assert.Equal(t, check.Unknown, r.Verdict, r.Summary)
	assert.Equal(t, []string{"k000"}, r.Details["unknown_keys"])

	r = check.LinearizableKV(check.Input{History: hist(
		hop{1, history.OpInvoke, "write", `{"key":"k000","value":1}`, 0},
		hop{1, history.OpInfo, "write", `{"key":"k000","value":1}`, 10},
	)})
	assert.Equal(t, check.Unknown, r.Verdict, r.Summary)
}

func emit(t int64, node int32, label string, v any) trace.Event {
	b, _ := json.Marshal(v)
	return trace.Event{Time: t, Kind: trace.KindEmit, Node: node, Label: label, Data: b}
}

func served(t int64, key, shard string, epoch int) trace.Event {
	return emit(t, 0, "serve", map[string]any{"key": key, "shard": shard, "epoch": epoch, "op": "read"})
}

func TestOwnershipAcceptsAMoveToANewerEpoch(t *testing.T) {
	ev := []trace.Event{
		served(1, "k000", "s0", 1), served(2, "k001", "s1", 1), served(3, "k000", "s0", 1),
		served(4, "k000", "s3", 2), served(5, "k000", "s3", 2), served(6, "k001", "s1", 2),
	}
	r := Ownership(check.Input{Events: ev})
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, 6, r.Details["serves"])
	assert.Equal(t, map[string][]string{"k000": {"s0", "s3"}, "k001": {"s1"}}, r.Details["shards_per_key"])
}

func TestOwnershipRejectsAKeyServedByTwoShards(t *testing.T) {
	// same epoch, two shards
	r := Ownership(check.Input{Events: []trace.Event{served(1, "k005", "s0", 1), served(2, "k001", "s1", 1), served(3, "k005", "s2", 1)}})
	require.Equal(t, check.Invalid, r.Verdict, r.Summary)
	assert.Contains(t, r.Summary, "k005")
	assert.Contains(t, r.Summary, "s0")
	assert.Contains(t, r.Summary, "s2")
	assert.Equal(t, []string{"k005"}, r.Details["keys_with_two_owners"])

	// a stale owner serving after the move
	r = Ownership(check.Input{Events: []trace.Event{served(1, "k002", "s1", 1), served(2, "k002", "s3", 2), served(3, "k002", "s1", 1)}})
	require.Equal(t, check.Invalid, r.Verdict, r.Summary)
	v := r.Details["violations"].([]Violation)[0]
	assert.Equal(t, Violation{Key: "k002", Owner: "s3", OwnerEpoch: 2, Other: "s1", Epoch: 1, At: "3ns"}, v)

	assert.Equal(t, check.Unknown, Ownership(check.Input{}).Verdict)
}

func TestLoadReportsPerShardCountsAndRatio(t *testing.T) {
	ev := []trace.Event{
		emit(0, 1, "shard_up", map[string]any{"shard": "s0"}),
		emit(0, 2, "shard_up", map[string]any{"shard": "s1"}),
		emit(0, 3, "shard_up", map[string]any{"shard": "s2"}),
	}
	for i := 0; i < 6; i++ {
		ev = append(ev, served(int64(i+1), "k000", "s0", 1))
	}
	ev = append(ev, served(10, "k001", "s1", 1), served(11, "k002", "s1", 1))
	r := Load(check.Input{Events: ev})
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, map[string]int{"s0": 6, "s1": 2, "s2": 0}, r.Details["per_shard"])
	assert.Equal(t, map[string]int{"k000": 6, "k001": 1, "k002": 1}, r.Details["per_key"])
	assert.Equal(t, 8, r.Details["requests"])
	assert.Equal(t, 6, r.Details["max"])
	assert.Equal(t, 0, r.Details["min"])
	assert.Equal(t, "s0", r.Details["hottest"])
	assert.InDelta(t, 2.25, r.Details["max_mean_ratio"], 1e-9) // 6 / (8/3)
	assert.Contains(t, r.Summary, "2.25")

	r = Load(check.Input{Events: ev, Params: json.RawMessage(`{"max_ratio":2}`)})
	assert.Equal(t, check.Invalid, r.Verdict, r.Summary)
	assert.Equal(t, check.Unknown, Load(check.Input{Events: ev[:3]}).Verdict)
}

func TestZipfSkew(t *testing.T) {
	u := zipfCDF(4, 0)
	assert.InDeltaSlice(t, []float64{0.25, 0.5, 0.75, 1}, u, 1e-9)
	z := zipfCDF(8, 2)
	assert.Greater(t, z[0], 0.6) // the hottest key takes about two thirds
	assert.Equal(t, 0, pick(z, 0.1))
	assert.Equal(t, 7, pick(z, 0.999999))
}
