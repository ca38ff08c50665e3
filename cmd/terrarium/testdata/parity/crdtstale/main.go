// Command crdtstale is a regression program for the pattern "CRDT counter
// on seq-kv", broken: like crdtcounter, but a read sums the keys without
// first writing anything. seq-kv may serve each of those reads from any
// state between the last one this node saw (its own last write) and the
// newest, so the sum can miss adds acknowledged on other nodes, final
// reads included.
package main

import (
	"context"
	"encoding/json"
	"log"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	kv := maelstrom.NewSeqKV(n)
	var mu sync.Mutex
	total := 0
	n.Handle("add", func(msg maelstrom.Message) error {
		var b struct {
			Delta int `json:"delta"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		total += b.Delta
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := kv.Write(ctx, n.ID(), total); err != nil {
			return maelstrom.NewRPCError(maelstrom.Crash, err.Error())
		}
		return n.Reply(msg, map[string]any{"type": "add_ok"})
	})
	n.Handle("read", func(msg maelstrom.Message) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		sum := 0
		for _, id := range n.NodeIDs() {
			v, err := kv.ReadInt(ctx, id)
			if err != nil && maelstrom.ErrorCode(err) != maelstrom.KeyDoesNotExist {
				return maelstrom.NewRPCError(maelstrom.Crash, err.Error())
			}
			sum += v
		}
		return n.Reply(msg, map[string]any{"type": "read_ok", "value": sum})
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
