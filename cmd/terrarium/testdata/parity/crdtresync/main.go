// Command crdtresync is a regression program for the pattern "CRDT counter
// on seq-kv", broken subtly: before reading it writes its own total again,
// hoping to catch up with the newest state. But the value is the one its
// key already holds in every state this node may be served from, so the
// write leaves that state equal; Maelstrom's seq-kv then answers it from
// that (possibly old) state without moving to the newest, and the reads
// that follow can still miss adds acknowledged elsewhere.
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
		mu.Lock()
		mine := total
		mu.Unlock()
		if err := kv.Write(ctx, n.ID(), mine); err != nil {
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
