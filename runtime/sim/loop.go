package sim

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/fault"
)

// At schedules fn to run in the event loop at virtual time t (not before now).
func (s *Sim) At(t time.Duration, fn func()) {
	s.push(event{at: max(int64(t), s.now), kind: evFunc, fn: fn})
}

// After schedules fn to run d after now.
func (s *Sim) After(d time.Duration, fn func()) { s.At(time.Duration(s.now)+d, fn) }

// crash crashes a running node now, with a reason recorded in the trace;
// messages waiting for it while paused die with it.
func (s *Sim) crash(n *nodes.Node, reason string) error {
	if p := s.paused[n.Index]; p != nil {
		delete(s.paused, n.Index)
		for _, e := range p.stash {
			if e.kind == evDeliver {
				s.drop(e.msg, "node down")
			}
		}
	}
	return n.Crash(reason)
}

// restart boots a crashed node again (on_init with restart: true).
func (s *Sim) restart(n *nodes.Node) error {
	if n.State() == nodes.Running {
		return nil
	}
	return n.Boot(s.ctx)
}

func (s *Sim) push(e event) {
	s.seq++
	e.seq = s.seq
	s.q.push(e)
}

// ErrDeadlock is returned when the queue runs dry while clients still wait
// for replies that have no timeout.
var ErrDeadlock = errors.New("sim: deadlock: no events left while clients wait")

// Step runs the next event. It returns false when the queue is empty.
func (s *Sim) Step() (bool, error) {
	if s.halt != nil {
		return false, s.halt
	}
	if !s.started {
		if err := s.Start(); err != nil {
			return false, err
		}
	}
	limit := int64(math.MaxInt64)
	if s.q.len() > 0 {
		limit = s.q.peek().at
	}
	if err := s.applyPins(limit); err != nil {
		return false, err
	}
	if s.q.len() == 0 {
		return false, s.deadlock()
	}
	start := time.Now()
	e, err := s.popEvent()
	if err == nil {
		err = s.dispatch(e)
	}
	s.wall += time.Since(start)
	s.par.SerialEvents++
	if err == nil {
		err = s.capped()
	}
	return true, err
}

// Steps returns how many events the loop has dispatched so far.
func (s *Sim) Steps() uint64 { return s.steps }

// ApplyBefore pins f to the loop's before-th event (counted from 1): it is
// applied, as Apply would, just before that event is dispatched, with the
// clock moved to at if it is behind. This is how a fault applied by hand
// between two events replays exactly. Pins must come in the order of
// before; a pin whose event has passed is applied at the next chance.
func (s *Sim) ApplyBefore(before uint64, at time.Duration, f fault.Fault) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if n := len(s.pins); n > 0 && s.pins[n-1].before > before {
		return fmt.Errorf("sim: pinned fault before event %d comes after one before event %d", before, s.pins[n-1].before)
	}
	s.pins = append(s.pins, pin{before: before, at: int64(at), f: f})
	return nil
}

// applyPins applies the pinned faults that are due before the next event,
// as long as their time is at most limit.
func (s *Sim) applyPins(limit int64) error {
	for len(s.pins) > 0 && s.pins[0].before <= s.steps+1 && s.pins[0].at <= limit {
		p := s.pins[0]
		s.pins = s.pins[1:]
		s.now = max(s.now, p.at)
		if err := s.Apply(p.f); err != nil {
			return err
		}
	}
	return nil
}

// capped reports a run-wide cap the run has reached.
func (s *Sim) capped() error {
	switch {
	case s.cfg.maxEvents > 0 && s.rec.Count() > s.cfg.maxEvents:
		return &LimitError{Limit: "max_events", Value: s.cfg.maxEvents, At: time.Duration(s.now)}
	case s.cfg.maxTrace > 0 && s.rec.Bytes() > s.cfg.maxTrace:
		return &LimitError{Limit: "max_trace_bytes", Value: s.cfg.maxTrace, At: time.Duration(s.now)}
	}
	return nil
}

func (s *Sim) deadlock() error {
	var waits []string
	for _, c := range s.clients {
		ids := make([]int, 0, len(c.pending))
		for id := range c.pending {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		for _, id := range ids {
			p := c.pending[id]
			waits = append(waits, fmt.Sprintf("%s waits for %s's reply to msg %d (%s) since %v", c.name, s.name(p.to), id, p.typ, time.Duration(p.sent)))
		}
	}
	if len(waits) == 0 {
		return nil
	}
	return fmt.Errorf("%w at %v:\n  %s", ErrDeadlock, time.Duration(s.now), joinLines(waits))
}

func joinLines(l []string) string {
	var b bytes.Buffer
	for i, s := range l {
		if i > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// RunUntil runs every event due at or before virtual time t, then sets the
// clock to t. It stops early on a host error (not on guest crashes).
func (s *Sim) RunUntil(t time.Duration) error {
	if !s.started {
		if err := s.Start(); err != nil {
			return err
		}
	}
	start := time.Now()
	defer func() { s.wall += time.Since(start) }()
	for {
		if s.halt != nil {
			return s.halt
		}
		if err := s.applyPins(int64(t)); err != nil {
			return err
		}
		if s.q.len() == 0 || s.q.peek().at > int64(t) || (len(s.pins) > 0 && s.pins[0].before <= s.steps+1) {
			break
		}
		if s.cfg.workers > 1 && s.choice == nil {
			if done, err := s.runWindow(int64(t)); done || err != nil {
				if err != nil {
					return err
				}
				continue
			}
		}
		e, err := s.popEvent()
		if err != nil {
			return err
		}
		if err := s.dispatch(e); err != nil {
			return err
		}
		s.par.SerialEvents++
		if err := s.afterEvent(); err != nil {
			return err
		}
	}
	if int64(t) > s.now {
		s.now = int64(t)
	}
	return s.rec.Err()
}

// RunFor runs for d of virtual time from now.
func (s *Sim) RunFor(d time.Duration) error { return s.RunUntil(time.Duration(s.now) + d) }

// RunUntilQuiescent runs until the queue is empty or the virtual deadline
// passes. An empty queue with clients still waiting is ErrDeadlock.
func (s *Sim) RunUntilQuiescent(deadline time.Duration) error {
	if err := s.RunUntil(deadline); err != nil {
		return err
	}
	if s.q.len() == 0 {
		return s.deadlock()
	}
	return nil
}

// Next returns the virtual time of the next queued event; false if none.
func (s *Sim) Next() (time.Duration, bool) {
	if s.q.len() == 0 {
		return 0, false
	}
	return time.Duration(s.q.peek().at), true
}

// Pending returns how many events are queued.
func (s *Sim) Pending() int { return s.q.len() }

// afterEvent checks, after each dispatched event, the context (every 1024
// events) and the run-wide caps.
func (s *Sim) afterEvent() error {
	if s.steps&1023 == 0 {
		if err := s.ctx.Err(); err != nil {
			return fmt.Errorf("sim: stopped at %v: %w", time.Duration(s.now), err)
		}
	}
	return s.capped()
}

func (s *Sim) dispatch(e event) error {
	s.now = e.at
	s.steps++
	switch e.kind {
	case evDeliver:
		return s.deliver(e.msg)
	case evTimer, evWake:
		if s.deferForPause(e) {
			return nil
		}
		if e.kind == evTimer {
			return e.node.FireTimer(e.id)
		}
		return e.node.FireWake(e.gen)
	case evBoot:
		return e.node.Boot(s.ctx)
	case evFunc, evTimeout:
		e.fn()
	}
	return nil
}
