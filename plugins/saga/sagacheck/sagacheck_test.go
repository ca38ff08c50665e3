package sagacheck

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

var nodes = []string{"orchestrator", "order", "payment", "inventory", "shipping"}

func nodeIndex(name string) int32 {
	for i, n := range nodes {
		if n == name {
			return int32(i)
		}
	}
	return 0
}

func emit(t int64, node, key string, v any) trace.Event {
	b, _ := json.Marshal(v)
	return trace.Event{Time: t, Kind: trace.KindEmit, Node: nodeIndex(node), Peer: -1, Label: key, Data: b}
}

func step(t int64, saga, svc, action string, ok bool) trace.Event {
	return emit(t, svc, "step", map[string]any{"saga": saga, "step": svc, "action": action, "ok": ok})
}

func end(t int64, saga, outcome string) trace.Event {
	return emit(t, "orchestrator", "saga_end", map[string]any{"saga": saga, "outcome": outcome})
}

func reserve(t int64, saga string) trace.Event {
	return emit(t, "inventory", "reserve", map[string]any{"saga": saga, "qty": 1})
}

func release(t int64, saga string) trace.Event {
	return emit(t, "inventory", "release", map[string]any{"saga": saga, "qty": 1})
}

// committed is a saga whose four steps ran.
func committed(saga string, t int64) []trace.Event {
	return []trace.Event{
		step(t, saga, "order", "do", true),
		step(t+1, saga, "payment", "do", true),
		step(t+2, saga, "inventory", "do", true), reserve(t+2, saga),
		step(t+3, saga, "shipping", "do", true),
		end(t+4, saga, "committed"),
	}
}

// compensatedAtShipping is a saga whose shipping failed, compensated whole.
func compensatedAtShipping(saga string, t int64) []trace.Event {
	return []trace.Event{
		step(t, saga, "order", "do", true),
		step(t+1, saga, "payment", "do", true),
		step(t+2, saga, "inventory", "do", true), reserve(t+2, saga),
		step(t+3, saga, "shipping", "do", false),
		step(t+4, saga, "inventory", "compensate", true), release(t+4, saga),
		step(t+5, saga, "payment", "compensate", true),
		step(t+6, saga, "order", "compensate", true),
		end(t+7, saga, "compensated"),
	}
}

func input(evs ...[]trace.Event) check.Input {
	var all []trace.Event
	for _, e := range evs {
		all = append(all, e...)
	}
	return check.Input{Events: all, Nodes: nodes}
}

func TestConsistencyValid(t *testing.T) {
	r := Consistency(input(committed("s1", 0), compensatedAtShipping("s2", 10),
		// payment declined: only the order step to undo
		[]trace.Event{step(30, "s3", "order", "do", true), step(31, "s3", "payment", "do", false),
			step(32, "s3", "order", "compensate", true), end(33, "s3", "compensated")}))
	assert.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, 3, r.Details["sagas"])
	assert.Equal(t, 1, r.Details["committed"])
	assert.Equal(t, 2, r.Details["compensated"])
}

func TestConsistencyUnknownWithoutSagas(t *testing.T) {
	r := Consistency(input())
	assert.Equal(t, check.Unknown, r.Verdict)
}

func TestConsistencyHalfCompensated(t *testing.T) {
	evs := compensatedAtShipping("s7", 0)
	// drop the inventory compensation and its release
	var half []trace.Event
	for _, e := range evs {
		if e.Label == "release" || (e.Label == "step" && string(e.Data) == `{"action":"compensate","ok":true,"saga":"s7","step":"inventory"}`) {
			continue
		}
		half = append(half, e)
	}
	require.Len(t, half, len(evs)-2)
	r := Consistency(input(committed("s1", 100), half))
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "saga s7")
	assert.Contains(t, r.Summary, "step inventory")
	assert.Contains(t, r.Summary, "never compensated")
	assert.Equal(t, "s7", r.Details["first_saga"])
	assert.Equal(t, "inventory", r.Details["first_step"])
	assert.Equal(t, []string{"s7"}, r.Details["dangling_reservations"])
}

func TestConsistencyCompensationWithoutStep(t *testing.T) {
	r := Consistency(input([]trace.Event{
		step(0, "s4", "order", "do", true),
		step(1, "s4", "payment", "do", false),
		step(2, "s4", "payment", "compensate", true), // payment never ran
		step(3, "s4", "order", "compensate", true),
		end(4, "s4", "compensated"),
	}))
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "saga s4, step payment: compensated without having run")
}

func TestConsistencyDanglingReservation(t *testing.T) {
	// Every step event says compensated, but the release never happened.
	evs := compensatedAtShipping("s5", 0)
	var noRelease []trace.Event
	for _, e := range evs {
		if e.Label != "release" {
			noRelease = append(noRelease, e)
		}
	}
	r := Consistency(input(noRelease))
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "saga s5, step inventory: dangling inventory reservation")
	assert.Equal(t, []string{"s5"}, r.Details["dangling_reservations"])

	// A committed saga keeps its reservation: that is not dangling.
	assert.Equal(t, check.Valid, Consistency(input(committed("s6", 0))).Verdict)
}

func TestConsistencyUnfinishedAndCommittedWithCompensation(t *testing.T) {
	r := Consistency(input([]trace.Event{step(0, "s8", "order", "do", true), step(1, "s8", "payment", "do", true)}))
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "saga s8, step payment: never ended")

	evs := committed("s9", 0)
	evs = append(evs[:len(evs)-1], step(5, "s9", "payment", "compensate", true), end(6, "s9", "committed"))
	r = Consistency(input(evs))
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "saga s9, step payment: saga committed but this step was compensated")
}

func TestConsistencyRanTwice(t *testing.T) {
	evs := committed("s10", 0)
	evs = append(evs, step(9, "s10", "payment", "do", true))
	r := Consistency(input(evs))
	require.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "saga s10, step payment: ran twice")
}

func readOp(t int64, saga, svc, state string) []history.Op {
	inv, _ := json.Marshal(map[string]string{"saga": saga, "service": svc})
	out, _ := json.Marshal(map[string]string{"saga": saga, "service": svc, "state": state})
	return []history.Op{
		{Process: 9, Type: history.OpInvoke, F: "read", Value: inv, Time: t - 1, Node: svc},
		{Process: 9, Type: history.OpOK, F: "read", Value: out, Time: t, Node: svc},
	}
}

func TestIsolationCounts(t *testing.T) {
	evs := append(committed("s1", 100), compensatedAtShipping("s2", 100)...)
	// s1 ends at 104, s2 at 107.
	var h []history.Op
	h = append(h, readOp(101, "s1", "payment", "charged")...)                         // before s1's end: intermediate
	h = append(h, readOp(103, "s1", "order", "pending")...)                           // intermediate
	h = append(h, readOp(200, "s1", "payment", "charged")...)                         // after the end: fine
	h = append(h, readOp(102, "s2", "inventory", "reserved")...)                      // intermediate, later compensated: dirty
	h = append(h, readOp(102, "s2", "shipping", "none")...)                           // nothing visible yet
	h = append(h, readOp(104, "s1", "order", "confirmed")...)                         // the order's terminal state
	h = append(h, history.Op{Process: 9, Type: history.OpInfo, F: "read", Time: 300}) // timed out: not counted
	r := Isolation(check.Input{History: h, Events: evs, Nodes: nodes})
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, 6, r.Details["reads"])
	assert.Equal(t, 3, r.Details["intermediate_reads"])
	assert.Equal(t, 1, r.Details["dirty_reads"])
	assert.InDelta(t, 0.5, r.Details["share"], 1e-9)
	assert.Equal(t, map[string]int{"payment": 1, "order": 1, "inventory": 1}, r.Details["by_service"])
	assert.Contains(t, r.Summary, "3 of 6 reads")
}

func TestIsolationUnknownWithoutReads(t *testing.T) {
	r := Isolation(check.Input{Events: committed("s1", 0), Nodes: nodes})
	assert.Equal(t, check.Unknown, r.Verdict)
	r = Isolation(check.Input{History: readOp(5, "s1", "order", "pending"), Nodes: nodes})
	require.Equal(t, check.Valid, r.Verdict)
	assert.Equal(t, 1, r.Details["intermediate_reads"], "a saga that never ended is in flight for every read")
}

func TestCatalogueEntries(t *testing.T) {
	assert.Equal(t, "saga", Plugin().Name)
	assert.Equal(t, "event-driven", Plugin().Category)
	assert.Contains(t, Plugin().Workloads, "saga")
	assert.Contains(t, Plugin().Checks, "saga-consistency")
	assert.Contains(t, Plugin().Checks, "saga-isolation")
}
