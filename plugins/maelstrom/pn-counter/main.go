// Command pn-counter is our solution to Maelstrom's pn-counter workload, a
// Terrarium guest: a PN-counter CRDT. Each node counts its own increments
// and decrements (kept in its Store), gossips every node's pair it knows
// to every other node each gossip interval, and merges a received pair
// per node by taking the larger of each count. The value is the sum of
// increments minus the sum of decrements.
//
// Params {"broken": true} make a deliberately broken variant that merges
// by adding instead of taking the larger count: every gossip round counts
// the same deltas again.
package main

import (
	"encoding/json"
	"log"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

// pn is one node's increments and decrements.
type pn struct {
	P int `json:"p"`
	N int `json:"n"`
}

const ownKey = "own"

func main() {
	n := maelstrom.NewNode()
	p := struct {
		GossipMS int  `json:"gossip_ms"`
		Broken   bool `json:"broken"`
	}{GossipMS: 200}
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	st := n.Store()
	var mu sync.Mutex
	counts := map[string]pn{}
	if v, ok, err := st.Get(ownKey); err != nil {
		log.Fatal(err)
	} else if ok {
		var own pn
		if err := json.Unmarshal(v, &own); err != nil {
			log.Fatal(err)
		}
		counts[n.ID()] = own
	}
	n.HandleInline("add", func(msg maelstrom.Message) error {
		var b struct {
			Delta int `json:"delta"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
		}
		mu.Lock()
		own := counts[n.ID()]
		if b.Delta >= 0 {
			own.P += b.Delta
		} else {
			own.N -= b.Delta
		}
		counts[n.ID()] = own
		raw, _ := json.Marshal(own)
		mu.Unlock()
		if err := st.Put(ownKey, raw); err != nil {
			return err
		}
		if err := st.Sync(); err != nil {
			return err
		}
		return n.Reply(msg, map[string]any{"type": "add_ok"})
	})
	n.HandleInline("read", func(msg maelstrom.Message) error {
		mu.Lock()
		sum := 0
		for _, c := range counts {
			sum += c.P - c.N
		}
		mu.Unlock()
		return n.Reply(msg, map[string]any{"type": "read_ok", "value": sum})
	})
	n.HandleInline("merge", func(msg maelstrom.Message) error {
		var b struct {
			Counts map[string]pn `json:"counts"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for id, c := range b.Counts {
			if id == n.ID() {
				continue // nobody knows more about our own counts than we do
			}
			cur := counts[id]
			if p.Broken {
				cur.P += c.P
				cur.N += c.N
			} else {
				cur.P, cur.N = max(cur.P, c.P), max(cur.N, c.N)
			}
			counts[id] = cur
		}
		return nil
	})
	t := time.NewTicker(time.Duration(max(p.GossipMS, 1)) * time.Millisecond)
	go func() {
		for range t.C {
			mu.Lock()
			snapshot := make(map[string]pn, len(counts))
			for id, c := range counts {
				snapshot[id] = c
			}
			mu.Unlock()
			if len(snapshot) == 0 {
				continue
			}
			for _, peer := range n.NodeIDs() {
				if peer != n.ID() {
					_ = n.Send(peer, map[string]any{"type": "merge", "counts": snapshot})
				}
			}
		}
	}()
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
