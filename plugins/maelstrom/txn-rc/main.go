// Command txn-rc is our solution to Gossip Glomers 6b and 6c (Maelstrom's
// txn-rw-register workload, read uncommitted and read committed, totally
// available under partitions), a Terrarium guest that needs no service.
//
// Every node keeps the whole database in memory and runs a transaction
// alone, at once, on its own copy: reads see the node's latest values (and
// the transaction's own writes), and the transaction's final writes are
// installed together, stamped with one Lamport timestamp (clock, node
// index). A value replaces another only if its stamp is larger (last
// writer wins), so every node orders each key's versions the same way, and
// a transaction that read a value always writes after it. That rules out
// the read-committed anomalies: G0 (writes are ordered by stamps, one
// order for all keys), G1a (nothing aborts), G1b (only final writes leave
// a transaction) and G1c (a read raises the reader's clock above the
// writer's stamp).
//
// Writes reach the other nodes in batches: every gossip interval each node
// sends each peer every update the peer has not acknowledged, so updates
// lost to a partition are sent again until they arrive (the stamps make a
// repeat harmless). Its cost per transaction does not grow with the
// database, unlike plugins/maelstrom/txn's, which stores the whole
// database under one lin-kv key to be serializable.
package main

import (
	"bytes"
	"encoding/json"
	"log"
	"slices"
	"strconv"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

// stamp orders versions: a Lamport clock, then the writer's node index.
type stamp struct{ clock, node int }

func (a stamp) after(b stamp) bool {
	return a.clock > b.clock || a.clock == b.clock && a.node > b.node
}

// version is a key's value (raw JSON) and the stamp of its write.
type version struct {
	value json.RawMessage
	at    stamp
}

// update is one transaction's final writes with their stamp. It is
// gossiped as [clock, node, [[key, value], ...]].
type update struct {
	C, N int
	W    [][2]json.RawMessage
}

func (u update) appendJSON(b []byte) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(u.C), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(u.N), 10)
	b = append(b, ",["...)
	for i, w := range u.W {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(append(append(b, '['), w[0]...), ','), w[1]...), ']')
	}
	return append(b, "]]"...)
}

// parseUpdate reads what appendJSON wrote.
func parseUpdate(raw json.RawMessage) (u update, ok bool) {
	parts, ok := maelstrom.Elements(raw)
	if !ok || len(parts) != 3 {
		return u, false
	}
	c, err1 := strconv.Atoi(string(parts[0]))
	n, err2 := strconv.Atoi(string(parts[1]))
	ws, ok := maelstrom.Elements(parts[2])
	if err1 != nil || err2 != nil || !ok {
		return u, false
	}
	u.C, u.N = c, n
	for _, w := range ws {
		kv, ok := maelstrom.Elements(w)
		if !ok || len(kv) != 2 {
			return u, false
		}
		u.W = append(u.W, [2]json.RawMessage{kv[0], kv[1]})
	}
	return u, true
}

// maxBatch bounds the updates in one gossip message, so that a peer
// that was cut off for long is caught up in messages of bounded size.
const maxBatch = 1000

type server struct {
	n  *maelstrom.Node
	me int

	mu    sync.Mutex
	clock int
	db    map[string]version // by the key's JSON
	peers []string
	// pending holds, per peer, the updates it has not acknowledged, by
	// sequence number; next is the next sequence number.
	pending map[string][]seqUpdate
	next    int
}

type seqUpdate struct {
	seq int
	u   update
}

func main() {
	n := maelstrom.NewNode()
	var p struct {
		GossipMS int `json:"gossip_ms"`
	}
	p.GossipMS = 100
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	s := &server{n: n, db: map[string]version{}, pending: map[string][]seqUpdate{}}
	for i, id := range n.NodeIDs() {
		if id == n.ID() {
			s.me = i
		} else {
			s.peers = append(s.peers, id)
		}
	}
	n.HandleInline("txn", s.txn)
	n.HandleInline("replicate", s.replicate)
	n.HandleInline("replicate_ok", s.replicateOK)
	ticker := time.NewTicker(time.Duration(max(p.GossipMS, 1)) * time.Millisecond)
	go func() {
		for range ticker.C {
			s.gossip()
		}
	}()
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

// txn runs a transaction on this node's copy and answers at once.
func (s *server) txn(msg maelstrom.Message) error {
	ops, ok := microOps(msg)
	if !ok {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "txn: want a list of [f, k, v] micro-ops")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mine := map[string]json.RawMessage{} // this transaction's writes
	var order []string                   // their keys, first write first
	out := append(make([]byte, 0, 16*len(ops)), '[')
	for i, op := range ops {
		k := string(op[1])
		v := op[2]
		switch string(op[0]) {
		case `"r"`:
			var ok bool
			if v, ok = mine[k]; !ok {
				v = s.db[k].value
			}
		case `"w"`:
			if _, ok := mine[k]; !ok {
				order = append(order, k)
			}
			mine[k] = v
		default:
			return maelstrom.NewRPCError(maelstrom.NotSupported, "txn: only r and w micro-ops, not "+string(op[0]))
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = appendOp(out, op[0], op[1], v)
	}
	out = append(out, ']')
	if len(order) > 0 {
		s.clock++
		u := update{C: s.clock, N: s.me}
		for _, k := range order {
			u.W = append(u.W, [2]json.RawMessage{json.RawMessage(k), mine[k]})
		}
		s.install(u)
		s.queue(u)
	}
	return s.n.Reply(msg, maelstrom.NewBody("txn_ok").Raw("txn", out))
}

// microOps reads the body's txn, a list of [f, k, v] micro-ops, with the
// SDK's scanner: encoding/json's reflection costs several times more in a
// wasm guest.
func microOps(msg maelstrom.Message) ([][]json.RawMessage, bool) {
	raw, ok := msg.Field("txn")
	if !ok {
		return nil, false
	}
	list, ok := maelstrom.Elements(raw)
	if !ok {
		return nil, false
	}
	ops := make([][]json.RawMessage, len(list))
	for i, m := range list {
		if ops[i], ok = maelstrom.Elements(m); !ok || len(ops[i]) != 3 {
			return nil, false
		}
	}
	return ops, true
}

// appendOp appends the micro-op [f, k, v]; an absent value is null.
func appendOp(out []byte, f, k, v json.RawMessage) []byte {
	if len(v) == 0 {
		v = json.RawMessage("null")
	}
	out = append(append(append(out, '['), f...), ',')
	out = append(append(append(out, k...), ','), v...)
	return append(out, ']')
}

// install applies an update's writes where its stamp is the latest and
// moves the clock past it. Callers hold s.mu.
func (s *server) install(u update) {
	at := stamp{u.C, u.N}
	s.clock = max(s.clock, u.C)
	for _, w := range u.W {
		k := string(w[0])
		if cur, ok := s.db[k]; !ok || at.after(cur.at) {
			s.db[k] = version{value: bytes.Clone(w[1]), at: at}
		}
	}
}

// queue owes u to every peer. Callers hold s.mu.
func (s *server) queue(u update) {
	s.next++
	for _, p := range s.peers {
		s.pending[p] = append(s.pending[p], seqUpdate{seq: s.next, u: u})
	}
}

// gossip sends each peer, in one message, what it has not acknowledged.
func (s *server) gossip() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.peers {
		q := s.pending[p]
		if len(q) == 0 {
			continue
		}
		q = q[:min(len(q), maxBatch)] // the rest go in the next rounds
		b := []byte{'['}
		for i, su := range q {
			if i > 0 {
				b = append(b, ',')
			}
			b = su.u.appendJSON(b)
		}
		b = append(b, ']')
		body := maelstrom.NewBody("replicate").Raw("updates", b).Int("upto", q[len(q)-1].seq)
		if err := s.n.Send(p, body); err != nil {
			s.n.Log("gossip to %s: %v", p, err)
		}
	}
}

// replicate installs a peer's updates and acknowledges them.
func (s *server) replicate(msg maelstrom.Message) error {
	raw, ok := msg.Field("updates")
	upto, ok2 := msg.Int("upto")
	list, ok3 := maelstrom.Elements(raw)
	if !ok || !ok2 || !ok3 {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "replicate: want updates and upto")
	}
	us := make([]update, len(list))
	for i, r := range list {
		if us[i], ok = parseUpdate(r); !ok {
			return maelstrom.NewRPCError(maelstrom.MalformedRequest, "replicate: an update is not [clock, node, writes]")
		}
	}
	s.mu.Lock()
	for _, u := range us {
		s.install(u)
	}
	s.mu.Unlock()
	return s.n.Send(msg.Src, maelstrom.NewBody("replicate_ok").Int("upto", upto))
}

// replicateOK drops what a peer acknowledged.
func (s *server) replicateOK(msg maelstrom.Message) error {
	upto, ok := msg.Int("upto")
	if !ok {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "replicate_ok: want upto")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.pending[msg.Src]
	i, _ := slices.BinarySearchFunc(q, upto, func(su seqUpdate, seq int) int { return su.seq - seq })
	if i < len(q) && q[i].seq == upto {
		i++
	}
	s.pending[msg.Src] = slices.Delete(q, 0, i)
	return nil
}
