package mcheck

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

type uniqueIDs struct{}

// Start implements workload.Workload: clients send {"type":"generate"} and
// record the id of each generate_ok (any JSON value).
func (uniqueIDs) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	loop(s, spec, 0, func(c workload.Client, target string, next func()) {
		perform(c, target, spec.Timeout, request{f: "generate", body: map[string]any{"type": "generate"},
			ok: func(b json.RawMessage) (any, error) {
				var r struct {
					ID json.RawMessage `json:"id"`
				}
				if err := json.Unmarshal(b, &r); err != nil || len(r.ID) == 0 {
					return nil, fmt.Errorf("no id in %s", b)
				}
				return json.RawMessage(canonical(r.ID)), nil
			}}, func(outcome) { next() })
	})
	return spec.Duration + spec.Timeout, nil
}

// UniqueIDs checks that every id a generate_ok returned is distinct from
// every other (ids compare as JSON values: 1 and "1" differ).
func UniqueIDs(in check.Input) check.Result {
	done, _ := history.Pairs(in.History)
	seen := map[string][]int{}
	var attempted, ok int
	for _, p := range done {
		if p[0].F != "generate" {
			continue
		}
		attempted++
		if p[1].Type != history.OpOK {
			continue
		}
		ok++
		id := string(p[1].Value)
		seen[id] = append(seen[id], p[1].Index)
	}
	var dups []string
	for id, at := range seen {
		if len(at) > 1 {
			dups = append(dups, fmt.Sprintf("%s (ops %v)", id, at))
		}
	}
	sort.Strings(dups)
	d := map[string]any{"attempted": attempted, "acknowledged": ok, "distinct": len(seen), "duplicated": len(dups)}
	switch {
	case len(dups) > 0:
		d["duplicates"] = dups
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%d ids were generated more than once; first: %s", len(dups), dups[0])}
	case ok == 0:
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "no generate request completed"}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("%d ids, all distinct", ok)}
}
