// Command broadcast is our solution to Maelstrom's broadcast workload
// (Gossip Glomers 3a-3e), a Terrarium guest.
//
// Every value a node learns is stored in its Store, synced before it is
// acknowledged and reloaded on restart. Nodes gossip in batches: every
// gossip interval each node sends each neighbour, in one message, every
// value that neighbour has not acknowledged yet, and drops a value from a
// neighbour's batch only when the neighbour's gossip_ok names it; so
// values lost to a partition, a loss or a crash are sent again until they
// arrive.
//
// The neighbours come from a star over the node ids (the first node is
// the hub): each value takes at most two hops, and with batching a node
// sends at most one gossip per neighbour per interval, which keeps
// messages per operation low. Params {"topology": "given"} uses the
// topology message's neighbours instead.
//
// Gossip rounds run inline, in the host's timer call (the SDK's
// TickInline), not in a goroutine woken by a ticker.
//
// Params {"broken": true} make a deliberately broken variant: each value
// is gossiped once, and forgotten whether or not it arrived.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

const seenPrefix = "seen/"

type params struct {
	GossipMS int    `json:"gossip_ms"`
	Topology string `json:"topology"`
	Broken   bool   `json:"broken"`
	// Ticker "goroutine" gossips from a goroutine reading a time.Ticker,
	// as this solution did before the SDK's TickInline: kept so that
	// BenchmarkGlomers measures the two side by side in one run.
	Ticker string `json:"ticker"`
}

type server struct {
	n  *maelstrom.Node
	st *maelstrom.Store
	p  params

	mu         sync.Mutex
	seen       map[int]struct{}
	neighbours []string
	pending    map[string]map[int]struct{} // per neighbour: values it has not acknowledged
}

func main() {
	n := maelstrom.NewNode()
	s := &server{n: n, st: n.Store(), seen: map[int]struct{}{}, pending: map[string]map[int]struct{}{}, p: params{GossipMS: 100}}
	if err := n.ParamsInto(&s.p); err != nil {
		log.Fatal(err)
	}
	if err := s.load(); err != nil {
		log.Fatal(err)
	}
	if s.p.Topology != "given" {
		s.setNeighbours(star(n.ID(), n.NodeIDs()))
	}
	n.HandleInline("broadcast", s.broadcast)
	n.HandleInline("read", s.read)
	n.HandleInline("topology", s.topology)
	n.HandleInline("gossip", s.gossip)
	n.HandleInline("gossip_ok", s.gossipOK)

	every := time.Duration(max(s.p.GossipMS, 1)) * time.Millisecond
	if s.p.Ticker == "goroutine" {
		ticker := time.NewTicker(every)
		go func() {
			for range ticker.C {
				s.gossipRound()
			}
		}()
	} else if err := n.TickInline(every, s.gossipRound); err != nil {
		log.Fatal(err)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

// star links the hub (the first id) to every other node.
func star(me string, ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	if me != ids[0] {
		return []string{ids[0]}
	}
	return slices.Clone(ids[1:])
}

func seenKey(v int) string { return fmt.Sprintf("%s%020d", seenPrefix, v) }

// load reloads the values a previous incarnation synced.
func (s *server) load() error {
	pairs, err := s.st.Scan(seenPrefix)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		v, err := strconv.Atoi(strings.TrimPrefix(p.Key, seenPrefix))
		if err != nil {
			return fmt.Errorf("bad key %q: %w", p.Key, err)
		}
		s.seen[v] = struct{}{}
	}
	return nil
}

// setNeighbours replaces the neighbour set; a new neighbour is owed every
// value seen so far. Callers hold s.mu or own s.
func (s *server) setNeighbours(ns []string) {
	s.neighbours = ns
	for _, nb := range ns {
		if _, ok := s.pending[nb]; ok {
			continue
		}
		p := make(map[int]struct{}, len(s.seen))
		for v := range s.seen {
			p[v] = struct{}{}
		}
		s.pending[nb] = p
	}
}

// add records new values durably and queues them for every neighbour but
// from.
func (s *server) add(values []int, from string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	added := 0
	for _, v := range values {
		if _, ok := s.seen[v]; ok {
			continue
		}
		if err := s.st.Put(seenKey(v), nil); err != nil {
			return err
		}
		s.seen[v] = struct{}{}
		for _, nb := range s.neighbours {
			if nb != from {
				s.pending[nb][v] = struct{}{}
			}
		}
		added++
	}
	if added > 0 {
		return s.st.Sync()
	}
	return nil
}

func (s *server) broadcast(msg maelstrom.Message) error {
	v, ok := msg.Int("message")
	if !ok {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "broadcast without an integer message")
	}
	if err := s.add([]int{v}, msg.Src); err != nil {
		return err
	}
	return s.n.Reply(msg, map[string]any{"type": "broadcast_ok"})
}

func (s *server) read(msg maelstrom.Message) error {
	s.mu.Lock()
	values := make([]int, 0, len(s.seen))
	for v := range s.seen {
		values = append(values, v)
	}
	s.mu.Unlock()
	slices.Sort(values)
	return s.n.Reply(msg, map[string]any{"type": "read_ok", "messages": values})
}

func (s *server) topology(msg maelstrom.Message) error {
	var body struct {
		Topology map[string][]string `json:"topology"`
	}
	if err := json.Unmarshal(msg.Body, &body); err != nil {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
	}
	if s.p.Topology == "given" {
		s.mu.Lock()
		s.setNeighbours(body.Topology[s.n.ID()])
		s.mu.Unlock()
	}
	return s.n.Reply(msg, map[string]any{"type": "topology_ok"})
}

// Bodies are read with the SDK's field accessors and written as maps,
// which the SDK encodes without reflection: in a wasm guest that is
// several times cheaper than encoding/json with structs.

// gossip stores the values a peer sent and acknowledges them all.
func (s *server) gossip(msg maelstrom.Message) error {
	values, ok := msg.Ints("messages")
	if !ok {
		return fmt.Errorf("gossip without a list of integers: %s", msg.Body)
	}
	if err := s.add(values, msg.Src); err != nil {
		return err
	}
	return s.n.Send(msg.Src, map[string]any{"type": "gossip_ok", "messages": values})
}

func (s *server) gossipOK(msg maelstrom.Message) error {
	values, ok := msg.Ints("messages")
	if !ok {
		return fmt.Errorf("gossip_ok without a list of integers: %s", msg.Body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pending[msg.Src]; p != nil {
		for _, v := range values {
			delete(p, v)
		}
	}
	return nil
}

// gossipRound sends every neighbour the values it has not acknowledged.
func (s *server) gossipRound() {
	s.mu.Lock()
	type out struct {
		to     string
		values []int
	}
	var outs []out
	for _, nb := range s.neighbours {
		p := s.pending[nb]
		if len(p) == 0 {
			continue
		}
		values := make([]int, 0, len(p))
		for v := range p {
			values = append(values, v)
		}
		slices.Sort(values)
		outs = append(outs, out{nb, values})
		if s.p.Broken {
			clear(p)
		}
	}
	s.mu.Unlock()
	for _, o := range outs {
		if err := s.n.Send(o.to, map[string]any{"type": "gossip", "messages": o.values}); err != nil {
			s.n.Logf(maelstrom.LevelWarn, "gossip to %s: %v", o.to, err)
		}
	}
}
