package mcheck

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// The kafka workload follows Maelstrom's (src/maelstrom/workload/kafka.clj
// in jepsen-io/maelstrom) and the Jepsen workload it wraps
// (jepsen/src/jepsen/tests/kafka.clj in jepsen-io/jepsen, workload with
// :txn? false, :crash-clients? true, :sub-via #{:assign}). The checker is
// in kafkacheck.go.

type kafka struct{}

type kafkaParams struct {
	// KeyCount is the number of keys written at any time (Elle's
	// key-count, default 10).
	KeyCount int `json:"key_count"`
	// MaxWritesPerKey is how many messages a key gets before the
	// generator replaces it with a fresh key (Maelstrom's
	// --max-writes-per-key, default 16).
	MaxWritesPerKey int `json:"max_writes_per_key"`
	// Settle is the quiet time between the last operation and the final
	// polls (Maelstrom waits 10 s "for recovery").
	Settle string `json:"settle"`
}

// Constants of jepsen.tests.kafka and Maelstrom's kafka workload.
const (
	// kafkaSubP: interleave-subscribes' :sub-p default, the chance that an
	// operation is replaced by an assign of its keys.
	kafkaSubP = 1.0 / 64
	// kafkaUnseenP: poll-unseen adds the keys sent but not yet polled to
	// an assign a third of the time.
	kafkaUnseenP = 1.0 / 3
	// kafkaCrashInterval: crash-client-gen's :crash-client-interval
	// default, divided by the concurrency and staggered.
	kafkaCrashInterval = 30 * time.Second
	// kafkaFinalLimit: Maelstrom's workload clips the final polls to 10 s
	// (kafka.clj, workload: (gen/time-limit 10)).
	kafkaFinalLimit = 10 * time.Second
	// kafkaFinalStagger: final-polls polls with (gen/stagger 1/5).
	kafkaFinalStagger = 200 * time.Millisecond
)

// kafkaOp is one operation the generator hands a client.
type kafkaOp struct {
	f    string // send, poll, assign, crash
	key  string // send
	msg  int    // send
	keys []string
}

// kafkaGen is the shared generator: Elle's list-append transactions of
// length 1 (jepsen.tests.cycle.append/test with :max-txn-length 1 when
// not :txn?) rewritten by txn-generator ([:append k v] -> send, [:r k]
// -> poll), interleave-subscribes (an assign of the op's keys instead, 1
// time in 64), poll-unseen (an assign also takes the keys sent but not
// yet polled, 1 time in 3) and track-key-offsets (the highest offset
// seen per key, for the final polls).
type kafkaGen struct {
	pool    *keyPool
	pending *kafkaOp // an op an assign stood in for: offered again next
	sent    map[string]int
	polled  map[string]int
	highest map[string]int // track-key-offsets
}

func (g *kafkaGen) next(spec workload.Spec) kafkaOp {
	op := g.pending
	if op == nil {
		f, k, v := g.pool.mop()
		if f == "r" {
			op = &kafkaOp{f: "poll", keys: []string{strconv.Itoa(k)}}
		} else {
			op = &kafkaOp{f: "send", key: strconv.Itoa(k), msg: v, keys: []string{strconv.Itoa(k)}}
		}
	}
	g.pending = nil
	out := *op
	// InterleaveSubscribes.op: on a draw below sub-p, emit an assign of
	// the op's keys and keep the generator where it was.
	if spec.Rand.Float64() < kafkaSubP {
		g.pending = op
		out = kafkaOp{f: "assign", keys: append([]string(nil), op.keys...)}
	}
	// PollUnseen.op: a third of the assigns also take every key sent but
	// not yet polled.
	if spec.Rand.Float64() < kafkaUnseenP && len(g.sent) > 0 && out.f == "assign" {
		for _, k := range sortedKeys(g.sent) {
			if !contains(out.keys, k) {
				out.keys = append(out.keys, k)
			}
		}
	}
	return out
}

// update is PollUnseen.update and TrackKeyOffsets.update for an ok
// operation: sends and polls advance the highest offsets sent and polled
// per key; keys polled up to what was sent are dropped from both.
func (g *kafkaGen) update(sent, polled map[string]int) {
	for k, o := range sent {
		g.sent[k] = max(o, mapOr(g.sent, k, -1))
		g.highest[k] = max(o, mapOr(g.highest, k, -1))
	}
	for k, o := range polled {
		g.polled[k] = max(o, mapOr(g.polled, k, -1))
		g.highest[k] = max(o, mapOr(g.highest, k, -1))
	}
	for _, k := range sortedKeys(g.sent) {
		if mapOr(g.polled, k, -1) >= g.sent[k] {
			delete(g.sent, k)
			delete(g.polled, k)
		}
	}
}

func mapOr(m map[string]int, k string, def int) int {
	if v, ok := m[k]; ok {
		return v
	}
	return def
}

// kafkaClient is Maelstrom's kafka Client record: offsets maps each
// assigned key to the next offset to poll. A client that returned an
// indefinite result is torn down and opened afresh (Client is not
// client/Reusable), so its offsets start empty again.
type kafkaClient struct {
	c       workload.Client
	node    string // the node Jepsen binds this client's thread to
	offsets map[string]int
	crash   bool   // crash-client-gen picked this client for its next op
	busy    bool   // an operation is in flight
	idle    func() // runs when the operation in flight completes
}

// whenIdle runs f now, or once the client's operation in flight is done
// (a client, as a Jepsen worker thread, runs one operation at a time).
func (kc *kafkaClient) whenIdle(f func()) {
	if !kc.busy {
		f()
		return
	}
	kc.idle = f
}

// Start implements workload.Workload: Maelstrom's kafka client and
// generator.
//
// History: send {"key","msg"} completing {"key","msg","offset"}; poll
// {"offsets"} (what the client asked for) completing {"msgs","commit"}
// (commit: the offsets it then committed); assign {"keys",
// "seek_to_beginning"} completing {"keys","committed"} (what
// list_committed_offsets answered); crash (always info).
func (kafka) Start(s workload.Env, spec workload.Spec) (time.Duration, error) {
	p := kafkaParams{KeyCount: elleKeyCount, MaxWritesPerKey: elleMaxWritesPerKey, Settle: "2s"}
	if err := params("kafka", spec.Params, &p); err != nil {
		return 0, err
	}
	if p.KeyCount < 1 {
		return 0, fmt.Errorf("workload kafka: params.key_count must be at least 1, got %d", p.KeyCount)
	}
	if p.MaxWritesPerKey < 1 {
		return 0, fmt.Errorf("workload kafka: params.max_writes_per_key must be at least 1, got %d", p.MaxWritesPerKey)
	}
	settle, err := duration("kafka", "settle", p.Settle)
	if err != nil {
		return 0, err
	}
	g := &kafkaGen{pool: newKeyPool(spec.Rand, p.KeyCount, p.MaxWritesPerKey), sent: map[string]int{}, polled: map[string]int{}, highest: map[string]int{}}
	clients := map[workload.Client]*kafkaClient{}
	var order []*kafkaClient
	for i, c := range spec.Clients {
		kc := &kafkaClient{c: c, node: boundTarget(spec, i), offsets: map[string]int{}}
		clients[c] = kc
		order = append(order, kc)
	}
	scheduleCrashes(s, spec, order)
	loop(s, spec, 0, func(c workload.Client, target string, done func()) {
		kc := clients[c]
		if kc.crash {
			kc.crash = false
			kc.crashNow()
			done()
			return
		}
		kc.busy = true
		kc.run(spec, g, g.next(spec), target, func() {
			kc.busy = false
			if f := kc.idle; f != nil {
				kc.idle = nil
				f()
			}
			done()
		})
	})
	finalAt := spec.Duration + settle
	s.At(finalAt, func() {
		if len(g.highest) == 0 {
			return // FinalPolls emits nothing without target offsets
		}
		for _, kc := range order {
			kc.whenIdle(func() { kc.finalPolls(s, spec, g, finalAt+kafkaFinalLimit) })
		}
	})
	return finalAt + kafkaFinalLimit + spec.Timeout, nil
}

// scheduleCrashes is crash-client-gen: a {:f :crash} operation every
// crash-client-interval / concurrency seconds, staggered (uniform between
// 0 and twice that), taken by a random client as its next operation.
func scheduleCrashes(s workload.Env, spec workload.Spec, clients []*kafkaClient) {
	if len(clients) == 0 {
		return
	}
	dt := kafkaCrashInterval / time.Duration(len(clients))
	var next func()
	next = func() {
		at := s.Now() + time.Duration(spec.Rand.Int64N(int64(2*dt)))
		if at >= spec.Duration {
			return
		}
		s.At(at, func() {
			clients[spec.Rand.IntN(len(clients))].crash = true
			next()
		})
	}
	next()
}

// crashNow is the client's :crash op: always info, after which Jepsen
// opens a fresh client (empty offsets).
func (kc *kafkaClient) crashNow() {
	kc.c.Invoke("crash", nil, "")
	kc.c.Complete(history.OpInfo, "crash", nil, "", "crash")
	kc.offsets = map[string]int{}
}

// rpcResult is one RPC's outcome as Maelstrom's client/with-errors sees it.
type rpcResult struct {
	body json.RawMessage // the _ok reply
	typ  string          // history.OpOK, or what the error makes the op: OpFail, OpInfo
	err  string
}

// rpc sends body and calls done with the outcome. idempotent is
// with-errors' set: a timeout or error of an idempotent op fails it
// (it can be retried without harm), otherwise only definite errors do.
func rpc(c workload.Client, target string, timeout time.Duration, body map[string]any, idempotent bool, done func(rpcResult)) {
	err := c.Call(target, body, timeout, func(rep history.Reply) {
		indefinite := history.OpInfo
		if idempotent {
			indefinite = history.OpFail
		}
		switch {
		case rep.TimedOut:
			done(rpcResult{typ: indefinite, err: "net-timeout"})
		case rep.Type == fmt.Sprint(body["type"])+"_ok":
			done(rpcResult{typ: history.OpOK, body: rep.Body})
		case rep.Type == "error":
			var e errorBody
			_ = json.Unmarshal(rep.Body, &e)
			typ := indefinite
			if definite[e.Code] {
				typ = history.OpFail
			}
			done(rpcResult{typ: typ, err: fmt.Sprintf("error %d: %s", e.Code, e.Text)})
		default:
			done(rpcResult{typ: history.OpInfo, err: "unexpected reply " + string(rep.Body)})
		}
	})
	if err != nil {
		done(rpcResult{typ: history.OpFail, err: err.Error()})
	}
}

// finish completes an op; an indefinite result tears the client down.
func (kc *kafkaClient) finish(typ, f string, value any, target, errText string) {
	kc.c.Complete(typ, f, value, target, errText)
	if typ == history.OpInfo {
		kc.offsets = map[string]int{}
	}
}

// run performs one operation as Client.invoke! does.
func (kc *kafkaClient) run(spec workload.Spec, g *kafkaGen, op kafkaOp, target string, done func()) {
	switch op.f {
	case "assign":
		kc.assign(spec, op.keys, false, target, done)
	case "send":
		kc.send(spec, g, op, target, done)
	default:
		kc.poll(spec, g, target, func(map[string]int) { done() })
	}
}

// assign is invoke!'s :assign: with seek-to-beginning every key starts at
// 0; otherwise list_committed_offsets, and each assigned key keeps the
// offset the client already had for it, else takes the committed offset
// (polling resumes AT it), else 0: (or (offsets k) (committed k) 0).
// Assign is idempotent in with-errors: a timeout fails it.
func (kc *kafkaClient) assign(spec workload.Spec, keys []string, seek bool, target string, done func()) {
	kc.c.Invoke("assign", map[string]any{"keys": keys, "seek_to_beginning": seek}, target)
	if seek {
		kc.offsets = map[string]int{}
		for _, k := range keys {
			kc.offsets[k] = 0
		}
		kc.finish(history.OpOK, "assign", map[string]any{"keys": keys}, target, "")
		done()
		return
	}
	rpc(kc.c, target, spec.Timeout, map[string]any{"type": "list_committed_offsets", "keys": keys}, true, func(r rpcResult) {
		var body struct {
			Offsets map[string]int `json:"offsets"`
		}
		if r.typ == history.OpOK {
			if err := json.Unmarshal(r.body, &body); err != nil {
				r = rpcResult{typ: history.OpFail, err: fmt.Sprintf("malformed list_committed_offsets_ok: %v", err)}
			}
		}
		if r.typ != history.OpOK {
			kc.finish(r.typ, "assign", map[string]any{"keys": keys}, target, r.err)
			done()
			return
		}
		next := map[string]int{}
		for _, k := range keys {
			switch o, ok := kc.offsets[k]; {
			case ok:
				next[k] = o
			default:
				next[k] = mapOr(body.Offsets, k, 0)
			}
		}
		kc.offsets = next
		if body.Offsets == nil {
			body.Offsets = map[string]int{}
		}
		kc.finish(history.OpOK, "assign", map[string]any{"keys": keys, "committed": body.Offsets}, target, "")
		done()
	})
}

// send is apply-mop!'s :send; a send commits nothing (txn-offsets counts
// polls only).
func (kc *kafkaClient) send(spec workload.Spec, g *kafkaGen, op kafkaOp, target string, done func()) {
	kc.c.Invoke("send", map[string]any{"key": op.key, "msg": op.msg}, target)
	rpc(kc.c, target, spec.Timeout, map[string]any{"type": "send", "key": op.key, "msg": op.msg}, false, func(r rpcResult) {
		var body struct {
			Offset *int `json:"offset"`
		}
		if r.typ == history.OpOK && (json.Unmarshal(r.body, &body) != nil || body.Offset == nil) {
			r = rpcResult{typ: history.OpInfo, err: fmt.Sprintf("malformed send_ok: no offset in %s", r.body)}
		}
		if r.typ != history.OpOK {
			kc.finish(r.typ, "send", map[string]any{"key": op.key, "msg": op.msg}, target, r.err)
			done()
			return
		}
		g.update(map[string]int{op.key: *body.Offset}, nil)
		kc.finish(history.OpOK, "send", map[string]any{"key": op.key, "msg": op.msg, "offset": *body.Offset}, target, "")
		done()
	})
}

// poll is apply-mop!'s :poll followed by invoke!'s commit: poll from the
// client's offsets, advance each polled key to one past its highest
// offset returned (merge-with max), then commit_offsets the highest
// offset polled of each key that returned messages (txn-offsets) before
// the op completes. A poll that fails or times out, or whose commit does,
// is indefinite (with-errors: poll is not idempotent). done gets the
// highest offset polled per key (op->max-poll-offsets), nil unless the
// poll completed ok.
func (kc *kafkaClient) poll(spec workload.Spec, g *kafkaGen, target string, done func(highest map[string]int)) {
	asked := map[string]int{}
	for k, o := range kc.offsets {
		asked[k] = o
	}
	kc.c.Invoke("poll", map[string]any{"offsets": asked}, target)
	rpc(kc.c, target, spec.Timeout, map[string]any{"type": "poll", "offsets": asked}, false, func(r rpcResult) {
		var body struct {
			Msgs map[string][][2]int `json:"msgs"`
		}
		if r.typ == history.OpOK && json.Unmarshal(r.body, &body) != nil {
			r = rpcResult{typ: history.OpInfo, err: fmt.Sprintf("malformed poll_ok: %s", r.body)}
		}
		if r.typ != history.OpOK {
			kc.finish(r.typ, "poll", map[string]any{"offsets": asked}, target, r.err)
			done(nil)
			return
		}
		if body.Msgs == nil {
			body.Msgs = map[string][][2]int{}
		}
		commit := map[string]int{}
		highest := map[string]int{} // op->max-poll-offsets: -1 for an empty list
		for k, pairs := range body.Msgs {
			top := -1
			for _, m := range pairs {
				top = max(top, m[0])
			}
			highest[k] = top
			kc.offsets[k] = max(top+1, mapOr(kc.offsets, k, top+1))
			if len(pairs) > 0 {
				commit[k] = max(top, 0)
			}
		}
		complete := func() {
			g.update(nil, highest)
			kc.finish(history.OpOK, "poll", map[string]any{"msgs": body.Msgs, "commit": commit}, target, "")
			done(highest)
		}
		if len(commit) == 0 {
			complete()
			return
		}
		rpc(kc.c, target, spec.Timeout, map[string]any{"type": "commit_offsets", "offsets": commit}, false, func(cr rpcResult) {
			if cr.typ != history.OpOK {
				kc.finish(cr.typ, "poll", map[string]any{"offsets": asked}, target, "commit_offsets: "+cr.err)
				done(nil)
				return
			}
			complete()
		})
	})
}

// finalPolls is final-polls for one client (gen/each-thread): crash the
// client, assign every key the run touched with seek-to-beginning, then
// poll, staggered, until this client's polls have reached the highest
// offset of every key (FinalPolls.update) or the 10 s limit.
func (kc *kafkaClient) finalPolls(s workload.Env, spec workload.Spec, g *kafkaGen, until time.Duration) {
	target := map[string]int{}
	for k, o := range g.highest {
		target[k] = o
	}
	kc.crashNow()
	var pollNext func()
	pollNext = func() {
		if len(target) == 0 || s.Now() >= until {
			return
		}
		delay := time.Duration(spec.Rand.Int64N(int64(2 * kafkaFinalStagger)))
		s.After(delay, func() {
			if s.Now() >= until {
				return
			}
			kc.poll(spec, g, kc.node, func(highest map[string]int) {
				for _, k := range sortedKeys(highest) {
					if t, ok := target[k]; ok && highest[k] >= t {
						delete(target, k)
					}
				}
				pollNext()
			})
		})
	}
	kc.assign(spec, sortedKeys(target), true, kc.node, pollNext)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
