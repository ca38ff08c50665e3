package maelstrom

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/abi"
)

// HandlerFunc handles one message. An error it returns is sent back to the
// requester: an *RPCError as is, any other error as a Crash error.
type HandlerFunc func(msg Message) error

type handler struct {
	typ    string
	fn     HandlerFunc
	inline bool
}

// pending is an RPC waiting for its reply: a callback (RPC) or a channel
// (SyncRPC).
type pending struct {
	fn HandlerFunc
	ch chan Message
	// inline runs fn in the call that delivers the reply (RPCInline).
	inline bool
	// dest is where the request went: only a reply from there counts.
	dest string
}

// Node is this Wasm instance's node.
type Node struct {
	host host

	mu        sync.Mutex
	id        string
	nodeIDs   []string
	role      string
	params    json.RawMessage
	restarted bool
	indexOf   map[string]int32
	nameOf    []string
	// byHost is set when the init document left the names out (a large
	// run): names are then asked of the host and remembered in indexOf
	// and names, and nodeCount is the number of nodes.
	byHost    bool
	nodeCount int32
	names     []indexedName // sorted by index
	nextMsgID int
	sendBuf   []byte // the envelope of the last send, kept for the next
	handlers  map[string]handler
	callbacks map[int]pending
	// tickers are the TickInline functions by their next host timer id,
	// made at the first TickInline (a map made for every node would move
	// every Go guest's allocations, and with them its goroutines' order).
	tickers map[int64]ticker
	store   Store

	// Goroutine handlers and callbacks run on a pool of workers: a parked
	// worker takes the next job, and a new one starts when none is idle.
	// Reusing them saves creating a goroutine and growing its stack again
	// for every message, which in a wasm guest costs more than the rest of
	// the dispatch.
	jobs        chan job
	idleWorkers int

	// goroutines counts goroutines around an inline handler
	// (runtime.NumGoroutine; tests on a multi-threaded host replace it,
	// since there other goroutines come and go meanwhile).
	goroutines func() int
}

// maxSendBuf bounds the envelope buffer kept between sends.
const maxSendBuf = 64 << 10

// maxIdleWorkers bounds the workers kept parked (and their stacks).
const maxIdleWorkers = 16

// job is a message for a goroutine handler (hd) or an RPC callback (cb).
type job struct {
	hd    handler
	cb    HandlerFunc
	msg   Message
	msgID int
}

// global is the node of this instance; the exports feed it.
var global = newNode(nil)

// NewNode returns this instance's node. There is one node per Wasm
// instance: every call returns the same *Node. Its identity (ID, NodeIDs,
// Role, Params, Restarted) is already set when main runs.
func NewNode() *Node { return global }

func newNode(h host) *Node {
	n := &Node{
		host:       h,
		indexOf:    map[string]int32{},
		handlers:   map[string]handler{},
		callbacks:  map[int]pending{},
		jobs:       make(chan job, maxIdleWorkers),
		goroutines: runtime.NumGoroutine,
	}
	n.store.n = n
	return n
}

// setup applies the init document.
func (n *Node) setup(doc []byte) error {
	var d abi.Init // the host's own declaration of the document
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("maelstrom: bad init document: %w", err)
	}
	if d.Node == "" {
		return errors.New("maelstrom: init document has no node name")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.id = d.Node
	n.nodeIDs = d.Nodes
	n.role = d.Role
	n.params = d.Params
	n.restarted = d.Restart
	n.byHost = !d.Listed()
	if n.byHost {
		n.nodeCount = d.NodeCount
	} else {
		n.nameOf = append(append(append([]string(nil), d.Nodes...), d.Services...), d.Clients...)
		for i, name := range n.nameOf {
			n.indexOf[name] = int32(i)
		}
	}
	if d.Restart && n.host != nil {
		// Replies to a previous incarnation's requests can still arrive:
		// start this one's msg ids at the virtual time in ns, past any the
		// previous one is likely to have used.
		n.nextMsgID = int(n.host.now())
	}
	return nil
}

// ID returns this node's name, e.g. "n1".
func (n *Node) ID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.id
}

// NodeIDs returns every node's name by index (clients not included), the
// same list on every node. In a run too large for the init document to
// list the names, the first call builds the list from the host.
func (n *Node) NodeIDs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nodeIDsLocked()
}

// nodeIDsLocked returns the node list, building it first if the init
// document left it out. Callers hold n.mu.
func (n *Node) nodeIDsLocked() []string {
	if n.nodeIDs == nil && n.byHost {
		ids := make([]string, 0, max(n.nodeCount, 0))
		for i := range max(n.nodeCount, 0) {
			name, _ := n.nameAt(i)
			ids = append(ids, name)
		}
		n.nodeIDs = ids
	}
	return n.nodeIDs
}

// indexOfName returns the index of the endpoint called name. Callers hold
// n.mu.
func (n *Node) indexOfName(name string) (int32, bool) {
	if i, ok := n.indexOf[name]; ok {
		return i, true
	}
	if !n.byHost || n.host == nil {
		return 0, false
	}
	i := n.host.nodeIndex(name)
	if i < 0 {
		return 0, false
	}
	n.remember(i, name)
	return i, true
}

// indexedName is a name the host gave for an index.
type indexedName struct {
	i    int32
	name string
}

// remember caches a name the host gave. The cache is a sorted slice, not a
// map: creating a map draws from the Go runtime's random stream, and a
// guest that iterates over maps would then see another order than with
// the names listed, and the run another trace. Callers hold n.mu.
func (n *Node) remember(i int32, name string) {
	n.indexOf[name] = i
	k, found := slices.BinarySearchFunc(n.names, i, func(e indexedName, i int32) int { return cmp.Compare(e.i, i) })
	if !found {
		n.names = slices.Insert(n.names, k, indexedName{i, name})
	}
}

// nameAt returns the name of endpoint i. Callers hold n.mu.
func (n *Node) nameAt(i int32) (string, bool) {
	if !n.byHost {
		if i >= 0 && int(i) < len(n.nameOf) {
			return n.nameOf[i], true
		}
		return "", false
	}
	if k, ok := slices.BinarySearchFunc(n.names, i, func(e indexedName, i int32) int { return cmp.Compare(e.i, i) }); ok {
		return n.names[k].name, true
	}
	if n.host == nil {
		return "", false
	}
	var small [64]byte
	buf := small[:]
	k := n.host.nodeName(i, buf)
	if int(k) > len(buf) {
		buf = make([]byte, k)
		k = n.host.nodeName(i, buf)
	}
	if k < 0 || int(k) > len(buf) {
		return "", false
	}
	name := string(buf[:k])
	n.remember(i, name)
	return name, true
}

// Role returns this node's role in the scenario.
func (n *Node) Role() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.role
}

// Params returns the scenario's parameters for this node's role (raw JSON,
// nil if none).
func (n *Node) Params() json.RawMessage {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.params
}

// ParamsInto decodes the role's parameters (Params) into v with
// encoding/json; with no parameters it leaves v as it is.
func (n *Node) ParamsInto(v any) error {
	p := n.Params()
	if len(p) == 0 {
		return nil
	}
	if err := json.Unmarshal(p, v); err != nil {
		return fmt.Errorf("maelstrom: params: %w", err)
	}
	return nil
}

// Restarted reports whether this instance replaces one that crashed: the
// node's Store holds what the previous one synced.
func (n *Node) Restarted() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.restarted
}

// Now returns the node's virtual clock (with its skew): Now().UnixNano()
// is the virtual time since the start of the run, as the ABI's now import
// gives it. time.Now() is virtual too but reads a fixed epoch plus the same
// virtual time; timers, tickers, time.Sleep and context deadlines all run
// on virtual time.
func (n *Node) Now() time.Time {
	if n.host == nil {
		return time.Time{}
	}
	return time.Unix(0, n.host.now())
}

// Store returns the node's own durable store. (Upstream's KV, the
// client of the lin-kv, seq-kv and lww-kv services, is NewKV.)
func (n *Node) Store() *Store { return &n.store }

// Handle registers fn for messages of type typ. Each message is handled in
// its own goroutine, as in Maelstrom (a parked one from a small pool when
// there is one): fn may block (SyncRPC, time.Sleep, channels, mutexes).
// It panics if typ already has a handler. Handle may be called at any
// time, also after Run.
func (n *Node) Handle(typ string, fn HandlerFunc) { n.register(typ, fn, false) }

// HandleInline registers fn for messages of type typ to run inline, in the
// host's on_message call, without starting a goroutine or waiting for the
// node to go idle: several times cheaper than Handle.
//
// The contract: fn must not block and must not make another goroutine
// runnable or change timers. It may decode, compute, update state under
// a mutex no blocked goroutine holds, Send, Reply, RPC (the callback runs
// later, in a goroutine), use Store, Emit and Log. It must not call SyncRPC,
// time.Sleep, wait on channels or WaitGroups, send on a channel another
// goroutine waits on, or create timers (time.AfterFunc, time.NewTimer,
// context.WithTimeout): the host would not learn of them.
//
// If fn starts goroutines (runtime.NumGoroutine changed during the call)
// the SDK waits for the idle point as Handle does, so that is safe. If fn
// blocks until the node is idle (time.Sleep, SyncRPC, a channel nobody
// will send on), the node crashes with a message naming this contract.
func (n *Node) HandleInline(typ string, fn HandlerFunc) { n.register(typ, fn, true) }

// ticker is one TickInline registration.
type ticker struct {
	every time.Duration
	fn    func()
}

// TickInline runs fn every d of virtual time, the first time d from now,
// inline in the host's on_timer call, under HandleInline's contract (fn
// must not block; if it starts goroutines the SDK waits for the idle
// point). It is the cheap way to do periodic work such as gossip: a
// goroutine reading a time.Ticker wakes the node's scheduler at every
// tick, two goroutine switches and an idle point, which in a wasm guest
// cost more than most handlers (RATIONALE.md, "Where a Go guest's event
// goes"). A restarted node starts with no tickers: main registers them
// again. It panics if d is not positive or fn is nil; outside Terrarium
// it returns an error.
func (n *Node) TickInline(d time.Duration, fn func()) error {
	if d <= 0 || fn == nil {
		panic(fmt.Sprintf("maelstrom: TickInline needs a positive interval and a function, got %v", d))
	}
	if n.host == nil {
		return errNoHost
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.armLocked(ticker{every: d, fn: fn})
	return nil
}

// armLocked sets t's next host timer. The caller holds n.mu.
func (n *Node) armLocked(t ticker) {
	if n.tickers == nil {
		n.tickers = map[int64]ticker{}
	}
	n.tickers[n.host.timerSet(int64(t.every))] = t
}

// fire runs the ticker whose host timer id fired, after arming its next
// tick; it reports whether fn left work for other goroutines (the caller
// then waits for the idle point).
func (n *Node) fire(id int64) bool {
	n.mu.Lock()
	t, ok := n.tickers[id]
	if ok {
		delete(n.tickers, id)
		n.armLocked(t)
	}
	n.mu.Unlock()
	if !ok {
		return false
	}
	g := n.goroutines()
	t.fn()
	return n.goroutines() != g
}

func (n *Node) register(typ string, fn HandlerFunc, inline bool) {
	if fn == nil {
		panic("maelstrom: nil handler for " + typ)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.handlers[typ]; ok {
		panic(fmt.Sprintf("maelstrom: duplicate handler for %q messages", typ))
	}
	n.handlers[typ] = handler{typ: typ, fn: fn, inline: inline}
}

// Send sends body (anything that encodes as a JSON object) to dest, a
// node or client name. It does not add a msg_id. A json.RawMessage body
// is sent as it is.
func (n *Node) Send(dest string, body any) error {
	b, err := marshalBody(body)
	if err != nil {
		return err
	}
	return n.sendRaw(dest, b, "", 0)
}

// Reply sends body to req's sender with in_reply_to set to req's msg_id.
func (n *Node) Reply(req Message, body any) error {
	msgID := 0
	if req.from > 0 {
		msgID = req.msgID // deliver read it
	} else if h, ok := scanHeader(req.Body); ok {
		msgID = h.MsgID
	} else {
		h, err := parseHeader(req.Body)
		if err != nil {
			return err
		}
		msgID = h.MsgID
	}
	b, err := marshalBody(body)
	if err != nil {
		return err
	}
	if msgID == 0 {
		return n.sendRaw(req.Src, b, "", 0)
	}
	return n.sendRaw(req.Src, b, "in_reply_to", msgID)
}

// RPC sends body to dest with a fresh msg_id and calls handler, in its own
// goroutine, with the reply (an error reply too: see Message.RPCError). A
// reply that never comes leaves the callback registered.
func (n *Node) RPC(dest string, body any, handler HandlerFunc) error {
	return n.rpc(dest, body, pending{fn: handler})
}

// RPCInline is RPC with a callback that runs inline, in the host's call
// that delivers the reply, under HandleInline's contract (it must not
// block; if it starts goroutines the SDK waits for the idle point): it
// saves the callback's goroutine hand-off and idle point.
func (n *Node) RPCInline(dest string, body any, handler HandlerFunc) error {
	return n.rpc(dest, body, pending{fn: handler, inline: true})
}

// SyncRPC sends body to dest with a fresh msg_id and waits for the reply
// or for ctx to end. An error reply is returned as an *RPCError together
// with the message. Deadlines run on virtual time.
func (n *Node) SyncRPC(ctx context.Context, dest string, body any) (Message, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, err
	}
	ch := make(chan Message, 1)
	p := pending{ch: ch}
	id, err := n.rpcID(dest, body, p)
	if err != nil {
		return Message{}, err
	}
	select {
	case <-ctx.Done():
		n.mu.Lock()
		delete(n.callbacks, id)
		n.mu.Unlock()
		return Message{}, ctx.Err()
	case m := <-ch:
		if e := m.RPCError(); e != nil {
			return m, e
		}
		return m, nil
	}
}

func (n *Node) rpc(dest string, body any, p pending) error {
	_, err := n.rpcID(dest, body, p)
	return err
}

func (n *Node) rpcID(dest string, body any, p pending) (int, error) {
	b, err := marshalBody(body)
	if err != nil {
		return 0, err
	}
	n.mu.Lock()
	n.nextMsgID++
	id := n.nextMsgID
	p.dest = dest
	n.callbacks[id] = p
	n.mu.Unlock()
	if err = n.sendRaw(dest, b, "msg_id", id); err != nil {
		n.mu.Lock()
		delete(n.callbacks, id)
		n.mu.Unlock()
		return 0, err
	}
	return id, nil
}

// sendRaw wraps an encoded body, with "key":v added unless key is "", in
// the envelope and hands it to the host.
func (n *Node) sendRaw(dest string, body []byte, key string, v int) error {
	if n.host == nil {
		return errNoHost
	}
	if dest == "" || dest == abi.InitSource {
		return nil // a reply to the init message (init_ok): the host swallows it, as Maelstrom's does
	}
	if key != "" && hasKey(body, key) {
		var err error
		if body, err = setIntField(body, key, v); err != nil {
			return err
		}
		key = ""
	}
	n.mu.Lock()
	to, ok := n.indexOfName(dest)
	src := n.id
	n.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownDestination, dest)
	}
	// The host copies what it is given before send returns, and nothing
	// between building the envelope and sending it can block, so one
	// buffer serves every send.
	n.mu.Lock()
	env := appendEnvelope(n.sendBuf[:0], src, dest, body, key, v)
	rc := n.host.send(to, env)
	if cap(env) <= maxSendBuf {
		n.sendBuf = env
	}
	n.mu.Unlock()
	switch rc {
	case 0:
		return nil
	case abiUnknownDst:
		return fmt.Errorf("%w %q", ErrUnknownDestination, dest)
	case abiTooLarge:
		return ErrTooLarge
	case abiQuota:
		return ErrInFlight
	default:
		return fmt.Errorf("maelstrom: send returned %d", rc)
	}
}

// intern returns b as a string, without allocating for a node or client
// name. Callers hold n.mu.
func (n *Node) intern(b []byte) string {
	if i, ok := n.indexOf[string(b)]; ok {
		name, _ := n.nameAt(i)
		return name
	}
	return string(b)
}

// deliver routes one delivered message; data becomes the message's body
// storage. It reports whether it left work for other goroutines, i.e.
// whether the caller must wait for the idle point before returning to the
// host.
func (n *Node) deliver(from int32, data []byte) bool {
	src, dest, body, h, ok := scanEnvelope(data)
	return n.route(from, data, src, dest, body, h, ok)
}

// deliverRead is deliver for an envelope the host has read already
// (on_envelope, docs/ABI.md): src, dest, body and typ are spans of data,
// offset << 32 | length (0: absent). Spans that do not fit data make it
// read the envelope itself.
func (n *Node) deliverRead(from int32, data []byte, src, dest, body, typ, msgID, inReplyTo int64) bool {
	s, ok1 := spanOf(data, src)
	d, ok2 := spanOf(data, dest)
	b, ok3 := spanOf(data, body)
	t, ok4 := spanOf(data, typ)
	if !ok1 || !ok2 || !ok3 || !ok4 || b == nil {
		return n.deliver(from, data)
	}
	return n.route(from, data, s, d, b, rawHeader{Type: t, MsgID: int(msgID), InReplyTo: int(inReplyTo)}, true)
}

// spanOf returns the bytes of data that span (offset << 32 | length)
// names: nil for 0, ok false if they are not inside data.
func spanOf(data []byte, span int64) ([]byte, bool) {
	if span == 0 {
		return nil, true
	}
	off, n := uint64(span)>>32, uint64(span)&0xffffffff
	if off > uint64(len(data)) || n > uint64(len(data))-off {
		return nil, false
	}
	return data[off : off+n : off+n], true
}

// route hands a message on, once its envelope is read (ok false: the
// scanner could not read it, and encoding/json does).
func (n *Node) route(from int32, data, src, dest, body []byte, h rawHeader, ok bool) bool {
	var msg Message
	var typ string // set only on the slow path
	if ok {
		n.mu.Lock()
		msg.Body = body
		// The sender is set from the host's index below; only an index the
		// init document does not name needs the envelope's.
		if from < 0 || int(from) >= len(n.nameOf) {
			msg.Src = n.intern(src)
		}
		if string(dest) == n.id {
			msg.Dest = n.id
		} else {
			msg.Dest = n.intern(dest)
		}
	} else {
		m, mb, err := decodeEnvelopeJSON(data)
		if err != nil {
			n.Logf(LevelWarn, "dropping a message from index %d that is not a JSON envelope: %v", from, err)
			return false
		}
		msg, typ = m, mb.Type
		h = rawHeader{MsgID: mb.MsgID, InReplyTo: mb.InReplyTo}
		n.mu.Lock()
	}
	// The sender is who the host says it is, whatever the envelope claims;
	// only an index the init document does not name keeps the envelope's.
	if name, ok := n.nameAt(from); ok {
		msg.Src = name
		msg.from, msg.msgID = from+1, h.MsgID
	}
	if h.InReplyTo != 0 {
		// A reply counts only from the node the request went to (by the
		// host's index): another node cannot answer for it.
		if p, ok := n.callbacks[h.InReplyTo]; ok && p.dest == msg.Src {
			delete(n.callbacks, h.InReplyTo)
			n.mu.Unlock()
			if p.ch != nil {
				p.ch <- msg // buffered, and only one reply is routed per id
				return true
			}
			if p.inline {
				g := n.goroutines()
				n.runCallback(p.fn, msg)
				return n.goroutines() != g
			}
			n.spawn(job{cb: p.fn, msg: msg})
			return true
		}
	}
	var hd handler
	if ok {
		hd, ok = n.handlers[string(h.Type)]
	} else {
		hd, ok = n.handlers[typ]
	}
	n.mu.Unlock()
	if !ok {
		if h.InReplyTo != 0 {
			n.Logf(LevelDebug, "ignoring a reply to %d with no callback: %s", h.InReplyTo, data)
			return false
		}
		// Upstream's library stops (Run returns "No handler for ..."): so
		// does this node, crashing with a reason that names the type.
		n.stop(noHandler(typ, h.Type, data))
	}
	if !hd.inline {
		n.spawn(job{hd: hd, msg: msg, msgID: h.MsgID})
		return true
	}
	g := n.goroutines()
	n.runHandler(hd, msg, h.MsgID)
	return n.goroutines() != g
}

// noHandler is the crash reason of a message with no handler: its type
// (typ from the slow path, raw from the fast one) and the message, clipped.
func noHandler(typ string, raw []byte, data []byte) string {
	if typ == "" {
		typ = string(raw)
	}
	const clipAt = 200
	msg := string(data)
	if len(msg) > clipAt {
		msg = msg[:clipAt] + "..."
	}
	return fmt.Sprintf("maelstrom: no handler for message type %q: %s", typ, msg)
}

// stop ends the node with reason (the host's stop does not return on
// wasip1); without a host, or with a host that returns, it panics.
func (n *Node) stop(reason string) {
	if n.host != nil {
		n.host.stop(reason)
	}
	panic(reason)
}

// spawn runs j in a goroutine: a parked worker if there is one.
func (n *Node) spawn(j job) {
	n.mu.Lock()
	if n.idleWorkers > 0 {
		n.idleWorkers--
		n.mu.Unlock()
		n.jobs <- j // buffered: never blocks, a parked worker takes it
		return
	}
	n.mu.Unlock()
	go n.worker(j)
}

func (n *Node) worker(j job) {
	for {
		if j.cb != nil {
			n.runCallback(j.cb, j.msg)
		} else {
			n.runHandler(j.hd, j.msg, j.msgID)
		}
		n.mu.Lock()
		if n.idleWorkers >= maxIdleWorkers {
			n.mu.Unlock()
			return
		}
		n.idleWorkers++
		n.mu.Unlock()
		j = <-n.jobs
	}
}

func (n *Node) runHandler(hd handler, msg Message, msgID int) {
	returned := false
	defer func() {
		// A panic is unwinding the handler: name it for the crash reason.
		if !returned && n.host != nil {
			n.host.handlerPanicked(hd.typ)
		}
	}()
	err := hd.fn(msg)
	returned = true
	if err == nil {
		return
	}
	var e *RPCError
	if !errors.As(err, &e) {
		n.Logf(LevelWarn, "handler for %q failed: %v", hd.typ, err)
		e = NewRPCError(Crash, err.Error())
	}
	if msgID == 0 {
		n.Logf(LevelWarn, "handler for %q returned %v for a message without msg_id", hd.typ, e)
		return
	}
	n.replyError(msg, e)
}

func (n *Node) replyError(req Message, e *RPCError) {
	if err := n.Reply(req, e); err != nil {
		n.Logf(LevelWarn, "replying %v to %s: %v", e, req.Src, err)
	}
}

func (n *Node) runCallback(fn HandlerFunc, msg Message) {
	if err := fn(msg); err != nil {
		n.Logf(LevelWarn, "RPC callback failed: %v", err)
	}
}

// runInitHandler gives a program written for Maelstrom its "init" message:
// if an "init" handler is registered it is called once, synchronously, with
// Maelstrom's message: src abi.InitSource, body {"type":"init","msg_id":1,
// "node_id":..,"node_ids":[..]}. Replies to it go nowhere, as Maelstrom's
// init_ok does.
func (n *Node) runInitHandler() {
	n.mu.Lock()
	h, ok := n.handlers["init"]
	// Without a handler nobody reads the list: in a run whose names come
	// from the host, building it would cost every node N lookups. (With the
	// names listed the steps stay exactly as they were, so that the guest's
	// allocations, and with them its runs, do not change.)
	ids := []string{}
	if ok || !n.byHost {
		ids = n.nodeIDsLocked()
	}
	body, _ := json.Marshal(map[string]any{"type": "init", "msg_id": 1, "node_id": n.id, "node_ids": ids})
	dest := n.id
	n.mu.Unlock()
	if ok {
		n.runHandler(h, Message{Src: abi.InitSource, Dest: dest, Body: body}, 1)
	}
}

// Level is a log level.
type Level int32

// Log levels, as the ABI's log import numbers them.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// Log writes an info line to the node's log.
func (n *Node) Log(format string, args ...any) { n.Logf(LevelInfo, format, args...) }

// Logf writes a line at the given level to the node's log.
func (n *Node) Logf(level Level, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if n.host == nil {
		log.Print(line)
		return
	}
	n.host.log(level, []byte(line))
}

// Emit records a structured event (key and the JSON encoding of value) for
// checkers and the playground, e.g. Emit("decide", map[string]any{"txn": 7}).
func (n *Node) Emit(key string, value any) {
	b, err := marshalValue(value)
	if err != nil {
		n.Logf(LevelError, "emit %q: %v", key, err)
		return
	}
	if n.host == nil {
		log.Printf("emit %s %s", key, b)
		return
	}
	n.host.emit(key, b)
}

// StateKey is the emit key of a node's state snapshot (SetState).
const StateKey = "state"

// SetState emits a small JSON snapshot of what the node holds now (its
// role's key facts: locks held, the epoch, a counter), under the key
// "state". The playground shows a node's last one inside the node and in
// its inspector. It is an ordinary emit (ABI-neutral), so it is part of the
// trace and its digest like any other: call it when the state changes,
// not on every message, and keep it to a line (it counts against
// limits.log_bytes_per_run). To add a state to an existing guest without
// changing its runs (only adding events), pass json.RawMessage built in a
// buffer the guest keeps: marshalling allocates, and in a guest whose work
// runs in goroutines an allocation moves the garbage collections and the
// goroutines with them (twopc's participant and sharding's shard do this;
// internal/golden's TestStateEmitsAddOnlyEvents checks it).
func (n *Node) SetState(value any) { n.Emit(StateKey, value) }

// marshalValue is json.Marshal, without reflection for the values
// appendValue knows.
func marshalValue(v any) ([]byte, error) {
	if x, ok := v.(json.RawMessage); ok {
		if len(x) == 0 {
			return []byte("null"), nil
		}
		return x, nil
	}
	if b, ok := appendValue(nil, v); ok {
		return b, nil
	}
	return json.Marshal(v)
}
