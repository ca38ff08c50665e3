package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
)

// StateHash is a digest of the run's state now, for a search that prunes
// states it has seen (explore's bfs): the virtual time, every node's
// state (nodes.Node.HashState: lifecycle, Wasm linear memory and mutable
// globals, store), the queued events (messages in flight, timers,
// wake-ups, client actions) without their sequence numbers, in a
// canonical order, so that two interleavings that reach one state give
// one hash; then the messages held on a link and the links held, each
// paused node's parked events and every node's paused time, and the
// clients' calls awaiting a reply (hashNetwork, hashClients).
//
// Not in it: a workload's own Go state. A workload (runtime/workload)
// keeps it in the closures its queued actions and reply callbacks
// capture (an operation counter, a value to write next), which the host
// cannot read; what of it reaches the run is in the hash through the
// clients' call counters and pending calls and the queued actions'
// times. A search using the hash treats states that differ only in a
// workload's closures as one; a workload that could diverge there without
// a difference in its clients' calls is not one of the bundled ones.
func (s *Sim) StateHash() ([32]byte, error) {
	h := sha256.New()
	var num [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(num[:], v)
		h.Write(num[:])
	}
	put(uint64(s.now))
	for _, n := range s.nodes {
		if err := n.HashState(h); err != nil {
			return [32]byte{}, fmt.Errorf("sim: state hash: %w", err)
		}
	}
	recs := make([][]byte, 0, len(s.q.h))
	for i := range s.q.h {
		recs = append(recs, eventRecord(&s.q.h[i]))
	}
	sort.Slice(recs, func(i, j int) bool { return bytes.Compare(recs[i], recs[j]) < 0 })
	for _, r := range recs {
		put(uint64(len(r)))
		h.Write(r)
	}
	s.hashNetwork(h, put)
	s.hashClients(h, put)
	var out [32]byte
	h.Sum(out[:0])
	return out, nil
}

// eventRecord is a queued event as StateHash sees it: everything but its
// sequence number and closures.
func eventRecord(e *event) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(e.at))
	b = append(b, byte(e.kind))
	node := int32(-1)
	if e.node != nil {
		node = e.node.Index
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(node))
	b = binary.LittleEndian.AppendUint64(b, uint64(e.id))
	b = binary.LittleEndian.AppendUint64(b, e.gen)
	b = binary.LittleEndian.AppendUint64(b, uint64(e.shift))
	if m := e.msg; m != nil {
		b = binary.LittleEndian.AppendUint32(b, uint32(m.from))
		b = binary.LittleEndian.AppendUint32(b, uint32(m.to))
		b = binary.LittleEndian.AppendUint64(b, uint64(m.toInc))
		b = append(b, m.payload...)
	}
	return b
}

// State is the run's state hash at the point (Sim.StateHash).
func (p Point) State() ([32]byte, error) { return p.s.StateHash() }

// hashNetwork writes what the queue does not hold of the messages and
// timers: the held links and their messages, in the order a release
// delivers them, and per node its pause (since when, and the events
// parked for it in order) and its paused time so far, which moves its
// timers later.
func (s *Sim) hashNetwork(h io.Writer, put func(uint64)) {
	put(uint64(len(s.holds)))
	for _, p := range s.holds {
		put(uint64(uint32(p.from))<<32 | uint64(uint32(p.to)))
	}
	put(uint64(len(s.held)))
	for _, m := range s.held {
		put(uint64(m.since))
		r := eventRecord(&event{kind: evDeliver, msg: m.msg})
		put(uint64(len(r)))
		h.Write(r)
	}
	for i := range s.nodes {
		idx := int32(i)
		put(uint64(s.pausedTotal[idx]))
		p := s.paused[idx]
		if p == nil {
			put(^uint64(0))
			continue
		}
		put(uint64(p.since))
		put(uint64(len(p.stash)))
		for j := range p.stash {
			r := eventRecord(&p.stash[j])
			put(uint64(len(r)))
			h.Write(r)
		}
	}
}

// hashClients writes each client's call counter and its calls awaiting a
// reply (id, destination, type, when sent), by id.
func (s *Sim) hashClients(h io.Writer, put func(uint64)) {
	for _, c := range s.clients {
		put(uint64(c.nextID))
		ids := make([]int, 0, len(c.pending))
		for id := range c.pending {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		put(uint64(len(ids)))
		for _, id := range ids {
			p := c.pending[id]
			put(uint64(id))
			put(uint64(p.to))
			put(uint64(p.sent))
			put(uint64(len(p.typ)))
			io.WriteString(h, p.typ)
		}
	}
}
