package sim

// One run on many cores (Config.WithWorkers; RATIONALE.md has the why).
//
// The lookahead L is the smallest delay any message can have now
// (netsim.Network.MinLatency). A window takes, in (at, seq) order, the
// queued events before t0+L (t0: the first event's time) as long as they
// are plain node events: deliveries to nodes, timers and wake-ups. The
// first other event (a boot, a client's work or delivery, any evFunc) ends
// it, as does RunUntil's bound; the timeout of a client call that has had
// its reply does nothing, and does not end it. Inside a window no event at one node can
// cause or change an event at another, since a message sent in it lands at
// t0+L or later. So each node's events (with the timers and wake-ups it
// sets that fall inside the window) run on a worker, and every kernel call
// they make (sends, timers, wake-ups, trace records) goes into a buffer.
//
// The commit then walks the window in exactly the order the one-worker loop
// would, popping from the same queue, and replays each event's buffer as
// the loop would have made those calls: sequence numbers, message ids,
// network fates (drawn from the one network stream, in the same order),
// trace records, stats, caps. The queue and the trace come out the same as
// with one worker, whatever the number of workers or the interleaving.
//
// The one answer a guest gets synchronously that depends on other nodes is
// send's in-flight quotas (bytes, and the message count): deliveries
// elsewhere free the sender's share. A worker knows an upper bound of its
// node's bytes and messages in flight (the counts at the window's start
// plus what the node has sent since), which answers every send that fits
// under the caps. A send that might not fit stalls its node: the worker
// waits, the commit runs up to that event, and the node finishes the event,
// and the rest of its window, directly on the kernel, in order (where a
// send over the message count crashes the node, as with one worker).

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Parallelism tells how RunUntil dispatched a run's events. It depends on
// the number of workers and is part of neither the trace nor Stats.
type Parallelism struct {
	// Windows counts the windows whose events ran on workers.
	Windows uint64 `json:"windows"`
	// ParallelEvents counts the events dispatched in those windows.
	ParallelEvents uint64 `json:"parallel_events"`
	// SerialEvents counts the events dispatched one at a time.
	SerialEvents uint64 `json:"serial_events"`
	// ZeroLookahead counts the times a window could not open because some
	// link can deliver a message with no delay.
	ZeroLookahead uint64 `json:"zero_lookahead"`
	// Stalls counts the nodes that finished a window on the kernel because
	// a send's in-flight quota could not be answered on a worker.
	Stalls uint64 `json:"stalls"`
	// Fallback says why the run used one worker, if it did throughout for
	// a reason other than the events themselves ("" otherwise).
	Fallback string `json:"fallback,omitempty"`
}

// Parallelism returns how the events so far were dispatched.
func (s *Sim) Parallelism() Parallelism { return s.par }

// minWindow is the fewest events for which a window is worth the workers'
// start-up; smaller windows run on the calling goroutine, in order. The
// choice changes speed only, never the run.
const minWindow = 4

// kernel is the face a Sim shows one node (nodes.Kernel). Outside a window
// (w nil) its calls act on the Sim at once; inside one they are buffered.
type kernel struct {
	s *Sim
	w *winNode
}

// Send implements nodes.Kernel.
func (k *kernel) Send(from, to int32, msg []byte) int32 {
	if k.w != nil {
		return k.w.send(from, to, msg)
	}
	return k.s.send(from, to, msg)
}

// ScheduleTimer implements nodes.Kernel.
func (k *kernel) ScheduleTimer(n *nodes.Node, id int64, at int64) {
	if k.w != nil {
		k.w.t.add(op{kind: evTimer, node: n, id: id, at: at})
		return
	}
	k.s.push(event{at: at, kind: evTimer, node: n, id: id, shift: k.s.pausedTotal[n.Index]})
}

// ScheduleWake implements nodes.Kernel.
func (k *kernel) ScheduleWake(n *nodes.Node, gen uint64, at int64) {
	if k.w != nil {
		k.w.t.add(op{kind: evWake, node: n, gen: gen, at: at})
		return
	}
	k.s.push(event{at: at, kind: evWake, node: n, gen: gen, shift: k.s.pausedTotal[n.Index]})
}

// Record implements nodes.Kernel. A node reports its crashes through it, so
// every crash is counted whatever caused it.
func (k *kernel) Record(e trace.Event) {
	if k.w != nil {
		// A view of guest memory, maybe; copied as the recorder would
		// (empty data becomes nil).
		e.Data = append([]byte(nil), e.Data...)
		k.w.t.add(op{kind: opRecord, ev: e})
		return
	}
	k.s.record(e, false)
}

// Clock implements nodes.Kernel: the virtual time in ns (in a window, the
// time of the node's own event).
func (k *kernel) Clock() int64 {
	if k.w != nil {
		return k.w.t.now
	}
	return k.s.now
}

// nodeStatus is a node's lifecycle as the trace tells it.
type nodeStatus struct {
	state  nodes.State
	inc    int
	reason string
}

// record records a node's trace event, counting crashes and following the
// node's lifecycle.
func (s *Sim) record(e trace.Event, owned bool) {
	switch e.Kind {
	case trace.KindCrash:
		s.stats.Crashes++
		if st := &s.status[e.Node]; st.state == nodes.Running {
			st.state, st.reason = nodes.Crashed, string(e.Data)
		}
	case trace.KindBoot, trace.KindRestart:
		st := &s.status[e.Node]
		st.state, st.reason = nodes.Running, ""
		st.inc++
	}
	if owned {
		s.rec.RecordImmutable(e)
	} else {
		s.rec.Record(e)
	}
}

// opSend and opRecord extend evKind for buffered kernel calls; evTimer and
// evWake name the other two.
const (
	opSend evKind = iota + 100
	opRecord
)

// op is one buffered kernel call.
type op struct {
	kind evKind
	node *nodes.Node // timer, wake
	from int32       // send
	to   int32
	msg  []byte // send: the kernel's own copy
	id   int64  // timer
	gen  uint64 // wake
	at   int64  // timer, wake
	ev   trace.Event
}

// result is what a worker did with one event of a window.
type result struct {
	e       event
	ran     bool // a delivery passed the node's running check
	ops     []op
	err     error
	partial bool // the node stalled inside this event
}

// winNode is one node's state in a window.
type winNode struct {
	t      *task
	upper  int64 // at least the node's bytes in flight now
	upperN int64 // at least the number of its messages in flight now
}

// task is the work of one worker: the events of one Wasm node, or of every
// native node (native code may share state, so it never runs in parallel
// with itself).
type task struct {
	s      *Sim
	w      *window
	evs    []event // the window's events of these nodes, in order
	next   int
	local  queue // events these nodes set inside the window
	tseq   uint64
	now    int64
	cur    *result
	res    []*result
	ci     int // results committed
	nodes  []int32
	live   bool // the commit dispatches these nodes' events directly
	stall  bool
	cut    bool      // the run's context ended the task before its events did
	ended  bool      // stalled, and the run ended before its event: discard
	resume chan bool // true: go on on the kernel; false: the run ended
	done   chan error
}

// window is one lookahead window.
type window struct {
	s       *Sim
	horizon int64 // events the nodes set at or after it wait for the queue
	list    []event
	li      int
	tasks   []*task
	byNode  map[int32]*task
	wg      sync.WaitGroup
	nextT   atomic.Int64
	workers int
}

// tentative marks the sequence numbers of events set inside a window: after
// every queued event, in the order they were set.
const tentative = uint64(1) << 63

// add buffers a kernel call of the running event; a timer or wake-up that
// falls inside the window joins the task's own events.
func (t *task) add(o op) {
	t.cur.ops = append(t.cur.ops, o)
	if (o.kind == evTimer || o.kind == evWake) && o.at < t.w.horizon {
		t.tseq++
		t.local.push(event{at: o.at, seq: tentative + t.tseq, kind: o.kind, node: o.node, id: o.id, gen: o.gen, shift: t.s.pausedTotal[o.node.Index]})
	}
}

// send answers a node's send on a worker. The destination check is static
// and the quota is the sender's own, bounded above by w.upper.
func (w *winNode) send(from, to int32, msg []byte) int32 {
	s := w.t.s
	if to < 0 || int(to) >= len(s.nodes)+len(s.clients) {
		return wasmhost.ErrnoNoDest
	}
	if s.cfg.maxInFlight > 0 && w.upper+int64(len(msg)) > s.cfg.maxInFlight ||
		s.cfg.maxInFlightN > 0 && w.upperN >= s.cfg.maxInFlightN {
		// The answer depends on deliveries at other nodes: finish on the
		// kernel, in order.
		if !w.t.stallHere() {
			return wasmhost.ErrnoQuota // the run ended before this event
		}
		return s.send(from, to, msg)
	}
	w.upper += int64(len(msg))
	w.upperN++
	w.t.add(op{kind: opSend, from: from, to: to, msg: bytes.Clone(msg)})
	return 0
}

// stallHere parks the task's worker until the commit reaches the running
// event; true means go on directly on the kernel.
func (t *task) stallHere() bool {
	if t.ended {
		return false
	}
	t.stall = true
	t.cur.partial = true
	t.res = append(t.res, t.cur)
	go t.w.work() // a worker to take this one's place
	t.w.wg.Done()
	if !<-t.resume {
		t.ended = true
		return false
	}
	return true
}

// nextEvent returns the task's next event in the one-worker order.
func (t *task) nextEvent() (event, bool) {
	hasList, hasLocal := t.next < len(t.evs), t.local.len() > 0
	switch {
	case hasList && hasLocal:
		l, e := t.local.peek(), &t.evs[t.next]
		if l.at < e.at || (l.at == e.at && l.seq < e.seq) {
			return t.local.pop(), true
		}
		fallthrough
	case hasList:
		t.next++
		return t.evs[t.next-1], true
	case hasLocal:
		return t.local.pop(), true
	}
	return event{}, false
}

// run runs the task on a worker; false if it stalled (and then finished its
// event on the kernel, on this goroutine). It stops early, cut, when the
// run's context is done (checked every 256 events), so that a large
// window does not delay an interrupt.
func (t *task) run() bool {
	for n := 1; ; n++ {
		if n&255 == 0 && t.s.ctx.Err() != nil {
			t.cut = true
			return true
		}
		e, ok := t.nextEvent()
		if !ok {
			return true
		}
		r := t.exec(e)
		if t.stall {
			t.done <- r.err
			return false
		}
		t.res = append(t.res, r)
		if r.err != nil {
			return true // the run stops at this event
		}
	}
}

// exec runs one event on a worker: the checks dispatch and deliver make
// that read only what no event in the window changes, then the node.
func (t *task) exec(e event) *result {
	s := t.s
	r := &result{e: e}
	t.cur, t.now = r, e.at
	defer func() { t.cur = nil }()
	switch e.kind {
	case evDeliver:
		m := e.msg
		if s.net.Cut(m.from, m.to) || s.isHeld(m.from, m.to) || s.paused[m.to] != nil {
			return r
		}
		n := s.nodes[m.to]
		if n.State() != nodes.Running || n.Incarnation() != m.toInc {
			return r
		}
		r.ran = true
		r.err = n.Deliver(m.from, m.payload)
	case evTimer, evWake:
		idx := e.node.Index
		if s.paused[idx] != nil {
			return r
		}
		if total := s.pausedTotal[idx]; total > e.shift {
			// deferForPause moves it later; the copy may still fall inside.
			if at := e.at + total - e.shift; at < t.w.horizon {
				t.tseq++
				d := e
				d.at, d.seq, d.shift = at, tentative+t.tseq, total
				t.local.push(d)
			}
			return r
		}
		r.ran = true
		if e.kind == evTimer {
			r.err = e.node.FireTimer(e.id)
		} else {
			r.err = e.node.FireWake(e.gen)
		}
	}
	return r
}

// work is one worker: it takes tasks until none is left.
func (w *window) work() {
	for {
		i := int(w.nextT.Add(1)) - 1
		if i >= len(w.tasks) {
			return
		}
		if !w.tasks[i].run() {
			return // stalled; another worker took this one's place
		}
		w.wg.Done()
	}
}

// plain reports whether e is an event a window may hold.
func (s *Sim) plain(e *event) bool {
	switch e.kind {
	case evDeliver:
		return int(e.msg.to) < len(s.nodes)
	case evTimer, evWake:
		return true
	case evTimeout:
		return e.call.settled() // nothing can unsettle it inside a window
	}
	return false
}

// eventNode returns the node an event of a window is for.
func eventNode(e *event) int32 {
	if e.kind == evDeliver {
		return e.msg.to
	}
	return e.node.Index
}

// serialOnly reports whether the run must use one worker throughout, and
// says why in Parallelism.Fallback.
func (s *Sim) serialOnly() bool {
	switch {
	case s.par.Fallback != "":
	case s.cfg.engine.Watchdog > 0:
		s.par.Fallback = "the watchdog watches one guest call at a time"
	case s.hasAttacker():
		s.par.Fallback = "an attacker node's host calls act on the run at once"
	default:
		return false
	}
	return true
}

// runWindow runs the events due before the lookahead window ends (and at
// or before until) on workers, if a window can open. done is false when it
// cannot; the caller then dispatches one event itself.
func (s *Sim) runWindow(until int64) (done bool, err error) {
	if s.serialOnly() {
		return false, nil
	}
	if len(s.pins) > 0 || !s.plain(s.q.peek()) {
		return false, nil
	}
	lookahead := int64(s.net.MinLatency())
	if lookahead <= 0 {
		s.par.ZeroLookahead++
		return false, nil
	}
	t0 := s.q.peek().at
	horizon := until
	if until < math.MaxInt64 {
		horizon++
	}
	if t0 <= horizon-lookahead {
		horizon = t0 + lookahead
	}
	w := &window{s: s, horizon: horizon, byNode: map[int32]*task{}, workers: s.cfg.workers}
	for s.q.len() > 0 && s.q.peek().at < horizon && s.plain(s.q.peek()) {
		w.list = append(w.list, s.q.pop())
	}
	if s.q.len() > 0 && s.q.peek().at < horizon {
		w.horizon = s.q.peek().at // a barrier: nothing set inside may pass it
	}
	var native *task
	for _, e := range w.list {
		if e.kind == evTimeout {
			continue // a no-op, for no node
		}
		idx := eventNode(&e)
		t := w.byNode[idx]
		if t == nil {
			n := s.nodes[idx]
			if n.Native != nil && native != nil {
				t = native
			} else {
				t = &task{s: s, w: w, resume: make(chan bool), done: make(chan error, 1)}
				w.tasks = append(w.tasks, t)
				if n.Native != nil {
					native = t
				}
			}
			t.nodes = append(t.nodes, idx)
			w.byNode[idx] = t
		}
		t.evs = append(t.evs, e)
	}
	if len(w.tasks) < 2 || len(w.list) < minWindow {
		for _, t := range w.tasks {
			t.live = true
		}
		return true, w.commit()
	}
	// The longest first (by events), so that no worker is left with a long
	// one at the end; the order changes the speed only.
	slices.SortStableFunc(w.tasks, func(a, b *task) int { return len(b.evs) - len(a.evs) })
	for _, t := range w.tasks {
		for _, idx := range t.nodes {
			s.kernels[idx].w = &winNode{t: t, upper: s.inFlight[idx], upperN: s.inFlightN[idx]}
		}
	}
	w.wg.Add(len(w.tasks))
	for range min(w.workers, len(w.tasks)) {
		go w.work()
	}
	w.wg.Wait()
	err = w.commit()
	for _, t := range w.tasks {
		if t.stall && !t.live {
			t.resume <- false // the commit stopped before its event
			<-t.done
		}
		for _, idx := range t.nodes {
			s.kernels[idx].w = nil
		}
	}
	s.par.Windows++
	return true, err
}

// nextEvent returns the window's next event in the one-worker order: from
// its list or, for events set during the commit, from the queue.
func (w *window) nextEvent() (event, bool) {
	q := &w.s.q
	fromQ := q.len() > 0 && q.peek().at < w.horizon
	if w.li < len(w.list) {
		e := &w.list[w.li]
		if !fromQ || e.at < q.peek().at || (e.at == q.peek().at && e.seq < q.peek().seq) {
			w.li++
			return *e, true
		}
	}
	if fromQ {
		return q.pop(), true
	}
	return event{}, false
}

// commit replays the window in the one-worker order.
func (w *window) commit() error {
	s := w.s
	for {
		e, ok := w.nextEvent()
		if !ok {
			return nil
		}
		if e.kind == evTimeout && e.call.settled() {
			if err := s.dispatch(e); err != nil { // does nothing
				return err
			}
			s.par.SerialEvents++
			if err := s.afterEvent(); err != nil {
				return err
			}
			continue
		}
		if !s.plain(&e) {
			return fmt.Errorf("sim: parallel window: an event scheduled at %v while a window committed (an Observe callback that calls At?): with workers, Observe callbacks must only read", time.Duration(e.at))
		}
		t := w.byNode[eventNode(&e)]
		if t == nil {
			return fmt.Errorf("sim: parallel window: an event at %v for node %d, which has none in the window (a bug)", time.Duration(e.at), eventNode(&e))
		}
		var err error
		if t.live {
			err = s.dispatch(e)
			s.par.SerialEvents++
		} else {
			if t.ci == len(t.res) && t.cut {
				return fmt.Errorf("sim: stopped at %v: %w", time.Duration(e.at), t.s.ctx.Err())
			}
			if t.ci == len(t.res) {
				return fmt.Errorf("sim: parallel window: node %d ran fewer events than the window holds at %v (a bug)", eventNode(&e), time.Duration(e.at))
			}
			r := t.res[t.ci]
			t.ci++
			if !same(&r.e, &e) {
				return fmt.Errorf("sim: parallel window: node %d out of step at %v (a bug)", eventNode(&e), time.Duration(e.at))
			}
			s.now = e.at
			s.steps++
			err = s.replay(&e, r)
			if r.partial {
				s.par.Stalls++
				for _, idx := range t.nodes {
					s.kernels[idx].w = nil
				}
				t.live = true
				t.resume <- true
				err = <-t.done
			}
			s.par.ParallelEvents++
		}
		if err != nil {
			return err
		}
		if err := s.afterEvent(); err != nil {
			return err
		}
	}
}

// same reports whether a worker's event is the commit's.
func same(a, b *event) bool {
	if a.kind != b.kind || a.at != b.at || a.node != b.node || a.msg != b.msg || a.id != b.id || a.gen != b.gen {
		return false
	}
	return a.seq == b.seq || a.seq > tentative && b.seq < tentative
}

// replay does what dispatch would have done with e, given what the worker
// saw and the kernel calls it buffered.
func (s *Sim) replay(e *event, r *result) error {
	switch e.kind {
	case evDeliver:
		m := e.msg
		if s.net.Cut(m.from, m.to) || s.isHeld(m.from, m.to) || s.paused[m.to] != nil {
			return s.deliver(m) // the same static checks, then no guest call
		}
		if !r.ran {
			s.drop(m, "node down")
			return nil
		}
		s.landed(m)
		s.stats.Delivered++
		s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindDeliver, Node: m.to, Peer: m.from, Msg: m.id})
	case evTimer, evWake:
		if s.deferForPause(*e) {
			return nil
		}
	}
	for i := range r.ops {
		o := &r.ops[i]
		switch o.kind {
		case opSend:
			if rc := s.sendMsg(o.from, o.to, o.msg, true); rc != 0 {
				return fmt.Errorf("sim: parallel window: a send from node %d answered 0 on a worker and %d in order (a bug)", o.from, rc)
			}
		case evTimer:
			s.push(event{at: o.at, kind: evTimer, node: o.node, id: o.id, shift: s.pausedTotal[o.node.Index]})
		case evWake:
			s.push(event{at: o.at, kind: evWake, node: o.node, gen: o.gen, shift: s.pausedTotal[o.node.Index]})
		case opRecord:
			s.record(o.ev, true)
		}
	}
	return r.err
}
