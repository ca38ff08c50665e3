package check_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func at(ms int64, o history.Op) history.Op { o.Time = ms * int64(time.Millisecond); return o }

func faultEvent(ms int64, f fault.Fault) trace.Event {
	return trace.Event{Time: ms * int64(time.Millisecond), Kind: trace.KindFault, Node: -1, Peer: -1, Label: string(f.Kind), Data: f.Encode()}
}

// A crash at 100ms healed by a restart at 200ms, and four echoes: one
// before the heal, one inside within (100ms), two after.
func healed(last string) check.Input {
	return check.Input{Nodes: []string{"n"}, Params: json.RawMessage(`{"within":"100ms"}`),
		Events: []trace.Event{
			faultEvent(100, fault.Fault{Kind: fault.Crash, Node: "n"}), {Time: 100e6, Kind: trace.KindCrash, Node: 0, Peer: -1},
			faultEvent(200, fault.Fault{Kind: fault.Restart, Node: "n"}), {Time: 200e6, Kind: trace.KindRestart, Node: 0, Peer: -1},
		},
		History: hist(
			at(120, op(0, history.OpInvoke, "echo", 1, "n")), at(170, op(0, history.OpInfo, "echo", nil, "n")),
			at(250, op(0, history.OpInvoke, "echo", 2, "n")), at(300, op(0, history.OpInfo, "echo", nil, "n")),
			at(300, op(0, history.OpInvoke, "echo", 3, "n")), at(301, op(0, history.OpOK, "echo", 3, "n")),
			at(400, op(0, history.OpInvoke, "echo", 4, "n")), at(450, op(0, last, "echo", nil, "n")),
			at(500, op(0, history.OpInvoke, "echo", 5, "n")), // still waiting at the end
		)}
}

func TestEventuallyTellsStuckFromLive(t *testing.T) {
	live := check.Eventually(healed(history.OpOK))
	assert.Equal(t, check.Valid, live.Verdict, live.Summary)
	assert.Equal(t, 2, live.Details["judged"], "the ops before 300ms are not judged")
	assert.Equal(t, 1, live.Details["waiting"])
	assert.Equal(t, "200ms", live.Details["healed_at"])

	failed := check.Eventually(healed(history.OpFail))
	assert.Equal(t, check.Valid, failed.Verdict, "a definite fail is an answer")

	stuck := check.Eventually(healed(history.OpInfo))
	assert.Equal(t, check.Invalid, stuck.Verdict)
	assert.Equal(t, check.PropertyLiveness, check.PropertyOf(stuck))
	assert.Equal(t, "STUCK: 1 of 2 operations invoked from 300ms (last heal at 200ms + 100ms) got no answer; first: op 6 (echo to n, invoked at 400ms) got no answer by 450ms", stuck.Summary)
	assert.Equal(t, check.PropertySafety, check.PropertyOf(check.Result{Verdict: check.Invalid}), "any other invalid is safety")
}

func TestEventuallyJudgesOnlyARunThatEndsWhole(t *testing.T) {
	in := healed(history.OpInfo)
	in.Events = in.Events[:2] // crashed, never restarted
	r := check.Eventually(in)
	assert.Equal(t, check.Unknown, r.Verdict)
	assert.Equal(t, "not judged: the run ends with faults in effect (n is down)", r.Summary)

	in = healed(history.OpInfo)
	in.Events = append(in.Events, faultEvent(250, fault.Fault{Kind: fault.Partition, Groups: [][]string{{"n"}, {"m"}}}))
	assert.Equal(t, check.Unknown, check.Eventually(in).Verdict, "an open partition")
	in.Events = append(in.Events, faultEvent(260, fault.Fault{Kind: fault.Repair}))
	r = check.Eventually(in)
	assert.Equal(t, "260ms", r.Details["healed_at"], "the repair is the last heal")
	assert.Equal(t, check.Invalid, r.Verdict, "op 6 at 400ms is still after 360ms")
}

func TestEventuallyRefusesBadParams(t *testing.T) {
	for _, p := range []string{`{"within":"soon"}`, `{"within":"-1s"}`, `{"within":3}`} {
		in := healed(history.OpInfo)
		in.Params = json.RawMessage(p)
		r := check.Eventually(in)
		assert.Equal(t, check.Unknown, r.Verdict, p)
		assert.Contains(t, r.Summary, "eventually: params", p)
	}
	in := healed(history.OpInfo)
	in.Params = nil
	in.History = in.History[:2]
	assert.Equal(t, check.Unknown, check.Eventually(in).Verdict, "nothing invoked after the heal")
}
