// Command g-set is our solution to Maelstrom's g-set workload, a
// Terrarium guest: a grow-only set as a state-based CRDT. Each node keeps
// its elements in its Store (synced before add_ok), and every gossip
// interval sends its whole set to every other node, which merges it by
// union; partitions only delay convergence.
//
// Params {"broken": true} make a deliberately broken variant that never
// gossips: each node knows only the elements added on it.
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

const prefix = "e/"

type server struct {
	n     *maelstrom.Node
	st    *maelstrom.Store
	mu    sync.Mutex
	elems map[int]struct{}
}

func main() {
	n := maelstrom.NewNode()
	p := struct {
		GossipMS int  `json:"gossip_ms"`
		Broken   bool `json:"broken"`
	}{GossipMS: 200}
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	s := &server{n: n, st: n.Store(), elems: map[int]struct{}{}}
	pairs, err := s.st.Scan(prefix)
	if err != nil {
		log.Fatal(err)
	}
	for _, kv := range pairs {
		v, err := strconv.Atoi(strings.TrimPrefix(kv.Key, prefix))
		if err != nil {
			log.Fatalf("bad key %q", kv.Key)
		}
		s.elems[v] = struct{}{}
	}
	n.HandleInline("add", func(msg maelstrom.Message) error {
		var b struct {
			Element int `json:"element"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
		}
		if err := s.merge([]int{b.Element}); err != nil {
			return err
		}
		return n.Reply(msg, map[string]any{"type": "add_ok"})
	})
	n.HandleInline("read", func(msg maelstrom.Message) error {
		return n.Reply(msg, map[string]any{"type": "read_ok", "value": s.list()})
	})
	n.HandleInline("merge", func(msg maelstrom.Message) error {
		var b struct {
			Elements []int `json:"elements"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		return s.merge(b.Elements)
	})
	if !p.Broken {
		t := time.NewTicker(time.Duration(max(p.GossipMS, 1)) * time.Millisecond)
		go func() {
			for range t.C {
				all := s.list()
				if len(all) == 0 {
					continue
				}
				for _, peer := range n.NodeIDs() {
					if peer != n.ID() {
						_ = n.Send(peer, map[string]any{"type": "merge", "elements": all})
					}
				}
			}
		}()
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

func (s *server) merge(vs []int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	added := false
	for _, v := range vs {
		if _, ok := s.elems[v]; ok {
			continue
		}
		if err := s.st.Put(fmt.Sprintf("%s%d", prefix, v), nil); err != nil {
			return err
		}
		s.elems[v] = struct{}{}
		added = true
	}
	if added {
		return s.st.Sync()
	}
	return nil
}

func (s *server) list() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int, 0, len(s.elems))
	for v := range s.elems {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
