package sim

import (
	"bytes"
	"fmt"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func (s *Sim) name(i int32) string {
	switch {
	case i >= 0 && int(i) < len(s.nodes):
		return s.nodes[i].Name
	case int(i) >= len(s.nodes) && int(i) < len(s.nodes)+len(s.clients):
		return s.clients[int(i)-len(s.nodes)].name
	}
	return fmt.Sprintf("#%d", i)
}

// send queues a message from one endpoint to another.
func (s *Sim) send(from, to int32, msg []byte) int32 { return s.sendMsg(from, to, msg, false) }

// sendMsg is send; owned says msg is the kernel's own copy already.
func (s *Sim) sendMsg(from, to int32, msg []byte, owned bool) int32 {
	if to < 0 || int(to) >= len(s.nodes)+len(s.clients) {
		return wasmhost.ErrnoNoDest
	}
	node := from >= 0 && int(from) < len(s.inFlight) // nodes, once started
	if node && s.cfg.maxInFlightN > 0 && s.inFlightN[from] >= s.cfg.maxInFlightN {
		// Sends from a node come only from its guest's host calls
		// (kernel.Send), where Stop crashes the node. A replayed window
		// never gets here: its worker saw an upper bound under the cap.
		abi.Stop(inFlightMessagesQuota(s.cfg.maxInFlightN))
	}
	if node && s.cfg.maxInFlight > 0 && s.inFlight[from]+int64(len(msg)) > s.cfg.maxInFlight {
		return wasmhost.ErrnoQuota
	}
	s.msgSeq++
	if !owned {
		msg = bytes.Clone(msg)
	}
	m := &message{id: s.msgSeq, from: from, to: to, payload: msg}
	if int(to) < len(s.nodes) {
		// A message is for the incarnation that runs when it is sent; one
		// sent before its destination's first boot (a node's init talking
		// to a service or a node that boots after it at the same instant)
		// is for that first incarnation, as in Maelstrom, where a message
		// waits for a node that has not handled init yet.
		m.toInc = max(s.nodes[to].Incarnation(), 1)
	}
	label := s.labels.of(msg)
	s.stats.Sent++
	s.rec.RecordImmutable(trace.Event{Time: s.now, Kind: trace.KindSend, Node: from, Peer: to, Msg: m.id, Label: label, Data: m.payload})
	if s.adv != nil {
		to = s.intercept(m) // adversary.go
	}
	extra, copies, held := int64(0), 1, false
	if f := s.matchFilter(label, from, to); f != nil {
		switch f.Kind {
		case fault.Drop:
			s.drop(m, "filter")
			return 0
		case fault.Delay:
			extra = int64(f.Delay)
		case fault.Duplicate:
			copies = 2
		case fault.Hold:
			held = true
		}
	}
	fate := s.net.Fate(from, to, s.netRand)
	if fate.Dropped {
		s.drop(m, fate.Reason)
		return 0
	}
	delays := s.delays(m, fate.Delays, copies)
	if delays == nil {
		s.drop(m, "chosen")
		return 0
	}
	if node {
		m.pending = len(delays)
		if held {
			m.pending = 1
		}
		s.inFlight[from] += int64(len(m.payload))
		if s.inFlightN[from]++; s.inFlightN[from] > s.peakInFlightN {
			s.peakInFlightN = s.inFlightN[from]
		}
	}
	if held {
		s.held = append(s.held, heldMsg{msg: m, since: s.now})
		return 0
	}
	for i, d := range delays {
		if i > 0 {
			s.stats.Duplicated++
			s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindDuplicate, Node: from, Peer: to, Msg: m.id, Label: label})
		}
		s.push(event{at: s.now + d + extra, kind: evDeliver, msg: m, slack: s.slack(from, to, d+extra)})
	}
	return 0
}

// slack is how much sooner than after delay a message from→to could have
// arrived within its link's latency range (its least latency); it is
// kept only for a chooser, to offer the message early (choice.go).
func (s *Sim) slack(from, to int32, delay int64) int64 {
	if s.choice == nil {
		return 0
	}
	return max(delay-int64(s.net.Link(from, to).Latency.Min), 0)
}

// delays are the delivery delays of m's copies: the network's, a filter's
// duplicate, and a chooser's drop (none) or duplicate (choice.go).
func (s *Sim) delays(m *message, delays []int64, copies int) []int64 {
	if copies == 2 && len(delays) == 1 {
		delays = append(delays, delays[0])
	}
	if s.choice != nil {
		return s.fatePoint(m, delays)
	}
	return delays
}

// inFlightMessagesQuota is the crash reason of a node over its in-flight
// message count.
func inFlightMessagesQuota(limit int64) string {
	return abi.Quota("in_flight_messages", "more than %d of this node's messages on their way at once (a flood that grows with every hop?)", limit)
}

// landed settles one copy of m: delivered or dropped.
func (s *Sim) landed(m *message) {
	if m.pending > 0 {
		if m.pending--; m.pending == 0 {
			s.inFlight[m.from] -= int64(len(m.payload))
			s.inFlightN[m.from]--
		}
	}
}

func (s *Sim) drop(m *message, reason string) {
	s.landed(m)
	s.stats.Dropped++
	s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindDrop, Node: m.to, Peer: m.from, Msg: m.id, Label: reason})
}

func (s *Sim) deliver(m *message) error {
	if s.net.Cut(m.from, m.to) {
		s.drop(m, "partition")
		return nil
	}
	if s.isHeld(m.from, m.to) {
		s.held = append(s.held, heldMsg{msg: m, since: s.now})
		return nil
	}
	if int(m.to) < len(s.nodes) && s.paused[m.to] != nil {
		s.paused[m.to].stash = append(s.paused[m.to].stash, event{kind: evDeliver, msg: m})
		return nil
	}
	if int(m.to) >= len(s.nodes) {
		s.landed(m)
		s.stats.Delivered++
		s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindDeliver, Node: m.to, Peer: m.from, Msg: m.id})
		s.clients[int(m.to)-len(s.nodes)].receive(m)
		return nil
	}
	n := s.nodes[m.to]
	if n.State() != nodes.Running || n.Incarnation() != m.toInc {
		s.drop(m, "node down")
		return nil
	}
	s.landed(m)
	s.stats.Delivered++
	s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindDeliver, Node: m.to, Peer: m.from, Msg: m.id})
	return n.Deliver(m.from, m.payload)
}
