package shardcheck

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// serve is a shard's serve event.
type serve struct {
	Key   string `json:"key"`
	Shard string `json:"shard"`
	Epoch int    `json:"epoch"`
	Op    string `json:"op"`
	Time  int64  `json:"-"`
}

func serves(events []trace.Event, nodes []string) []serve {
	var out []serve
	for _, e := range events {
		if e.Kind != trace.KindEmit || e.Label != "serve" {
			continue
		}
		var s serve
		if json.Unmarshal(e.Data, &s) != nil || s.Key == "" {
			continue
		}
		if s.Shard == "" && int(e.Node) >= 0 && int(e.Node) < len(nodes) {
			s.Shard = nodes[e.Node]
		}
		s.Time = e.Time
		out = append(out, s)
	}
	return out
}

// Violation is one key served by a second shard.
type Violation struct {
	Key string `json:"key"`
	// Owner served the key at OwnerEpoch (the newest epoch seen so far);
	// Other served it afterwards at Epoch, at virtual time At.
	Owner      string `json:"owner"`
	OwnerEpoch int    `json:"owner_epoch"`
	Other      string `json:"other"`
	Epoch      int    `json:"epoch"`
	At         string `json:"at"`
}

// Ownership checks, from the shards' serve events, that every key has one
// owner at a time: in the order the events happened, a key may move to a
// new shard only with a newer shard-map epoch, and no shard serves it at an
// older epoch (or a second shard at the same epoch) afterwards.
func Ownership(in check.Input) check.Result {
	ss := serves(in.Events, in.Nodes)
	type owner struct {
		shard string
		epoch int
	}
	cur := map[string]owner{}
	byKey := map[string]map[string]bool{}
	var bad []Violation
	badKeys := map[string]bool{}
	for _, s := range ss {
		if byKey[s.Key] == nil {
			byKey[s.Key] = map[string]bool{}
		}
		byKey[s.Key][s.Shard] = true
		o, ok := cur[s.Key]
		switch {
		case !ok || s.Epoch > o.epoch:
			cur[s.Key] = owner{s.Shard, s.Epoch}
		case s.Shard != o.shard:
			if !badKeys[s.Key] || len(bad) < 20 {
				bad = append(bad, Violation{Key: s.Key, Owner: o.shard, OwnerEpoch: o.epoch, Other: s.Shard, Epoch: s.Epoch, At: time.Duration(s.Time).String()})
			}
			badKeys[s.Key] = true
		}
	}
	shardsPerKey := map[string][]string{}
	for k, set := range byKey {
		for sh := range set {
			shardsPerKey[k] = append(shardsPerKey[k], sh)
		}
		sort.Strings(shardsPerKey[k])
	}
	d := map[string]any{"serves": len(ss), "keys": len(byKey), "shards_per_key": shardsPerKey}
	if len(bad) > 0 {
		var keys []string
		for k := range badKeys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d["violations"] = bad
		d["keys_with_two_owners"] = keys
		v := bad[0]
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf(
			"key %s served by two shards: %s at epoch %d, then %s at epoch %d at %s (%d keys affected)",
			v.Key, v.Owner, v.OwnerEpoch, v.Other, v.Epoch, v.At, len(keys))}
	}
	if len(ss) == 0 {
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "no serve events: no shard served an operation"}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("%d keys, each served by one shard at a time (%d serves)", len(byKey), len(ss))}
}
