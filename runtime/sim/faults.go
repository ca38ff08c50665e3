package sim

import (
	"fmt"
	"time"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

type filterEntry struct {
	id       int
	f        fault.Filter
	from, to int32 // -1: any
}

// AddFilter installs a message filter and returns its id for RemoveFilter.
// The first installed filter that matches a message is the one applied.
func (s *Sim) AddFilter(f fault.Filter) (int, error) {
	if err := f.Validate(); err != nil {
		return 0, fmt.Errorf("sim: %w", err)
	}
	from, err := s.endpoint(f.From)
	if err != nil {
		return 0, fmt.Errorf("sim: filter: %w", err)
	}
	to, err := s.endpoint(f.To)
	if err != nil {
		return 0, fmt.Errorf("sim: filter: %w", err)
	}
	s.nextFilter++
	s.filters = append(s.filters, filterEntry{id: s.nextFilter, f: f, from: from, to: to})
	return s.nextFilter, nil
}

// RemoveFilter uninstalls a filter; false if there was none with that id.
func (s *Sim) RemoveFilter(id int) bool {
	for i, e := range s.filters {
		if e.id == id {
			s.filters = append(s.filters[:i], s.filters[i+1:]...)
			return true
		}
	}
	return false
}

// endpoint resolves a name, "" or "*" (any: -1).
func (s *Sim) endpoint(name string) (int32, error) {
	if name == "" || name == "*" {
		return -1, nil
	}
	i, ok := s.Index(name)
	if !ok {
		return 0, fmt.Errorf("unknown node or client %q", name)
	}
	return i, nil
}

func (s *Sim) matchFilter(typ string, from, to int32) *fault.Filter {
	for i := range s.filters {
		e := &s.filters[i]
		if (e.f.Type == "" || e.f.Type == typ) && (e.from < 0 || e.from == from) && (e.to < 0 || e.to == to) {
			return &e.f
		}
	}
	return nil
}

type holdPattern struct{ from, to int32 }

type heldMsg struct {
	msg   *message
	since int64
}

// HeldMessage describes a message held by Hold or a hold filter.
type HeldMessage struct {
	ID       uint64
	From, To string
	Type     string
	Since    time.Duration
}

// hold holds every message from → to ("*" or "": any) that would be
// delivered, until Release.
func (s *Sim) hold(from, to string) error {
	f, err := s.endpoint(from)
	if err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	t, err := s.endpoint(to)
	if err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	s.holds = append(s.holds, holdPattern{f, t})
	return nil
}

// release stops holding from → to and delivers, now and in the order they
// were held, the held messages it matches.
func (s *Sim) release(from, to string) error {
	f, err := s.endpoint(from)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	t, err := s.endpoint(to)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	match := func(a, b int32) bool { return (f < 0 || f == a) && (t < 0 || t == b) }
	kept := s.holds[:0]
	for _, h := range s.holds {
		if !(match(h.from, h.to) || (f < 0 && t < 0)) {
			kept = append(kept, h)
		}
	}
	s.holds = kept
	rest := s.held[:0]
	var out []heldMsg
	for _, h := range s.held {
		if match(h.msg.from, h.msg.to) {
			out = append(out, h)
		} else {
			rest = append(rest, h)
		}
	}
	s.held = rest
	for _, h := range out {
		s.push(event{at: s.now, kind: evDeliver, msg: h.msg})
	}
	return nil
}

// Held lists the messages currently held, in the order they were held.
func (s *Sim) Held() []HeldMessage {
	out := make([]HeldMessage, len(s.held))
	for i, h := range s.held {
		out[i] = HeldMessage{ID: h.msg.id, From: s.name(h.msg.from), To: s.name(h.msg.to), Type: msgType(h.msg.payload), Since: time.Duration(h.since)}
	}
	return out
}

func (s *Sim) isHeld(from, to int32) bool {
	for _, h := range s.holds {
		if (h.from < 0 || h.from == from) && (h.to < 0 || h.to == to) {
			return true
		}
	}
	return false
}

func (s *Sim) indices(names []string) ([]int32, error) {
	out := make([]int32, len(names))
	for i, n := range names {
		idx, ok := s.Index(n)
		if !ok {
			return nil, fmt.Errorf("%w %q", fault.ErrUnknownNode, n)
		}
		out[i] = idx
	}
	return out, nil
}

// Apply carries out a fault now and records it in the trace as one event of
// kind fault (label: the fault's kind; data: its JSON encoding), followed by
// whatever it causes (a crash, a boot). A fault naming an unknown node
// changes nothing and records nothing. Faults that find nothing to do (a
// pause of a crashed node, a restart of a running one) are still recorded.
func (s *Sim) Apply(f fault.Fault) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	for _, name := range f.Nodes() {
		if _, ok := s.Index(name); !ok {
			return fmt.Errorf("sim: %s: %w %q", f.Kind, fault.ErrUnknownNode, name)
		}
		if f.Node != "" && s.node(f.Node) == nil {
			return fmt.Errorf("sim: %s: %q is a client, not a node", f.Kind, f.Node)
		}
	}
	if !s.started {
		if err := s.Start(); err != nil {
			return err
		}
	}
	s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindFault, Node: -1, Peer: -1, Label: string(f.Kind), Data: f.Encode()})
	var err error
	switch f.Kind {
	case fault.Partition:
		for i := range f.Groups {
			for j := i + 1; j < len(f.Groups); j++ {
				a, _ := s.indices(f.Groups[i])
				b, _ := s.indices(f.Groups[j])
				s.net.Partition(a, b)
			}
		}
	case fault.PartitionOneWay:
		a, _ := s.indices(f.From)
		b, _ := s.indices(f.To)
		s.net.PartitionOneWay(a, b)
	case fault.Repair:
		s.net.Repair()
	case fault.Crash:
		err = s.crash(s.node(f.Node), "fault: crash")
	case fault.Restart:
		err = s.restart(s.node(f.Node))
	case fault.Bounce:
		if err = s.crash(s.node(f.Node), "fault: bounce"); err == nil {
			err = s.restart(s.node(f.Node))
		}
	case fault.Pause:
		s.pause(s.node(f.Node))
	case fault.Resume:
		s.resume(s.node(f.Node))
	case fault.Hold:
		err = s.hold(f.From[0], f.To[0])
	case fault.Release:
		err = s.release(f.From[0], f.To[0])
	case fault.Skew:
		s.node(f.Node).SetSkew(int64(f.By))
	case fault.Drift:
		s.node(f.Node).SetDrift(f.PPM)
	default:
		if f.Kind.Adversary() {
			err = s.applyAdversary(f) // adversary.go
		}
	}
	if err != nil {
		return fmt.Errorf("sim: %s: %w", f, err)
	}
	return nil
}

type pauseState struct {
	since int64
	stash []event
}

// pause freezes a node: it receives nothing (messages wait) and its timers
// stand still until resume.
func (s *Sim) pause(n *nodes.Node) {
	if n.State() != nodes.Running || s.paused[n.Index] != nil {
		return
	}
	s.paused[n.Index] = &pauseState{since: s.now}
}

// resume unfreezes a paused node: its waiting messages arrive now, in order,
// and its timers fire as late as the pause lasted.
func (s *Sim) resume(n *nodes.Node) {
	p := s.paused[n.Index]
	if p == nil {
		return
	}
	delete(s.paused, n.Index)
	d := s.now - p.since
	s.pausedTotal[n.Index] += d
	for _, e := range p.stash {
		if e.kind == evDeliver {
			e.at = s.now
		} else {
			e.at += s.pausedTotal[n.Index] - e.shift
			e.shift = s.pausedTotal[n.Index]
		}
		s.push(e)
	}
}

// deferForPause stashes a timer or wake-up of a paused node, or moves it
// later by the time the node spent paused since it was scheduled.
func (s *Sim) deferForPause(e event) bool {
	idx := e.node.Index
	if p := s.paused[idx]; p != nil {
		p.stash = append(p.stash, e)
		return true
	}
	if total := s.pausedTotal[idx]; total > e.shift {
		e.at += total - e.shift
		e.shift = total
		s.push(e)
		return true
	}
	return false
}
