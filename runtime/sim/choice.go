package sim

import (
	"fmt"
	"sort"
	"time"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
)

// Chooser takes a run's decisions at its choice points (DESIGN.md,
// "Choice points and search"). The loop consults it only when one is set
// (SetChooser); without one every point takes its default and the run is
// the seed's own, digest for digest.
type Chooser interface {
	// Choose returns the index of the option to take at p; 0 is the
	// default (what the loop does without a chooser), and an index out of
	// range is taken as 0. p.Options is only valid during the call.
	Choose(p Point) int
}

// PointKind names a kind of choice point.
type PointKind uint8

// The kinds of choice point.
const (
	// PointOrder chooses which of the events due at the next instant goes
	// first (messages, timers, wake-ups, client actions).
	PointOrder PointKind = iota + 1
	// PointFate chooses whether a message the network let pass is dropped
	// or duplicated, where its link's loss or duplicate rate allows it.
	PointFate
	// PointFault chooses whether a node crashes or a crashed node restarts
	// before the next event (ChoiceOptions.Faults).
	PointFault
)

// Point is one choice point.
type Point struct {
	Kind PointKind
	// Step is the event, counted from 1, about to be dispatched.
	Step uint64
	// At is the virtual time now: where a crash chosen here is pinned.
	At time.Duration
	// Options are the choices; Options[0] is the default.
	Options []Option
	s       *Sim
}

// Digest is the trace's digest so far: two points with one digest were
// reached by the same run prefix.
func (p Point) Digest() string { return p.s.rec.Digest() }

// Option is one choice at a point.
type Option struct {
	// Decision is what taking the option means, for a schedule; the zero
	// Decision for the default.
	Decision schedule.Decision
	// Node is the node whose code the option runs (the receiver of a
	// message, the owner of a timer, the node crashed), -1 for none.
	Node int32
	// From is where the event comes from: a message's sender, the node
	// itself for its timers, wake-ups and boot, -1 for client actions.
	// (From, Node) is the "thread" of PCT-like strategies.
	From int32
	// Label describes the option for people ("deliver n0→n1 #7").
	Label string
	// Type is the message's body type for a delivery, drop or
	// duplicate; "" for other options.
	Type string
}

// ChoiceOptions says which choice points a chooser is offered beyond the
// order of events and the fate of messages.
type ChoiceOptions struct {
	// Faults offers a crash of each running node, and a restart of each
	// crashed one, before every event.
	Faults bool
}

// choices is the chooser a Sim consults and its reusable option buffer.
type choices struct {
	c    Chooser
	opts ChoiceOptions
	buf  []Option
	due  []int // heap indices of the events due at the next instant
}

// SetChooser makes the loop consult c at its choice points from now on
// (nil: none). Runs with a chooser dispatch one event at a time
// (WithWorkers is ignored).
func (s *Sim) SetChooser(c Chooser, opts ChoiceOptions) {
	if c == nil {
		s.choice = nil
		return
	}
	s.choice = &choices{c: c, opts: opts}
}

// ask consults the chooser and returns the option index taken.
func (s *Sim) ask(kind PointKind, opts []Option) int {
	i := s.choice.c.Choose(Point{Kind: kind, Step: s.steps + 1, At: time.Duration(s.now), Options: opts, s: s})
	if i < 0 || i >= len(opts) {
		return 0
	}
	return i
}

// popEvent removes the next event to dispatch: the queue's head, or with
// a chooser the one it picks among those due at the head's instant (or a
// delivery it brings forward to that instant), after any crash or restart
// it chooses.
func (s *Sim) popEvent() (event, error) {
	if s.choice == nil {
		return s.q.pop(), nil
	}
	if s.choice.opts.Faults {
		if err := s.faultPoint(); err != nil {
			return event{}, err
		}
	}
	at := s.q.peek().at
	e := s.q.removeAt(s.orderPoint())
	e.at = at // a delivery brought forward arrives now
	return e, nil
}

// orderPoint returns the heap index of the event to dispatch next.
func (s *Sim) orderPoint() int {
	ch := s.choice
	ch.due = s.dueIndices(ch.due[:0])
	if len(ch.due) < 2 {
		return 0
	}
	ch.buf = ch.buf[:0]
	for pick, i := range ch.due {
		ch.buf = append(ch.buf, s.orderOption(pick, i))
	}
	return ch.due[s.ask(PointOrder, ch.buf)]
}

// dueIndices appends to buf the heap indices of the events the next
// order point offers: those due at the queue head's instant, in the
// loop's own order (by sequence number), then the deliveries due later
// that their link's latency range lets arrive at that instant, soonest
// first (a reorder under jitter: a message overtaking one due before it,
// as a network whose latency varies may deliver it). Those are offered
// only to a run that has had a chooser from its start (a search, a
// replay of a schedule:), whose messages all keep their slack: a run
// stepped by hand without one (the playground) offers the ties alone.
func (s *Sim) dueIndices(buf []int) []int {
	at := s.q.peek().at
	for i := range s.q.h {
		if s.q.h[i].at == at {
			buf = append(buf, i)
		}
	}
	sort.Slice(buf, func(a, b int) bool { return s.q.h[buf[a]].seq < s.q.h[buf[b]].seq })
	n := len(buf)
	for i := range s.q.h {
		if s.choice == nil {
			break
		}
		if e := &s.q.h[i]; e.at > at && e.at-e.slack <= at {
			buf = append(buf, i)
		}
	}
	early := buf[n:]
	sort.Slice(early, func(a, b int) bool { return s.q.less(early[a], early[b]) })
	return buf
}

// orderOption is the option of taking the event at heap index i, the
// pick-th offered, at the next order point.
func (s *Sim) orderOption(pick, i int) Option {
	e := &s.q.h[i]
	o := s.describe(e)
	if pick > 0 {
		o.Decision = schedule.Decision{Kind: schedule.Order, Step: s.steps + 1, Pick: pick}
	}
	if head := s.q.peek().at; e.at > head {
		o.Label += fmt.Sprintf(" early (due %v later)", time.Duration(e.at-head))
	}
	return o
}

// Due returns the options of the next order point: the events due at the
// next instant, in the order the loop takes them without a chooser, then
// the deliveries a chooser may bring forward to it, so that a chooser (or
// a person) taking the i-th at Step+1 takes Due()[i]. It is empty when
// the queue is. (Stateright's explorer offers
// a state's next steps the same way: its states handler,
// src/checker/explorer.rs, lists a StateView per action model.actions
// enables, and the path it follows is the list of actions taken.)
func (s *Sim) Due() []Option {
	if s.q.len() == 0 {
		return nil
	}
	idx := s.dueIndices(nil)
	out := make([]Option, len(idx))
	for pick, i := range idx {
		out[pick] = s.orderOption(pick, i)
	}
	return out
}

// InFlight is a message on its way: queued for delivery at At.
type InFlight struct {
	At time.Duration
	// Msg is the message's id (the trace's msg).
	Msg    uint64
	Option Option
}

// InFlight returns up to max messages on their way (queued deliveries),
// the soonest first.
func (s *Sim) InFlight(max int) []InFlight {
	var idx []int
	for i := range s.q.h {
		if s.q.h[i].kind == evDeliver {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return s.q.less(idx[a], idx[b]) })
	out := make([]InFlight, 0, min(max, len(idx)))
	for _, i := range idx[:min(max, len(idx))] {
		e := &s.q.h[i]
		out = append(out, InFlight{At: time.Duration(e.at), Msg: e.msg.id, Option: s.describe(e)})
	}
	return out
}

// describe names the node an event runs and labels it.
func (s *Sim) describe(e *event) Option {
	switch e.kind {
	case evDeliver:
		return Option{Node: e.msg.to, From: e.msg.from, Label: fmt.Sprintf("deliver %s→%s #%d", s.name(e.msg.from), s.name(e.msg.to), e.msg.id),
			Type: s.labels.of(e.msg.payload)}
	case evTimer:
		return Option{Node: e.node.Index, From: e.node.Index, Label: fmt.Sprintf("timer %s #%d", e.node.Name, e.id)}
	case evWake:
		return Option{Node: e.node.Index, From: e.node.Index, Label: "wake " + e.node.Name}
	case evBoot:
		return Option{Node: e.node.Index, From: e.node.Index, Label: "boot " + e.node.Name}
	}
	return Option{Node: -1, From: -1, Label: "action"}
}

// fatePoint lets the chooser drop or duplicate message m, which the
// network let pass with delays, where the link allows it; it returns the
// delays to use, none for a drop.
func (s *Sim) fatePoint(m *message, delays []int64) []int64 {
	l := s.net.Link(m.from, m.to)
	ch := s.choice
	typ := s.labels.of(m.payload)
	ch.buf = append(ch.buf[:0], Option{Node: m.to, Label: fmt.Sprintf("send %s→%s #%d", s.name(m.from), s.name(m.to), m.id), Type: typ})
	if l.Loss > 0 {
		ch.buf = append(ch.buf, Option{Node: m.to, Label: "drop", Decision: schedule.Decision{Kind: schedule.Drop, Msg: m.id}, Type: typ})
	}
	if l.Duplicate > 0 && len(delays) == 1 {
		ch.buf = append(ch.buf, Option{Node: m.to, Label: "duplicate", Decision: schedule.Decision{Kind: schedule.Duplicate, Msg: m.id}, Type: typ})
	}
	if len(ch.buf) == 1 {
		return delays
	}
	switch ch.buf[s.ask(PointFate, ch.buf)].Decision.Kind {
	case schedule.Drop:
		return nil
	case schedule.Duplicate:
		return append(delays, delays[0])
	}
	return delays
}

// faultPoint lets the chooser crash a running node or restart a crashed
// one before the next event, as a fault pinned there would
// (ApplyBefore), so that a schedule's crashes export as pinned faults.
func (s *Sim) faultPoint() error {
	ch := s.choice
	ch.buf = append(ch.buf[:0], Option{Node: -1, Label: "no fault"})
	for _, n := range s.nodes {
		var k schedule.Kind
		switch {
		case n.Service:
			continue
		case n.State() == nodes.Running && s.paused[n.Index] == nil:
			k = schedule.Crash
		case n.State() == nodes.Crashed:
			k = schedule.Restart
		default:
			continue
		}
		ch.buf = append(ch.buf, Option{Node: n.Index, Label: string(k) + " " + n.Name,
			Decision: schedule.Decision{Kind: k, Step: s.steps + 1, Node: n.Name}})
	}
	d := ch.buf[s.ask(PointFault, ch.buf)].Decision
	if d.Kind == "" {
		return nil
	}
	return s.Apply(fault.Fault{Kind: fault.Kind(d.Kind), Node: d.Node})
}

// removeAt removes and returns the event at heap index i.
func (q *queue) removeAt(i int) event {
	if i == 0 {
		return q.pop()
	}
	// Move it to the root, past every parent, then pop it: the heap's
	// order holds for the rest.
	for i > 0 {
		p := (i - 1) / 2
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
	return q.pop()
}

// Replay returns a chooser that takes the decisions of sched where their
// points come and the default everywhere else: the run sched was
// recorded from, again.
func Replay(sched schedule.Schedule) Chooser {
	r := replay{}
	for _, d := range sched {
		r[replayKey(d)] = d
	}
	return r
}

type replay map[[2]uint64]schedule.Decision

// replayKey is where a decision applies: an order or fault point's step,
// a message's id.
func replayKey(d schedule.Decision) [2]uint64 {
	switch d.Kind {
	case schedule.Drop, schedule.Duplicate:
		return [2]uint64{uint64(PointFate), d.Msg}
	case schedule.Crash, schedule.Restart:
		return [2]uint64{uint64(PointFault), d.Step}
	}
	return [2]uint64{uint64(PointOrder), d.Step}
}

// Choose implements Chooser.
func (r replay) Choose(p Point) int {
	key := [2]uint64{uint64(p.Kind), p.Step}
	if p.Kind == PointFate {
		key[1] = p.Options[0].Decision.Msg
		if len(p.Options) > 1 {
			key[1] = p.Options[1].Decision.Msg
		}
	}
	d, ok := r[key]
	if !ok {
		return 0
	}
	for i, o := range p.Options {
		if o.Decision == d {
			return i
		}
	}
	return 0
}
