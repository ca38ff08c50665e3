package mcheck

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

type kafka struct{}

type kafkaParams struct {
	// KeyCount is the number of logs (keys "0", "1", ...).
	KeyCount int `json:"key_count"`
}

// kafkaClient is one client's consumer state: the keys it is assigned
// and the next offset it polls from on each.
type kafkaClient struct {
	keys []string
	next map[string]int
	seen map[string]int // highest offset polled since the last assign
}

// Start implements workload.Workload: Maelstrom's kafka operations. A
// client first assigns itself keys (list_committed_offsets, then polling
// from each committed offset + 1), then sends ({"type":"send","key":k,
// "msg":n} -> send_ok {"offset":o}, half the operations), polls
// ({"type":"poll","offsets":{k:o}} -> poll_ok {"msgs":{k:[[o,m],...]}}),
// commits what it polled ({"type":"commit_offsets","offsets":{k:o}}) and
// now and then assigns itself new keys.
//
// History: send {"key","msg"} completing {"key","msg","offset"}; poll
// {"offsets"} completing {"msgs"}; commit {"offsets"}; assign {"keys"}
// completing {"offsets"}.
func (kafka) Start(s *sim.Sim, spec workload.Spec) (time.Duration, error) {
	p := kafkaParams{KeyCount: 3}
	if err := params("kafka", spec.Params, &p); err != nil {
		return 0, err
	}
	if p.KeyCount < 1 {
		return 0, fmt.Errorf("workload kafka: params.key_count must be at least 1, got %d", p.KeyCount)
	}
	keys := make([]string, p.KeyCount)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	state := map[*sim.Client]*kafkaClient{}
	msg := 0
	assign := func(c *sim.Client, target string, done func()) {
		st := state[c]
		var mine []string
		for _, k := range keys {
			if spec.Rand.IntN(2) == 0 {
				mine = append(mine, k)
			}
		}
		if len(mine) == 0 {
			mine = []string{pick(spec.Rand, keys)}
		}
		perform(c, target, spec.Timeout, request{f: "assign", value: map[string]any{"keys": mine},
			body: map[string]any{"type": "list_committed_offsets", "keys": mine},
			ok: func(b json.RawMessage) (any, error) {
				var r struct {
					Offsets map[string]int `json:"offsets"`
				}
				if err := json.Unmarshal(b, &r); err != nil {
					return nil, err
				}
				if r.Offsets == nil {
					r.Offsets = map[string]int{}
				}
				return map[string]any{"offsets": r.Offsets}, nil
			}}, func(o outcome) {
			if o.typ == sim.OpOK {
				offs := o.value.(map[string]any)["offsets"].(map[string]int)
				st.keys, st.next, st.seen = mine, map[string]int{}, map[string]int{}
				for _, k := range mine {
					if v, ok := offs[k]; ok {
						st.next[k] = v + 1
					}
				}
			}
			done()
		})
	}
	loop(s, spec, 0, func(c *sim.Client, target string, done func()) {
		st := state[c]
		if st == nil {
			st = &kafkaClient{}
			state[c] = st
		}
		u := spec.Rand.Float64()
		switch {
		case st.keys == nil || u < 0.05:
			assign(c, target, done)
		case u < 0.55:
			k := pick(spec.Rand, keys)
			m := msg
			msg++
			perform(c, target, spec.Timeout, request{f: "send", value: map[string]any{"key": k, "msg": m},
				body: map[string]any{"type": "send", "key": k, "msg": m},
				ok: func(b json.RawMessage) (any, error) {
					var r struct {
						Offset *int `json:"offset"`
					}
					if err := json.Unmarshal(b, &r); err != nil || r.Offset == nil {
						return nil, fmt.Errorf("no offset in %s", b)
					}
					return map[string]any{"key": k, "msg": m, "offset": *r.Offset}, nil
				}}, func(outcome) { done() })
		case u < 0.85:
			offs := map[string]int{}
			for _, k := range st.keys {
				offs[k] = st.next[k]
			}
			perform(c, target, spec.Timeout, request{f: "poll", value: map[string]any{"offsets": offs},
				body: map[string]any{"type": "poll", "offsets": offs},
				ok: func(b json.RawMessage) (any, error) {
					var r struct {
						Msgs map[string][][2]int `json:"msgs"`
					}
					if err := json.Unmarshal(b, &r); err != nil {
						return nil, err
					}
					if r.Msgs == nil {
						r.Msgs = map[string][][2]int{}
					}
					return map[string]any{"msgs": r.Msgs}, nil
				}}, func(o outcome) {
				if o.typ == sim.OpOK {
					for k, ms := range o.value.(map[string]any)["msgs"].(map[string][][2]int) {
						if _, mine := st.next[k]; !mine && !contains(st.keys, k) {
							continue
						}
						for _, m := range ms {
							if m[0] >= st.next[k] {
								st.next[k] = m[0] + 1
								st.seen[k] = m[0]
							}
						}
					}
				}
				done()
			})
		default:
			if len(st.seen) == 0 {
				done()
				return
			}
			offs := map[string]int{}
			for k, v := range st.seen {
				offs[k] = v
			}
			perform(c, target, spec.Timeout, request{f: "commit", value: map[string]any{"offsets": offs},
				body: map[string]any{"type": "commit_offsets", "offsets": offs}}, func(outcome) { done() })
		}
	})
	return spec.Duration + spec.Timeout, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Kafka checks a kafka history for the anomalies Maelstrom's checker
// names:
//
//   - inconsistent offsets: two messages at one offset of a key, or one
//     message at two offsets;
//   - lost writes: an acknowledged send whose offset no poll ever
//     returned, though polls returned a higher offset of the key;
//   - internal nonmonotonic polls: offsets not strictly increasing within
//     one poll of a key;
//   - skips: a poll that passed over an offset whose send had been
//     acknowledged before the poll began, inside its own list of messages
//     or between the offset it asked for and the first one it returned;
//   - external nonmonotonic polls: a client's poll of a key that starts at
//     or before the last offset its previous poll of that key returned,
//     with no assign in between;
//   - phantom commits: list_committed_offsets returning for a key an
//     offset higher than any commit_offsets had asked for by then.
func Kafka(in check.Input) check.Result {
	done, open := check.Pairs(in.History)
	type at struct {
		key string
		off int
	}
	msgAt := map[at]int{}     // (key, offset) -> msg
	offsetOf := map[int]at{}  // msg -> where it was seen
	ackedAt := map[at]int64{} // acknowledged send -> completion time
	polled := map[at]bool{}
	maxPolled := map[string]int{}
	var errs []string
	var sends, acked, polls, commits, assigns int
	note := func(k string, off, m int, how string) {
		a := at{k, off}
		if prev, ok := msgAt[a]; ok && prev != m {
			errs = append(errs, fmt.Sprintf("inconsistent offsets: key %s offset %d holds message %d and %d (%s)", k, off, prev, m, how))
		}
		msgAt[a] = m
		if prev, ok := offsetOf[m]; ok && prev != a {
			errs = append(errs, fmt.Sprintf("inconsistent offsets: message %d is at key %s offset %d and key %s offset %d (%s)", m, prev.key, prev.off, k, off, how))
		}
		offsetOf[m] = a
	}
	type sendAck struct {
		a   at
		end int64
	}
	var ackList []sendAck
	for _, p := range done {
		if p[0].F == "send" {
			sends++
			if p[1].Type != sim.OpOK {
				continue
			}
			var v struct {
				Key    string `json:"key"`
				Msg    int    `json:"msg"`
				Offset int    `json:"offset"`
			}
			if json.Unmarshal(p[1].Value, &v) != nil {
				continue
			}
			acked++
			note(v.Key, v.Offset, v.Msg, fmt.Sprintf("send op %d", p[1].Index))
			ackedAt[at{v.Key, v.Offset}] = p[1].Time
			ackList = append(ackList, sendAck{at{v.Key, v.Offset}, p[1].Time})
		}
	}
	// acked offsets per key, sorted, to find skips
	ackedOffs := map[string][]sendAck{}
	for _, s := range ackList {
		ackedOffs[s.a.key] = append(ackedOffs[s.a.key], s)
	}
	for _, l := range ackedOffs {
		sort.Slice(l, func(i, j int) bool { return l[i].a.off < l[j].a.off })
	}
	skipped := func(k string, lo, hi int, before int64) []int {
		var out []int
		for _, s := range ackedOffs[k] {
			if s.a.off > lo && s.a.off < hi && s.end < before {
				out = append(out, s.a.off)
			}
		}
		return out
	}
	lastPolled := map[int]map[string]int{} // process -> key -> last offset returned
	type commitReq struct {
		inv     int64
		offsets map[string]int
	}
	var commitReqs []commitReq // not known to have failed
	for _, p := range done {
		var v struct {
			Offsets map[string]int `json:"offsets"`
		}
		if p[0].F == "commit" && p[1].Type != sim.OpFail && json.Unmarshal(p[0].Value, &v) == nil {
			commitReqs = append(commitReqs, commitReq{p[0].Time, v.Offsets})
		}
	}
	for _, op := range open {
		var v struct {
			Offsets map[string]int `json:"offsets"`
		}
		if op.F == "commit" && json.Unmarshal(op.Value, &v) == nil {
			commitReqs = append(commitReqs, commitReq{op.Time, v.Offsets})
		}
	}
	committedBy := func(t int64) map[string]int {
		m := map[string]int{}
		for _, c := range commitReqs {
			if c.inv >= t {
				continue
			}
			for k, o := range c.offsets {
				if mc, ok := m[k]; !ok || o > mc {
					m[k] = o
				}
			}
		}
		return m
	}
	for _, p := range done {
		inv, c := p[0], p[1]
		switch inv.F {
		case "assign":
			if c.Type != sim.OpOK {
				continue
			}
			assigns++
			lastPolled[inv.Process] = map[string]int{}
			var v struct {
				Offsets map[string]int `json:"offsets"`
			}
			if json.Unmarshal(c.Value, &v) != nil {
				continue
			}
			maxCommitted := committedBy(c.Time)
			for _, k := range sortedKeys(v.Offsets) {
				if mc, ok := maxCommitted[k]; !ok || v.Offsets[k] > mc {
					errs = append(errs, fmt.Sprintf("phantom commit: op %d listed key %s committed at %d, but no commit had asked for more than %v", c.Index, k, v.Offsets[k], mcOr(maxCommitted, k)))
				}
			}
		case "commit":
			if c.Type == sim.OpOK {
				commits++
			}
		case "poll":
			if c.Type != sim.OpOK {
				continue
			}
			polls++
			var req struct {
				Offsets map[string]int `json:"offsets"`
			}
			var got struct {
				Msgs map[string][][2]int `json:"msgs"`
			}
			if json.Unmarshal(inv.Value, &req) != nil || json.Unmarshal(c.Value, &got) != nil {
				continue
			}
			if lastPolled[inv.Process] == nil {
				lastPolled[inv.Process] = map[string]int{}
			}
			for _, k := range sortedKeys(got.Msgs) {
				ms := got.Msgs[k]
				if len(ms) == 0 {
					continue
				}
				from, asked := req.Offsets[k]
				if asked && ms[0][0] < from {
					errs = append(errs, fmt.Sprintf("poll op %d asked key %s from offset %d and got offset %d first", c.Index, k, from, ms[0][0]))
				}
				if asked {
					if sk := skipped(k, from-1, ms[0][0], inv.Time); len(sk) > 0 {
						errs = append(errs, fmt.Sprintf("skip: poll op %d asked key %s from offset %d and started at %d, skipping acknowledged offsets %v", c.Index, k, from, ms[0][0], sk))
					}
				}
				if last, ok := lastPolled[inv.Process][k]; ok && ms[0][0] <= last {
					errs = append(errs, fmt.Sprintf("external nonmonotonic: process %d polled key %s up to offset %d, then op %d from offset %d", inv.Process, k, last, c.Index, ms[0][0]))
				}
				for i, m := range ms {
					note(k, m[0], m[1], fmt.Sprintf("poll op %d", c.Index))
					polled[at{k, m[0]}] = true
					if m[0] > maxPolled[k] {
						maxPolled[k] = m[0]
					}
					if i == 0 {
						continue
					}
					prev := ms[i-1][0]
					if m[0] <= prev {
						errs = append(errs, fmt.Sprintf("internal nonmonotonic: poll op %d returned key %s offset %d after %d", c.Index, k, m[0], prev))
					} else if sk := skipped(k, prev, m[0], inv.Time); len(sk) > 0 {
						errs = append(errs, fmt.Sprintf("skip: poll op %d returned key %s offsets %d then %d, skipping acknowledged offsets %v", c.Index, k, prev, m[0], sk))
					}
				}
				lastPolled[inv.Process][k] = ms[len(ms)-1][0]
			}
		}
	}
	var lost []string
	for _, s := range ackList {
		if !polled[s.a] && s.a.off < maxPolled[s.a.key] {
			lost = append(lost, fmt.Sprintf("key %s offset %d (message %d)", s.a.key, s.a.off, msgAt[s.a]))
		}
	}
	sort.Strings(lost)
	unobserved := 0
	for _, s := range ackList {
		if !polled[s.a] {
			unobserved++
		}
	}
	d := map[string]any{"sends": sends, "acknowledged": acked, "polls": polls, "commits": commits, "assigns": assigns,
		"lost_count": len(lost), "unobserved_count": unobserved - len(lost), "error_count": len(errs)}
	switch {
	case len(lost) > 0:
		d["lost"] = lost
		if len(errs) > 0 {
			d["errors"] = errs
		}
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%d acknowledged sends lost (never polled, a later offset was); first: %s", len(lost), lost[0])}
	case len(errs) > 0:
		d["errors"] = errs
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%d anomalies; first: %s", len(errs), errs[0])}
	case acked == 0 || polls == 0:
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "no acknowledged send or no completed poll"}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("%d acknowledged sends, %d polls: no lost write, no skip, offsets monotonic and consistent, commits consistent", acked, polls)}
}

func mcOr(m map[string]int, k string) any {
	if v, ok := m[k]; ok {
		return v
	}
	return "nothing"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
