// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o broadcast.wasm ./plugins/broadcast

// Command broadcast is Maelstrom's broadcast workload as a Terrarium
// guest. Every value a node learns is stored in its KV (synced before it
// is acknowledged, reloaded on restart) and gossiped on a ticker to each
// neighbour until that neighbour acknowledges it.
//
// Role params: {"gossip_ms": 100} (the gossip interval, default 100), and
// {"forget_unacked": true}, a deliberately broken variant: each value is
// gossiped once and forgotten whether or not the neighbour acknowledged it,
// so a value lost to a partition or a lossy link never arrives.
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

type server struct {
	n  *maelstrom.Node
	kv *maelstrom.Store

	mu         sync.Mutex
	seen       map[int]struct{}
	neighbours []string
	pending    map[string]map[int]struct{} // per neighbour: values it has not acknowledged
	forget     bool                        // broken variant: no retries
}

func main() {
	n := maelstrom.NewNode()
	s := &server{n: n, kv: n.Store(), seen: map[int]struct{}{}, pending: map[string]map[int]struct{}{}}

	var neighbours []string
	for _, id := range n.NodeIDs() {
		if id != n.ID() {
			neighbours = append(neighbours, id)
		}
	}
	var bp struct {
		ForgetUnacked bool `json:"forget_unacked"`
	}
	_ = json.Unmarshal(n.Params(), &bp)
	s.forget = bp.ForgetUnacked
	if err := s.load(); err != nil {
		log.Fatal(err)
	}
	s.setNeighbours(neighbours)

	n.Handle("broadcast", s.broadcast)
	n.Handle("read", s.read)
	n.Handle("topology", s.topology)
	n.Handle("gossip", s.gossip)
	n.Handle("gossip_ok", s.gossipOK)

	// Started before Run, so its timing is the same on every run.
	ticker := time.NewTicker(gossipInterval(n.Params()))
	go func() {
		for range ticker.C {
			s.gossipRound()
		}
	}()

	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

func gossipInterval(params json.RawMessage) time.Duration {
	var p struct {
		GossipMS int `json:"gossip_ms"`
	}
	if len(params) > 0 {
		_ = json.Unmarshal(params, &p)
	}
	if p.GossipMS <= 0 {
		p.GossipMS = 100
	}
	return time.Duration(p.GossipMS) * time.Millisecond
}

func seenKey(v int) string { return fmt.Sprintf("%s%020d", seenPrefix, v) }

// load reloads the values a previous incarnation synced.
func (s *server) load() error {
	pairs, err := s.kv.Scan(seenPrefix)
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
	if len(pairs) > 0 {
		s.n.Log("reloaded %d values", len(pairs))
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
// from. It returns how many were new.
func (s *server) add(values []int, from string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	added := 0
	for _, v := range values {
		key := seenKey(v)
		_, ok, err := s.kv.Get(key)
		if err != nil {
			return added, err
		}
		if ok {
			continue
		}
		if err := s.kv.Put(key, nil); err != nil {
			return added, err
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
		return added, s.kv.Sync()
	}
	return 0, nil
}

func (s *server) broadcast(msg maelstrom.Message) error {
	var body struct {
		Message int `json:"message"`
	}
	if err := json.Unmarshal(msg.Body, &body); err != nil {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
	}
	if _, err := s.add([]int{body.Message}, msg.Src); err != nil {
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
	s.mu.Lock()
	s.setNeighbours(body.Topology[s.n.ID()])
	s.mu.Unlock()
	return s.n.Reply(msg, map[string]any{"type": "topology_ok"})
}

type gossipBody struct {
	Type     string `json:"type"`
	Messages []int  `json:"messages"`
}

// gossip stores the values a peer sent and acknowledges them all.
func (s *server) gossip(msg maelstrom.Message) error {
	var body gossipBody
	if err := json.Unmarshal(msg.Body, &body); err != nil {
		return err
	}
	if _, err := s.add(body.Messages, msg.Src); err != nil {
		return err
	}
	return s.n.Send(msg.Src, gossipBody{Type: "gossip_ok", Messages: body.Messages})
}

func (s *server) gossipOK(msg maelstrom.Message) error {
	var body gossipBody
	if err := json.Unmarshal(msg.Body, &body); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pending[msg.Src]; p != nil {
		for _, v := range body.Messages {
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
		if s.forget {
			clear(p)
		}
	}
	s.mu.Unlock()
	for _, o := range outs {
		if err := s.n.Send(o.to, gossipBody{Type: "gossip", Messages: o.values}); err != nil {
			s.n.Logf(maelstrom.LevelWarn, "gossip to %s: %v", o.to, err)
		}
	}
}
