package mcheck

import (
	"fmt"
	"sort"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
)

// statsIgnored are the operations Maelstrom's stats check leaves out
// (jepsen/src/jepsen/tests/kafka.clj, stats-checker, which core.clj
// wraps around every workload's stats).
var statsIgnored = map[string]bool{"crash": true, "debug-topic-partitions": true}

// Stats is the :stats part of Maelstrom's composed checker
// (src/maelstrom/core.clj, maelstrom-test; jepsen/src/jepsen/checker.clj,
// stats): counted per operation name over the completed client operations
// (an invocation the run ended on counts as info, as Jepsen's client times
// it out), every name must have at least one ok, or the run is invalid.
func Stats(in check.Input) check.Result {
	done, open := history.Pairs(in.History)
	type counts struct{ OK, Fail, Info int }
	by := map[string]*counts{}
	get := func(f string) *counts {
		if by[f] == nil {
			by[f] = &counts{}
		}
		return by[f]
	}
	for _, p := range done {
		c := get(p[0].F)
		switch p[1].Type {
		case history.OpOK:
			c.OK++
		case history.OpFail:
			c.Fail++
		default:
			c.Info++
		}
	}
	for _, op := range open {
		get(op.F).Info++
	}
	names := make([]string, 0, len(by))
	for f := range by {
		names = append(names, f)
	}
	sort.Strings(names)
	d := map[string]any{}
	var never []string
	for _, f := range names {
		c := by[f]
		d[f] = map[string]int{"ok": c.OK, "fail": c.Fail, "info": c.Info}
		if c.OK == 0 && !statsIgnored[f] {
			never = append(never, fmt.Sprintf("%s (%d failed, %d indeterminate)", f, c.Fail, c.Info))
		}
	}
	if len(never) > 0 {
		return check.Result{Verdict: check.Invalid, Details: d, Summary: "no operation succeeded: " + strings.Join(never, ", ")}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("every operation (%s) succeeded at least once", strings.Join(names, ", "))}
}
