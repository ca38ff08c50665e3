// Command unique-ids is our solution to Maelstrom's unique-ids workload
// (Gossip Glomers 2), a Terrarium guest: an id is the node's name, the
// virtual time it booted at and a counter, so ids differ across nodes and
// across a node's restarts without any coordination.
//
// Params {"broken": true} make a deliberately broken variant whose ids are
// the counter alone: two nodes hand out the same ids.
package main

import (
	"fmt"
	"log"
	"sync"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	var p struct {
		Broken bool `json:"broken"`
	}
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	boot := n.Now().UnixNano()
	var mu sync.Mutex
	seq := 0
	n.HandleInline("generate", func(msg maelstrom.Message) error {
		mu.Lock()
		seq++
		id := any(fmt.Sprintf("%s-%d-%d", n.ID(), boot, seq))
		if p.Broken {
			id = seq
		}
		mu.Unlock()
		return n.Reply(msg, map[string]any{"type": "generate_ok", "id": id})
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
