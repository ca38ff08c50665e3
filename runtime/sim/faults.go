package sim

import (
	"fmt"
	"time"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// FilterAction is what a message filter does to the messages it matches.
type FilterAction uint8

// Filter actions.
const (
	// FilterDrop loses the message.
	FilterDrop FilterAction = iota + 1
	// FilterDelay adds Filter.Delay to its latency.
	FilterDelay
	// FilterDuplicate delivers it twice.
	FilterDuplicate
	// FilterHold holds it until Release.
	FilterHold
)

// Filter matches messages at send time by type, source and destination
// ("" matches any) and applies its action; the first matching filter wins.
type Filter struct {
	Type, From, To string
	Action         FilterAction
	Delay          time.Duration
}

type filterEntry struct {
	id       int
	f        Filter
	from, to int32 // -1: any
}

// AddFilter installs a message filter and returns its id for RemoveFilter.
func (s *Sim) AddFilter(f Filter) (int, error) {
	if f.Action < FilterDrop || f.Action > FilterHold {
		return 0, fmt.Errorf("sim: filter: unknown action %d", f.Action)
	}
	if f.Action == FilterDelay && f.Delay <= 0 {
		return 0, fmt.Errorf("sim: filter: delay action needs a positive Delay")
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

func (s *Sim) matchFilter(typ string, from, to int32) *Filter {
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

// Hold holds every message from → to ("*" or "": any) that would be
// delivered, until Release.
func (s *Sim) Hold(from, to string) error {
	f, err := s.endpoint(from)
	if err != nil {
		return fmt.Errorf("sim: hold: %w", err)
	}
	t, err := s.endpoint(to)
	if err != nil {
		return fmt.Errorf("sim: hold: %w", err)
	}
	s.holds = append(s.holds, holdPattern{f, t})
	s.fault("hold", fmt.Sprintf("%s->%s", orAny(from), orAny(to)))
	return nil
}

// Release stops holding from → to and delivers, now and in the order they
// were held, the held messages it matches.
func (s *Sim) Release(from, to string) error {
	f, err := s.endpoint(from)
	if err != nil {
		return fmt.Errorf("sim: release: %w", err)
	}
	t, err := s.endpoint(to)
	if err != nil {
		return fmt.Errorf("sim: release: %w", err)
	}
	match := func(a, b int32) bool { return (f < 0 || f == a) && (t < 0 || t == b) }
	kept := s.holds[:0]
	for _, h := range s.holds {
		if !(match(h.from, h.to) || (f < 0 && t < 0)) {
			kept = append(kept, h)
		}
	}
	s.holds = kept
	s.fault("release", fmt.Sprintf("%s->%s", orAny(from), orAny(to)))
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

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// fault records a fault in the trace.
func (s *Sim) fault(label, detail string) {
	s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindFault, Node: -1, Peer: -1, Label: label, Data: []byte(detail)})
}

func (s *Sim) indices(names []string) ([]int32, error) {
	out := make([]int32, len(names))
	for i, n := range names {
		idx, ok := s.Index(n)
		if !ok {
			return nil, fmt.Errorf("unknown node or client %q", n)
		}
		out[i] = idx
	}
	return out, nil
}

// Partition cuts every link between the two groups, both ways.
func (s *Sim) Partition(a, b []string) error {
	ia, err := s.indices(a)
	if err != nil {
		return fmt.Errorf("sim: partition: %w", err)
	}
	ib, err := s.indices(b)
	if err != nil {
		return fmt.Errorf("sim: partition: %w", err)
	}
	s.net.Partition(ia, ib)
	s.fault("partition", fmt.Sprintf("%v | %v", a, b))
	return nil
}

// PartitionOneWay cuts the links from every node in from to every node in
// to; the other direction still works.
func (s *Sim) PartitionOneWay(from, to []string) error {
	ia, err := s.indices(from)
	if err != nil {
		return fmt.Errorf("sim: partition_oneway: %w", err)
	}
	ib, err := s.indices(to)
	if err != nil {
		return fmt.Errorf("sim: partition_oneway: %w", err)
	}
	s.net.PartitionOneWay(ia, ib)
	s.fault("partition_oneway", fmt.Sprintf("%v -> %v", from, to))
	return nil
}

// Repair heals every partition.
func (s *Sim) Repair() {
	s.net.Repair()
	s.fault("repair", "")
}

type pauseState struct {
	since int64
	stash []event
}

// Pause freezes a node: it receives nothing (messages wait) and its timers
// stand still until Resume.
func (s *Sim) Pause(name string) error {
	n := s.Node(name)
	if n == nil {
		return fmt.Errorf("sim: pause: unknown node %q", name)
	}
	if n.State() != nodes.Running || s.paused[n.Index] != nil {
		return nil
	}
	s.paused[n.Index] = &pauseState{since: s.now}
	s.fault("pause", name)
	return nil
}

// Resume unfreezes a paused node: its waiting messages arrive now, in order,
// and its timers fire as late as the pause lasted.
func (s *Sim) Resume(name string) error {
	n := s.Node(name)
	if n == nil {
		return fmt.Errorf("sim: resume: unknown node %q", name)
	}
	p := s.paused[n.Index]
	if p == nil {
		return nil
	}
	delete(s.paused, n.Index)
	d := s.now - p.since
	s.pausedTotal[n.Index] += d
	s.fault("resume", name)
	for _, e := range p.stash {
		if e.kind == evDeliver {
			e.at = s.now
		} else {
			e.at += s.pausedTotal[n.Index] - e.shift
			e.shift = s.pausedTotal[n.Index]
		}
		s.push(e)
	}
	return nil
}

// Paused reports whether a node is paused.
func (s *Sim) Paused(name string) bool {
	n := s.Node(name)
	return n != nil && s.paused[n.Index] != nil
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

// Bounce crashes a node and restarts it at once.
func (s *Sim) Bounce(name string) error {
	if err := s.Crash(name, "bounce"); err != nil {
		return err
	}
	return s.Restart(name)
}

// SetClockSkew offsets a node's clock (now() and the WASI clocks) by d.
func (s *Sim) SetClockSkew(name string, d time.Duration) error {
	n := s.Node(name)
	if n == nil {
		return fmt.Errorf("sim: clock skew: unknown node %q", name)
	}
	n.SetSkew(int64(d))
	s.fault("skew", fmt.Sprintf("%s %v", name, d))
	return nil
}

// SetClockDrift makes a node's clock run fast or slow by ppm parts per
// million (-999999 < ppm < 1000000).
func (s *Sim) SetClockDrift(name string, ppm int64) error {
	n := s.Node(name)
	if n == nil {
		return fmt.Errorf("sim: clock drift: unknown node %q", name)
	}
	if ppm <= -1_000_000 || ppm >= 1_000_000 {
		return fmt.Errorf("sim: clock drift: %d ppm is outside (-1000000, 1000000)", ppm)
	}
	n.SetDrift(ppm)
	s.fault("drift", fmt.Sprintf("%s %dppm", name, ppm))
	return nil
}
