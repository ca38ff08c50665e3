package check

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// healKinds are the faults that end one: after the last of them (or a
// node's restart) the run is whole again.
var healKinds = []fault.Kind{fault.Repair, fault.Restart, fault.Bounce, fault.Resume, fault.Release}

// Eventually is liveness after a heal: every client operation invoked at
// or after the run's last heal plus params.within (a Go duration, "0s" if
// not given: the time the system may take to recover) completes, with ok
// or with a definite fail. An operation that timed out instead (info) is
// one the system never answered: the run is STUCK, and the result is
// invalid with Details "property" "liveness", told apart from a safety
// checker's invalid (something WRONG happened). A heal is a repair, a
// restart (or bounce), a resume or a release; a run with no fault is
// judged from its start.
//
// Liveness is only asked of a run that ends whole: if a node is down or
// paused, a partition is open or messages are held at the end, the
// verdict is unknown (nothing was promised). Operations still waiting at
// the end are not judged (their timeout did not come), nor are those
// invoked before the last heal plus within. This follows Jepsen's habit
// of asking for progress once the faults are over: a nemesis package's
// :final-generator heals everything before the test's final phase
// (jepsen/src/jepsen/nemesis/combined.clj, nemesis-package).
func Eventually(in Input) Result {
	var p struct {
		Within string `json:"within"`
	}
	if len(in.Params) > 0 && string(in.Params) != "null" {
		if err := json.Unmarshal(in.Params, &p); err != nil {
			return Result{Verdict: Unknown, Summary: fmt.Sprintf(`eventually: params want {within: DURATION}: %v`, err)}
		}
	}
	var within time.Duration
	if p.Within != "" {
		d, err := time.ParseDuration(p.Within)
		if err != nil || d < 0 {
			return Result{Verdict: Unknown, Summary: fmt.Sprintf("eventually: params.within %q is not a duration", p.Within)}
		}
		within = d
	}
	healed, open := lastHeal(in)
	d := map[string]any{"property": PropertyLiveness, "healed_at": healed.String(), "within": within.String()}
	if len(open) > 0 {
		d["open"] = open
		return Result{Verdict: Unknown, Details: d, Summary: "not judged: the run ends with faults in effect (" + strings.Join(open, "; ") + ")"}
	}
	from := healed + within
	done, pending := history.Pairs(in.History)
	var judged, answered int
	var stuck []string
	for _, pr := range done {
		inv, c := pr[0], pr[1]
		if time.Duration(inv.Time) < from {
			continue
		}
		judged++
		if c.Type == history.OpInfo {
			stuck = append(stuck, fmt.Sprintf("op %d (%s to %s, invoked at %v) got no answer by %v", inv.Index, inv.F, inv.Node,
				time.Duration(inv.Time), time.Duration(c.Time)))
			continue
		}
		answered++
	}
	waiting := 0
	for _, op := range pending {
		if time.Duration(op.Time) >= from {
			waiting++
		}
	}
	d["judged"], d["answered"], d["waiting"] = judged, answered, waiting
	if len(stuck) > 0 {
		d["stuck"] = stuck[:min(len(stuck), 10)]
		return Result{Verdict: Invalid, Details: d, Summary: fmt.Sprintf("STUCK: %d of %d operations invoked from %v (last heal at %v + %v) got no answer; first: %s",
			len(stuck), judged, from, healed, within, stuck[0])}
	}
	if judged == 0 {
		return Result{Verdict: Unknown, Details: d, Summary: fmt.Sprintf("no operation invoked from %v (last heal at %v + %v) completed or timed out", from, healed, within)}
	}
	return Result{Verdict: Valid, Details: d, Summary: fmt.Sprintf("all %d operations invoked from %v (last heal at %v + %v) were answered", judged, from, healed, within)}
}

// lastHeal returns the time of the run's last heal (0 if none) and the
// faults still in effect at its end, each a line.
func lastHeal(in Input) (time.Duration, []string) {
	var healed time.Duration
	down := map[int32]bool{}
	paused := map[string]bool{}
	held := map[string]bool{}
	partitioned := false
	for _, e := range in.Events {
		switch e.Kind {
		case trace.KindCrash:
			down[e.Node] = true
		case trace.KindBoot:
			delete(down, e.Node)
		case trace.KindRestart:
			delete(down, e.Node)
			healed = max(healed, time.Duration(e.Time))
		case trace.KindFault:
			f, err := fault.Decode(e.Data)
			if err != nil {
				continue
			}
			if slices.Contains(healKinds, f.Kind) {
				healed = max(healed, time.Duration(e.Time))
			}
			switch f.Kind {
			case fault.Partition, fault.PartitionOneWay:
				partitioned = true
			case fault.Repair:
				partitioned = false
			case fault.Pause:
				paused[f.Node] = true
			case fault.Resume:
				delete(paused, f.Node)
			case fault.Hold:
				held[strings.Join(f.From, ",")+"->"+strings.Join(f.To, ",")] = true
			case fault.Release:
				delete(held, strings.Join(f.From, ",")+"->"+strings.Join(f.To, ","))
			}
		}
	}
	var open []string
	for _, n := range slices.Sorted(maps.Keys(down)) {
		open = append(open, nodeName(in.Nodes, n)+" is down")
	}
	for _, n := range slices.Sorted(maps.Keys(paused)) {
		open = append(open, n+" is paused")
	}
	if partitioned {
		open = append(open, "a partition is not repaired")
	}
	for _, h := range slices.Sorted(maps.Keys(held)) {
		open = append(open, "messages "+h+" are held")
	}
	return healed, open
}

func nodeName(nodes []string, i int32) string {
	if i >= 0 && int(i) < len(nodes) {
		return nodes[i]
	}
	return fmt.Sprintf("#%d", i)
}

// PropertyOf is the property a failing result broke: liveness if its
// Details say so (Eventually), else safety.
func PropertyOf(r Result) string {
	if p, _ := r.Details["property"].(string); p == PropertyLiveness {
		return PropertyLiveness
	}
	return PropertySafety
}
