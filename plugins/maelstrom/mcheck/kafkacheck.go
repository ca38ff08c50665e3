package mcheck

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
)

// kafkaAnomalies are the error types jepsen.tests.kafka's checker reports
// that make a Maelstrom kafka test invalid (analysis, minus
// allowed-error-types for :sub-via #{:assign} without :ww-deps), in the
// order the verdict quotes them.
var kafkaAnomalies = []string{"lost-write", "unseen", "G1a", "inconsistent-offsets", "duplicate",
	"int-poll-skip", "int-nonmonotonic-poll", "poll-skip", "nonmonotonic-poll", "nonmonotonic-send"}

// kmsg is a message as the checker names it: messages are unique per key
// (Elle's generator writes 1, 2, ... to each key), not across keys.
type kmsg struct {
	key string
	msg int
}

type kpoll struct {
	inv, done history.Op
	asked     map[string]int
	msgs      map[string][][2]int
	commit    map[string]int
}

// kafkaVersions is jepsen.tests.kafka/version-orders: per key, the
// messages seen at each offset (from acknowledged sends and from polls),
// and each offset's dense index among the offsets that hold a message.
type kafkaVersions struct {
	at    map[string]map[int]map[int]bool // key -> offset -> messages
	index map[string]map[int]int          // key -> offset -> dense index
	byMsg map[kmsg][]int                  // message -> offsets it was seen at
}

func (v *kafkaVersions) add(k string, off, m int) {
	if v.at[k] == nil {
		v.at[k] = map[int]map[int]bool{}
	}
	if v.at[k][off] == nil {
		v.at[k][off] = map[int]bool{}
	}
	if !v.at[k][off][m] {
		v.at[k][off][m] = true
		v.byMsg[kmsg{k, m}] = append(v.byMsg[kmsg{k, m}], off)
	}
}

func (v *kafkaVersions) seal() {
	for k, offs := range v.at {
		keys := make([]int, 0, len(offs))
		for o := range offs {
			keys = append(keys, o)
		}
		sort.Ints(keys)
		v.index[k] = map[int]int{}
		for i, o := range keys {
			v.index[k][o] = i
		}
	}
}

// delta is the distance in the version order from offset a to offset b
// of key k (1 when either is unknown, as Jepsen assumes).
func (v *kafkaVersions) delta(k string, a, b int) int {
	i, ok1 := v.index[k][a]
	j, ok2 := v.index[k][b]
	if !ok1 || !ok2 {
		return 1
	}
	return j - i
}

// Kafka checks a kafka history as jepsen.tests.kafka's checker does for
// Maelstrom (analysis and allowed-error-types; the anomalies named
// there):
//
//   - lost-write: an acknowledged send at or below the highest offset of
//     its key any ok poll returned, which no ok poll returned;
//   - unseen: an acknowledged send no ok poll ever returned (the final
//     polls read every key from offset 0);
//   - G1a: a poll returned a message whose send definitely failed;
//   - inconsistent-offsets: two messages at one offset of a key;
//   - duplicate: one message at two offsets of a key;
//   - int-poll-skip, int-nonmonotonic-poll: within one poll of a key,
//     consecutive offsets that pass over an offset known to hold a
//     message, or do not increase;
//   - poll-skip, nonmonotonic-poll: the same between a process's
//     successive polls of a key (an assign keeps the keys it assigns; an
//     indefinite result starts a new process, as in Jepsen);
//   - nonmonotonic-send: a process's successive sends to a key whose
//     offsets do not increase.
//
// Not checked: Elle's cycle search over ww/wr and real-time edges (G1c
// and G-single variants); with single-message operations it finds only
// orders that also show as the anomalies above or in real time.
//
// Findings, beyond Jepsen (see check.Finding): phantom-commit (a listed
// committed offset above every offset a poll had asked to commit) and
// poll-before-offset (a poll's first offset of a key below the one it
// asked for).
func Kafka(in check.Input) check.Result {
	done, open := history.Pairs(in.History)
	v := &kafkaVersions{at: map[string]map[int]map[int]bool{}, index: map[string]map[int]int{}, byMsg: map[kmsg][]int{}}
	acked := map[kmsg]int{} // acknowledged send -> offset
	var ackOrder []kmsg
	failed := map[kmsg]bool{}
	var polls []kpoll
	var sends, assigns int
	for _, p := range done {
		inv, c := p[0], p[1]
		switch inv.F {
		case "send":
			sends++
			var s struct {
				Key    string `json:"key"`
				Msg    int    `json:"msg"`
				Offset *int   `json:"offset"`
			}
			if json.Unmarshal(c.Value, &s) != nil {
				continue
			}
			switch {
			case c.Type == history.OpOK && s.Offset != nil:
				acked[kmsg{s.Key, s.Msg}] = *s.Offset
				ackOrder = append(ackOrder, kmsg{s.Key, s.Msg})
				v.add(s.Key, *s.Offset, s.Msg)
			case c.Type == history.OpFail:
				failed[kmsg{s.Key, s.Msg}] = true
			}
		case "poll":
			if c.Type != history.OpOK {
				continue
			}
			var a struct {
				Offsets map[string]int `json:"offsets"`
			}
			var r struct {
				Msgs   map[string][][2]int `json:"msgs"`
				Commit map[string]int      `json:"commit"`
			}
			if json.Unmarshal(inv.Value, &a) != nil || json.Unmarshal(c.Value, &r) != nil {
				continue
			}
			polls = append(polls, kpoll{inv, c, a.Offsets, r.Msgs, r.Commit})
			for _, k := range sortedKeys(r.Msgs) {
				for _, m := range r.Msgs[k] {
					v.add(k, m[0], m[1])
				}
			}
		case "assign":
			if c.Type == history.OpOK {
				assigns++
			}
		}
	}
	v.seal()
	errs := map[string][]string{}
	add := func(name, format string, args ...any) { errs[name] = append(errs[name], fmt.Sprintf(format, args...)) }

	for _, k := range sortedKeys(v.at) {
		offs := make([]int, 0, len(v.at[k]))
		for o := range v.at[k] {
			offs = append(offs, o)
		}
		sort.Ints(offs)
		for _, o := range offs {
			if ms := v.at[k][o]; len(ms) > 1 {
				add("inconsistent-offsets", "key %s offset %d holds messages %v", k, o, sortedInts(ms))
			}
		}
	}
	for _, m := range sortedMsgs(v.byMsg) {
		if offs := v.byMsg[m]; len(offs) > 1 {
			sort.Ints(offs)
			add("duplicate", "key %s message %d is at offsets %v", m.key, m.msg, offs)
		}
	}

	polled := map[kmsg]bool{}
	maxPolled := map[string]int{}
	for _, p := range polls {
		for _, k := range sortedKeys(p.msgs) {
			ms := p.msgs[k]
			for i, m := range ms {
				polled[kmsg{k, m[1]}] = true
				maxPolled[k] = max(maxPolled[k], m[0])
				if failed[kmsg{k, m[1]}] {
					add("G1a", "poll op %d returned key %s message %d, whose send failed", p.done.Index, k, m[1])
				}
				if i == 0 {
					continue
				}
				switch d := v.delta(k, ms[i-1][0], m[0]); {
				case d > 1:
					add("int-poll-skip", "poll op %d returned key %s offsets %d then %d, skipping %d known offsets", p.done.Index, k, ms[i-1][0], m[0], d-1)
				case d < 1:
					add("int-nonmonotonic-poll", "poll op %d returned key %s offset %d after %d", p.done.Index, k, m[0], ms[i-1][0])
				}
			}
		}
	}
	processOrder(done, v, add)

	var lost, unseen []string
	for _, m := range ackOrder {
		if polled[m] {
			continue
		}
		off := acked[m]
		if hi, ok := maxPolled[m.key]; ok && off <= hi {
			lost = append(lost, fmt.Sprintf("key %s offset %d (message %d)", m.key, off, m.msg))
		} else {
			unseen = append(unseen, fmt.Sprintf("key %s offset %d (message %d)", m.key, off, m.msg))
		}
	}
	sort.Strings(lost)
	sort.Strings(unseen)
	errs["lost-write"] = lost
	errs["unseen"] = unseen

	d := map[string]any{"sends": sends, "acknowledged": len(acked), "polls": len(polls), "assigns": assigns,
		"lost_count": len(lost), "unseen_count": len(unseen)}
	counts := map[string]int{}
	var bad []string
	for _, name := range kafkaAnomalies {
		if n := len(errs[name]); n > 0 {
			counts[name] = n
			bad = append(bad, name)
			d[name] = errs[name][:min(n, 10)]
		}
	}
	d["anomaly_counts"] = counts
	var res check.Result
	switch {
	case len(bad) > 0:
		res = check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("anomalies %v; first: %s: %s", bad, bad[0], errs[bad[0]][0])}
	case len(acked) == 0:
		res = check.Result{Verdict: check.Unknown, Details: d, Summary: "no acknowledged send"}
	default:
		res = check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("%d acknowledged sends, %d polls: every send polled, none lost or skipped, offsets monotonic and consistent", len(acked), len(polls))}
	}
	res.Find("phantom-commit", phantomCommits(done, open, polls))
	var early []string
	for _, p := range polls {
		for _, k := range sortedKeys(p.msgs) {
			if from, ok := p.asked[k]; ok && len(p.msgs[k]) > 0 && p.msgs[k][0][0] < from {
				early = append(early, fmt.Sprintf("poll op %d asked key %s from offset %d and got offset %d first", p.done.Index, k, from, p.msgs[k][0][0]))
			}
		}
	}
	res.Find("poll-before-offset", early)
	return res
}

// processOrder is poll-skip+nonmonotonic-cases and nonmonotonic-send-cases:
// per process, the last offset it polled and sent of each key.
func processOrder(done [][2]history.Op, v *kafkaVersions, add func(name, format string, args ...any)) {
	type last struct{ polled, sent map[string]int }
	procs := map[int]*last{}
	fresh := func() *last { return &last{map[string]int{}, map[string]int{}} }
	for _, p := range done {
		inv, c := p[0], p[1]
		st := procs[inv.Process]
		if st == nil {
			st = fresh()
			procs[inv.Process] = st
		}
		switch {
		case inv.F == "assign" && c.Type == history.OpOK:
			var a struct {
				Keys []string `json:"keys"`
			}
			_ = json.Unmarshal(inv.Value, &a)
			for _, m := range []map[string]int{st.polled, st.sent} {
				for k := range m {
					if !contains(a.Keys, k) {
						delete(m, k)
					}
				}
			}
		case inv.F == "poll" && c.Type == history.OpOK:
			var r struct {
				Msgs map[string][][2]int `json:"msgs"`
			}
			_ = json.Unmarshal(c.Value, &r)
			for _, k := range sortedKeys(r.Msgs) {
				ms := r.Msgs[k]
				if len(ms) == 0 {
					continue
				}
				if prev, ok := st.polled[k]; ok {
					switch d := v.delta(k, prev, ms[0][0]); {
					case d > 1:
						add("poll-skip", "process %d polled key %s up to offset %d, then op %d from offset %d, skipping %d known offsets", inv.Process, k, prev, c.Index, ms[0][0], d-1)
					case d < 1:
						add("nonmonotonic-poll", "process %d polled key %s up to offset %d, then op %d from offset %d", inv.Process, k, prev, c.Index, ms[0][0])
					}
				}
				st.polled[k] = ms[len(ms)-1][0]
			}
		case inv.F == "send" && c.Type == history.OpOK:
			var s struct {
				Key    string `json:"key"`
				Offset *int   `json:"offset"`
			}
			if json.Unmarshal(c.Value, &s) != nil || s.Offset == nil {
				continue
			}
			if prev, ok := st.sent[s.Key]; ok && v.delta(s.Key, prev, *s.Offset) < 1 {
				add("nonmonotonic-send", "process %d sent to key %s at offset %d, then op %d at offset %d", inv.Process, s.Key, prev, c.Index, *s.Offset)
			}
			st.sent[s.Key] = *s.Offset
		}
		if c.Type == history.OpInfo {
			// Jepsen gives a worker a new process after an indefinite result
			procs[inv.Process] = fresh()
		}
	}
}

// phantomCommits lists assigns whose list_committed_offsets named, for a
// key, an offset above every offset that polls invoked before the assign
// completed had committed. An assign after a poll whose commit is in
// doubt (indefinite or never completed) is not judged.
func phantomCommits(done [][2]history.Op, open []history.Op, polls []kpoll) []string {
	var doubt []int64 // invocation times of polls whose commit is unknown
	for _, p := range done {
		if p[0].F == "poll" && p[1].Type == history.OpInfo {
			doubt = append(doubt, p[0].Time)
		}
	}
	for _, op := range open {
		if op.F == "poll" {
			doubt = append(doubt, op.Time)
		}
	}
	var out []string
	for _, p := range done {
		inv, c := p[0], p[1]
		if inv.F != "assign" || c.Type != history.OpOK {
			continue
		}
		var a struct {
			Committed map[string]int `json:"committed"`
		}
		if json.Unmarshal(c.Value, &a) != nil || len(a.Committed) == 0 {
			continue
		}
		inDoubt := false
		for _, t := range doubt {
			inDoubt = inDoubt || t < c.Time
		}
		if inDoubt {
			continue
		}
		most := map[string]int{}
		for _, q := range polls {
			if q.inv.Time >= c.Time {
				continue
			}
			for k, o := range q.commit {
				most[k] = max(o, mapOr(most, k, o))
			}
		}
		for _, k := range sortedKeys(a.Committed) {
			if hi, ok := most[k]; !ok || a.Committed[k] > hi {
				had := "nothing"
				if ok {
					had = fmt.Sprint(hi)
				}
				out = append(out, fmt.Sprintf("assign op %d listed key %s committed at %d, but no poll had committed more than %s", c.Index, k, a.Committed[k], had))
			}
		}
	}
	return out
}

func sortedInts(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func sortedMsgs(m map[kmsg][]int) []kmsg {
	out := make([]kmsg, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].key != out[j].key {
			return out[i].key < out[j].key
		}
		return out[i].msg < out[j].msg
	})
	return out
}
