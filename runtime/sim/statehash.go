package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
)

// StateHash is a digest of the run's state now, for a search that prunes
// states it has seen (explore's bfs): the virtual time, every node's
// state (nodes.Node.HashState: lifecycle, Wasm linear memory, store) and
// the queued events (messages in flight, timers, wake-ups, client
// actions) without their sequence numbers, in a canonical order, so that
// two interleavings that reach one state give one hash. Not in it: the
// clients' and workloads' Go state, messages parked on a held link or for
// a paused node, and a guest's unexported globals; a search using it
// treats states that differ only there as one.
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
