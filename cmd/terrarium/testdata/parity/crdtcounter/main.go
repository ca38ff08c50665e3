// Command crdtcounter is a regression program for the pattern "CRDT
// counter on seq-kv", done right: every node owns one seq-kv key holding
// the sum of the deltas added on it, and a read sums every node's key.
// Before reading, it writes a fresh value to a key of its own: seq-kv runs
// a changing write on its newest state and serves this node's later
// operations from that state onwards, so the sum counts every add
// acknowledged before the read began.
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
	total, reads := 0, 0
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
		mu.Lock()
		reads++
		token := reads
		mu.Unlock()
		if err := kv.Write(ctx, "fresh-"+n.ID(), token); err != nil {
			return maelstrom.NewRPCError(maelstrom.Crash, err.Error())
		}
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
