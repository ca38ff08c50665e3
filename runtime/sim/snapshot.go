package sim

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Snapshot is a whole run's state between two events (Sim.Snapshot),
// opaque: every node's image (guest memory and globals, lifecycle, timers,
// quota counters, store), the event queue, the network's links, cuts,
// held and parked messages, the random streams' positions, the trace's
// position and digest, the history and the counters. It shares nothing
// with the run it came from, and can be restored any number of times.
type Snapshot struct {
	now                 int64
	nextFilter          int
	seq, msgSeq, steps  uint64
	stats               trace.Stats
	hist                []history.Op
	q                   []snapEvent
	msgs                []message // the messages q and paused refer to
	holds               []holdPattern
	held                []snapHeld
	paused              map[int32]snapPause
	pausedTotal         map[int32]int64
	pins                []pin
	inFlight, inFlightN []int64
	peakInFlightN       int64
	status              []nodeStatus
	net                 *netsim.Network
	pcgs                [][]byte
	nodes               []*nodes.Image
	calls               []int // per client: its call counter
	rec                 *trace.RecorderImage
	attacks             int8
}

// snapEvent is a queued event with its node as an index and its message
// as an index into the snapshot's messages, so that copies of one message
// stay one message.
type snapEvent struct {
	e    event
	node int32 // -1: none
	msg  int   // -1: none
}

type snapHeld struct {
	msg   int // into the snapshot's messages
	since int64
}

type snapPause struct {
	since int64
	stash []snapEvent
}

// Snapshot copies the run's state now, between events, so that Restore
// can put it into another simulation of the same scenario and engine and
// the run go on there as it would here. It is refused, naming what
// cannot be copied, when the run holds Go closures or state outside the
// simulator: a host callback queued (a workload's or scheduled fault's
// action, a client call's timeout), a client call awaiting its reply,
// a message filter, the network adversary, a store that has reached
// Badger or is shared, a trace written to a sink, or a guest that cannot
// be snapshotted (wasmhost.Instance.Snapshot). A search falls back to
// replaying the run's prefix then.
func (s *Sim) Snapshot() (*Snapshot, error) {
	if err := s.snapshotable(); err != nil {
		return nil, fmt.Errorf("sim: snapshot: %w", err)
	}
	sn := &Snapshot{now: s.now, nextFilter: s.nextFilter, seq: s.seq, msgSeq: s.msgSeq, steps: s.steps, stats: s.stats,
		hist: slices.Clone(s.hist), holds: slices.Clone(s.holds), pausedTotal: maps.Clone(s.pausedTotal),
		pins: slices.Clone(s.pins), inFlight: slices.Clone(s.inFlight), inFlightN: slices.Clone(s.inFlightN),
		peakInFlightN: s.peakInFlightN, status: slices.Clone(s.status), net: s.net.Clone(),
		paused: map[int32]snapPause{}, attacks: s.attacks}
	ids := map[*message]int{}
	for i := range s.q.h {
		sn.q = append(sn.q, sn.event(&s.q.h[i], ids))
	}
	for _, h := range s.held {
		sn.held = append(sn.held, snapHeld{msg: sn.message(h.msg, ids), since: h.since})
	}
	for idx, p := range s.paused {
		sp := snapPause{since: p.since}
		for i := range p.stash {
			sp.stash = append(sp.stash, sn.event(&p.stash[i], ids))
		}
		sn.paused[idx] = sp
	}
	return sn, sn.fill(s)
}

// snapshotable names the first thing in the run a snapshot cannot copy.
func (s *Sim) snapshotable() error {
	switch {
	case !s.started:
		return errors.New("the simulation has not started")
	case len(s.filters) > 0:
		return errors.New("a message filter is installed (its predicate is Go code)")
	case s.adv != nil:
		return errors.New("the network adversary has acted (its recordings are not copied)")
	case s.shared != nil:
		return errors.New("the nodes share one store (its Badger contents are not copied)")
	}
	for i := range s.q.h {
		if e := &s.q.h[i]; e.fn != nil {
			return fmt.Errorf("a host callback is queued at %v (a workload's or a scheduled fault's action, or a call's timeout: a Go closure)", time.Duration(e.at))
		}
	}
	for _, c := range s.clients {
		if len(c.pending) > 0 {
			return fmt.Errorf("client %s has %d calls awaiting replies (their callbacks are Go closures)", c.name, len(c.pending))
		}
	}
	return nil
}

// event copies a queued event, its message once however many events
// carry it.
func (sn *Snapshot) event(e *event, ids map[*message]int) snapEvent {
	se := snapEvent{e: *e, node: -1, msg: -1}
	se.e.node, se.e.msg = nil, nil
	if e.node != nil {
		se.node = e.node.Index
	}
	if e.msg != nil {
		se.msg = sn.message(e.msg, ids)
	}
	return se
}

// message returns m's index among the snapshot's messages, copying it
// the first time.
func (sn *Snapshot) message(m *message, ids map[*message]int) int {
	id, ok := ids[m]
	if !ok {
		id = len(sn.msgs)
		ids[m] = id
		sn.msgs = append(sn.msgs, copyMessage(m))
	}
	return id
}

func copyMessage(m *message) message {
	c := *m
	c.payload = slices.Clone(m.payload)
	return c
}

// fill copies the nodes, the random streams, the clients' counters and
// the trace's position.
func (sn *Snapshot) fill(s *Sim) error {
	for _, p := range s.pcgs {
		b, err := p.MarshalBinary()
		if err != nil {
			return fmt.Errorf("sim: snapshot: a random stream: %w", err)
		}
		sn.pcgs = append(sn.pcgs, b)
	}
	for _, n := range s.nodes {
		img, err := n.Snapshot()
		if err != nil {
			return fmt.Errorf("sim: snapshot: %w", err)
		}
		sn.nodes = append(sn.nodes, img)
	}
	for _, c := range s.clients {
		sn.calls = append(sn.calls, c.nextID)
	}
	rec, err := s.rec.Snapshot()
	if err != nil {
		return fmt.Errorf("sim: snapshot: %w", err)
	}
	sn.rec = rec
	return nil
}

// Restore puts sn into s, a simulation of the same scenario and engine
// as the one sn was taken from, started and with its nodes booted (a run
// after its first instant: RunUntil(0)), and free of what Snapshot
// refuses; its chooser, observers and limits stay its own. After it the
// run goes on as sn's run went on: the same events, digest and state
// hash.
func (s *Sim) Restore(sn *Snapshot) error {
	if err := s.snapshotable(); err != nil {
		return fmt.Errorf("sim: restore: %w", err)
	}
	if len(sn.nodes) != len(s.nodes) || len(sn.calls) != len(s.clients) || len(sn.pcgs) != len(s.pcgs) {
		return fmt.Errorf("sim: restore: a snapshot of %d nodes and %d clients into a simulation of %d and %d", len(sn.nodes), len(sn.calls), len(s.nodes), len(s.clients))
	}
	for i, n := range s.nodes {
		if err := n.Restore(sn.nodes[i]); err != nil {
			return fmt.Errorf("sim: restore: %w", err)
		}
	}
	for i, b := range sn.pcgs {
		if err := s.pcgs[i].UnmarshalBinary(b); err != nil {
			return fmt.Errorf("sim: restore: a random stream: %w", err)
		}
	}
	for i, c := range s.clients {
		c.nextID = sn.calls[i]
	}
	if err := s.rec.Restore(sn.rec); err != nil {
		return fmt.Errorf("sim: restore: %w", err)
	}
	s.restoreQueues(sn)
	s.now, s.seq, s.msgSeq, s.steps, s.stats, s.nextFilter = sn.now, sn.seq, sn.msgSeq, sn.steps, sn.stats, sn.nextFilter
	s.hist, s.holds, s.pausedTotal, s.pins = slices.Clone(sn.hist), slices.Clone(sn.holds), maps.Clone(sn.pausedTotal), slices.Clone(sn.pins)
	s.inFlight, s.inFlightN, s.peakInFlightN = slices.Clone(sn.inFlight), slices.Clone(sn.inFlightN), sn.peakInFlightN
	s.status, s.net, s.attacks = slices.Clone(sn.status), sn.net.Clone(), sn.attacks
	return nil
}

// restoreQueues rebuilds the event queue, the held messages and the
// paused nodes' stashes with s's nodes and fresh copies of the messages.
func (s *Sim) restoreQueues(sn *Snapshot) {
	msgs := make([]*message, len(sn.msgs))
	for i := range sn.msgs {
		m := copyMessage(&sn.msgs[i])
		msgs[i] = &m
	}
	back := func(se snapEvent) event {
		e := se.e
		if se.node >= 0 {
			e.node = s.nodes[se.node]
		}
		if se.msg >= 0 {
			e.msg = msgs[se.msg]
		}
		return e
	}
	s.q.h = s.q.h[:0]
	for _, se := range sn.q {
		s.q.h = append(s.q.h, back(se)) // a heap's array is a heap
	}
	s.held = s.held[:0]
	for _, h := range sn.held {
		s.held = append(s.held, heldMsg{msg: msgs[h.msg], since: h.since})
	}
	s.paused = map[int32]*pauseState{}
	for idx, p := range sn.paused {
		ps := &pauseState{since: p.since}
		for _, se := range p.stash {
			ps.stash = append(ps.stash, back(se))
		}
		s.paused[idx] = ps
	}
}
