// Package service holds Maelstrom's built-in services as host-side native
// nodes: lin-kv (a linearizable key-value store), seq-kv (sequentially
// consistent), lww-kv (deliberately weak: last write wins over independent
// replicas) and lin-tso (a linearizable timestamp oracle).
//
// A service answers Maelstrom RPCs with upstream's bodies and error codes
// (src/maelstrom/service.clj): read -> read_ok {value} or error 20; write
// -> write_ok; cas {from, to, create_if_not_exists} -> cas_ok, error 20 (no
// key) or 22 (from does not match); ts -> ts_ok {ts}. A missing key is the
// key null, as upstream reads it. A request upstream cannot handle (a type
// the service does not know, a body that is not an object) gets no reply
// at all, as upstream's service thread logs the exception and answers
// nothing; here the service's log says why. Its state lives in host memory
// for one run; the random choices of seq-kv and lww-kv come from the
// service node's seeded stream, so a run stays a pure function of its seed.
package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/terrarium-sim/terrarium/internal/jsonstr"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/check"
)

// Names lists the services, sorted.
func Names() []string { return []string{"lin-kv", "lin-tso", "lww-kv", "seq-kv"} }

// Maelstrom's error codes the services use.
const (
	codeKeyDoesNotExist = 20
	codePrecondition    = 22
)

// seqBuffer is how many past states seq-kv keeps for reads (upstream: 32).
const seqBuffer = 32

// lwwReplicas is how many independent replicas lww-kv simulates
// (upstream's default: 2).
const lwwReplicas = 2

// New returns a fresh instance of the named service, as a native node
// function for sim.NodeSpec.Native.
func New(name string) (nodes.NativeFunc, error) {
	var h handler
	switch name {
	case "lin-kv":
		h = &linear{state: linKV{}}
	case "lin-tso":
		h = &linear{state: tsoState{}}
	case "seq-kv":
		h = &sequential{buf: []state{kvState{}}, clients: map[string]int{}}
	case "lww-kv":
		l := &eventual{}
		for range lwwReplicas {
			l.replicas = append(l.replicas, lwwState{m: map[string]lwwValue{}})
		}
		h = l
	default:
		return nil, fmt.Errorf("service: unknown service %q (known: %v)", name, Names())
	}
	return func(host abi.Host, from int32, msg []byte) { serve(host, h, from, msg) }, nil
}

// request is a decoded request.
type request struct {
	src   string
	typ   string
	msgID *int64
	key   string // canonical JSON of "key"
	rawK  json.RawMessage
	value json.RawMessage
	from  string // canonical JSON of "from"
	to    json.RawMessage
	cine  bool
	// dropped, if set, is why the request gets no reply.
	dropped string
}

// reply is a response body without in_reply_to; nil means no reply.
type reply map[string]any

// noReply returns the nil reply with the reason recorded in r.
func noReply(r *request, why string) reply {
	r.dropped = why
	return nil
}

func errReply(code int, text string) reply {
	return reply{"type": "error", "code": code, "text": text}
}

// handler answers one request; rnd draws from the service's stream.
type handler interface {
	handle(r *request, rnd func(n int) int) reply
}

func serve(host abi.Host, h handler, from int32, msg []byte) {
	var env struct {
		Src  string          `json:"src"`
		Dest string          `json:"dest"`
		Body json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(msg, &env); err != nil {
		host.Log(abi.LevelWarn, fmt.Appendf(nil, "service: dropping a message that is not a JSON envelope: %v", err))
		return
	}
	var body struct {
		Type  string          `json:"type"`
		MsgID *int64          `json:"msg_id"`
		Reply *int64          `json:"in_reply_to"`
		Key   json.RawMessage `json:"key"`
		Value json.RawMessage `json:"value"`
		From  json.RawMessage `json:"from"`
		To    json.RawMessage `json:"to"`
		CINE  bool            `json:"create_if_not_exists"`
	}
	if err := json.Unmarshal(env.Body, &body); err != nil {
		// upstream (service-thread) throws on a body it cannot read and
		// answers nothing
		host.Log(abi.LevelWarn, fmt.Appendf(nil, "service: no reply to %s: malformed request body: %v", env.Src, err))
		return
	}
	if body.Reply != nil {
		return // a stray reply: services send no requests
	}
	r := &request{src: env.Src, typ: body.Type, msgID: body.MsgID, rawK: body.Key, value: body.Value, to: body.To, cine: body.CINE,
		key: canonical(body.Key), from: canonical(body.From)}
	out := h.handle(r, func(n int) int { return int(host.Rand() % uint64(n)) })
	if out == nil {
		host.Log(abi.LevelWarn, fmt.Appendf(nil, "service: no reply to %s (as Maelstrom, whose service throws and answers nothing): %s", env.Src, r.dropped))
		return
	}
	if body.MsgID != nil {
		out["in_reply_to"] = *body.MsgID
	}
	b, err := encodeReply(env.Dest, env.Src, out)
	if err != nil {
		host.Log(abi.LevelError, fmt.Appendf(nil, "service: encode reply: %v", err))
		return
	}
	host.Send(from, b)
}

// encodeReply writes what json.Marshal writes for the envelope
// {"src":src,"dest":dest,"body":out}: keys sorted, strings as
// internal/jsonstr writes them. Replies are strings, integers and stored
// values; a stored value that json.Marshal would change (it compacts and
// escapes HTML) sends the whole reply through json.Marshal. Reflection
// over a map per reply was a fifth of lin-kv's time in kafka 5b.
func encodeReply(src, dest string, out reply) ([]byte, error) {
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := append(make([]byte, 0, 128), `{"body":{`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendPlain(append(jsonstr.Append(b, k), ':'), out[k]); !ok {
			return json.Marshal(map[string]any{"src": src, "dest": dest, "body": out})
		}
	}
	b = jsonstr.Append(append(b, `},"dest":`...), dest)
	b = jsonstr.Append(append(b, `,"src":`...), src)
	return append(b, '}'), nil
}

// appendPlain appends v as json.Marshal would if it is a string, an
// integer, or a JSON value Marshal copies unchanged; ok is false otherwise.
func appendPlain(b []byte, v any) (_ []byte, ok bool) {
	switch x := v.(type) {
	case string:
		return jsonstr.Append(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case json.RawMessage:
		if len(x) == 0 || bytes.ContainsAny(x, " \t\r\n<>&\u2028\u2029") {
			return b, false
		}
		return append(b, x...), true
	}
	return b, false
}

// canonical re-encodes a JSON value so that equal values compare equal as
// strings (object keys sorted, whitespace dropped); an absent value is
// null, as upstream's parsed body reads it (nil).
func canonical(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "null"
	}
	return check.CanonicalJSON(raw)
}

// state is one persistent (immutable) state of a service: apply returns
// the next state (the same one when nothing changed) and the reply.
type state interface {
	apply(r *request) (next state, changed bool, out reply)
}

// kvState is upstream's persistent KV: canonical key -> raw value. It is
// immutable: seq-kv keeps past states, so a change makes a copy.
type kvState map[string]json.RawMessage

// apply follows upstream's PersistentKV handle. changed is upstream's test
// (= service service'): a write or cas that stores the value already there
// leaves the state equal, hence unchanged.
func (m kvState) apply(r *request) (state, bool, reply) {
	v, out := m.decide(r)
	if v == nil {
		return m, false, out
	}
	cur, ok := m[r.key]
	return m.with(r.key, v), !ok || canonical(cur) != canonical(v), out
}

// decide answers r from m and returns the value r stores there (nil: none,
// the state stays as it is).
func (m kvState) decide(r *request) (json.RawMessage, reply) {
	if r.typ != "read" && r.typ != "write" && r.typ != "cas" {
		return nil, noReply(r, fmt.Sprintf("kv services take read, write and cas, not %q", r.typ))
	}
	cur, ok := m[r.key]
	switch r.typ {
	case "read":
		if !ok {
			return nil, errReply(codeKeyDoesNotExist, "key does not exist")
		}
		return nil, reply{"type": "read_ok", "value": cur}
	case "write":
		return orNull(r.value), reply{"type": "write_ok"}
	}
	switch {
	case !ok && !r.cine:
		return nil, errReply(codeKeyDoesNotExist, "key does not exist")
	case ok && canonical(cur) != r.from:
		return nil, errReply(codePrecondition, fmt.Sprintf("current value %s is not %s", cur, r.from))
	}
	return orNull(r.to), reply{"type": "cas_ok"}
}

// orNull is v, or JSON null for an absent value.
func orNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}

func (m kvState) with(k string, v json.RawMessage) kvState {
	n := make(kvState, len(m)+1)
	for a, b := range m {
		n[a] = b
	}
	n[k] = slices.Clone(v)
	return n
}

// linKV is lin-kv's state. Only the current state exists (linear keeps no
// past ones), so a change is made in place: copying the whole map on
// every write made a run's cost grow with the square of its keys (the
// kafka 5b shape spent a quarter of its time copying; RATIONALE.md,
// "Heavy workloads"). changed reports that r stored a value, equal to the
// old one or not: linear does not read it.
type linKV map[string]json.RawMessage

func (m linKV) apply(r *request) (state, bool, reply) {
	v, out := kvState(m).decide(r)
	if v == nil {
		return m, false, out
	}
	m[r.key] = slices.Clone(v)
	return m, true, out
}

// tsoState is upstream's timestamp oracle: the next timestamp.
type tsoState struct{ next int64 }

func (t tsoState) apply(r *request) (state, bool, reply) {
	if r.typ != "ts" {
		return t, false, noReply(r, fmt.Sprintf("lin-tso takes ts, not %q", r.typ))
	}
	return tsoState{t.next + 1}, true, reply{"type": "ts_ok", "ts": t.next}
}

// linear applies every request to the one current state, in arrival
// order: linearizable, since the service handles one request at a time.
type linear struct{ state state }

func (l *linear) handle(r *request, _ func(int) int) reply {
	next, _, out := l.state.apply(r)
	l.state = next
	return out
}

// sequential is upstream's Sequential wrapper (src/maelstrom/service.clj,
// Sequential's handle!) with its ring buffer of seqBuffer states
// (amalloy/ring-buffer 1.3.1). A request from a client picks an index
// uniformly from the last index that client was served at to the newest,
// and runs on the state that many steps back from the newest, modulo the
// states the buffer holds: upstream's nth on its ring buffer wraps, so a
// client more than seqBuffer states behind may see any state in the
// buffer, and keeps its old index. If the request leaves that state equal,
// its reply stands and the client's index becomes the one picked;
// otherwise it runs again on the newest state, whose successor is
// appended, and the client's index becomes the new newest.
type sequential struct {
	buf     []state // oldest first; buf[len-1] is the newest, index last
	last    int
	clients map[string]int
}

func (s *sequential) handle(r *request, rnd func(int) int) reply {
	seen := s.clients[r.src] // upstream: (get clients client 0)
	idx := seen + rnd(s.last-seen+1)
	back := (s.last - idx) % len(s.buf) // (nth buffer (dec (- index last-index))) wraps
	st := s.buf[len(s.buf)-1-back]
	_, changed, out := st.apply(r)
	if out == nil {
		return nil // upstream throws inside swap!: no state change, no reply
	}
	if !changed {
		s.clients[r.src] = idx
		return out
	}
	next, _, out := s.buf[len(s.buf)-1].apply(r)
	s.last++
	s.buf = append(s.buf, next)
	if len(s.buf) > seqBuffer {
		s.buf = s.buf[1:]
	}
	s.clients[r.src] = s.last
	return out
}

// lwwValue is a value with the Lamport timestamp of its write.
type lwwValue struct {
	ts    int64
	value json.RawMessage
}

// lwwState is one replica of upstream's lww-kv.
type lwwState struct {
	clock int64
	m     map[string]lwwValue
}

func (l lwwState) apply(r *request) (lwwState, reply) {
	if r.typ != "read" && r.typ != "write" && r.typ != "cas" {
		return l, noReply(r, fmt.Sprintf("kv services take read, write and cas, not %q", r.typ))
	}
	cur, ok := l.m[r.key]
	switch r.typ {
	case "read":
		if !ok {
			return l, errReply(codeKeyDoesNotExist, "key does not exist")
		}
		return l, reply{"type": "read_ok", "value": cur.value}
	case "write":
		return l.with(r.key, r.value), reply{"type": "write_ok"}
	}
	switch {
	case !ok: // upstream's lww-kv ignores create_if_not_exists
		return l, errReply(codeKeyDoesNotExist, "key does not exist")
	case canonical(cur.value) != r.from:
		return l, errReply(codePrecondition, fmt.Sprintf("current value %s is not %s", cur.value, r.from))
	}
	return l.with(r.key, r.to), reply{"type": "cas_ok"}
}

// with stores v under k, in place: eventual keeps only each replica's
// current state.
func (l lwwState) with(k string, v json.RawMessage) lwwState {
	l.m[k] = lwwValue{ts: l.clock, value: slices.Clone(orNull(v))}
	return lwwState{clock: l.clock + 1, m: l.m}
}

// eventual is upstream's Eventual wrapper over lww-kv replicas
// (src/maelstrom/service.clj, Eventual's handle!). Upstream draws a merge
// of one random replica into another, but then applies the request to
// the replicas as they were before that merge, so the merge is lost:
// the replicas never exchange state. We draw the same three numbers and
// do the same, so a write is seen only by requests that land on its
// replica; reads can be stale and writes can seem lost for good.
type eventual struct{ replicas []lwwState }

func (e *eventual) handle(r *request, rnd func(int) int) reply {
	n := len(e.replicas)
	_, _ = rnd(n), rnd(n) // merge source and destination, discarded as upstream's are
	i := rnd(n)
	next, out := e.replicas[i].apply(r)
	if out == nil {
		return nil
	}
	e.replicas[i] = next
	return out
}
