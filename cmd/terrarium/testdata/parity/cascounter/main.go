// Command cascounter is a regression program for the pattern "CAS retry
// loop on seq-kv", done right: the counter is one seq-kv key. An add reads
// it and compare-and-sets it to the value plus the delta, retrying when
// another node got there first (error 22) or the read was stale; seq-kv
// runs a changing cas on its newest state, so no add is lost. A read first
// writes a fresh value to a key of its own, which moves this node to the
// newest state, then reads the counter.
package main

import (
	"context"
	"encoding/json"
	"log"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

const key = "counter"

func main() {
	n := maelstrom.NewNode()
	kv := maelstrom.NewSeqKV(n)
	var mu sync.Mutex
	reads := 0
	n.Handle("add", func(msg maelstrom.Message) error {
		var b struct {
			Delta int `json:"delta"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		for {
			v, err := kv.ReadInt(ctx, key)
			if err != nil && maelstrom.ErrorCode(err) != maelstrom.KeyDoesNotExist {
				return maelstrom.NewRPCError(maelstrom.Crash, err.Error())
			}
			err = kv.CompareAndSwap(ctx, key, v, v+b.Delta, true)
			switch code := maelstrom.ErrorCode(err); {
			case err == nil:
				return n.Reply(msg, map[string]any{"type": "add_ok"})
			case code == maelstrom.PreconditionFailed || code == maelstrom.KeyDoesNotExist:
				// someone else's add came first, or we read an old state: again
			default:
				return maelstrom.NewRPCError(maelstrom.Crash, err.Error())
			}
		}
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
		v, err := kv.ReadInt(ctx, key)
		if err != nil && maelstrom.ErrorCode(err) != maelstrom.KeyDoesNotExist {
			return maelstrom.NewRPCError(maelstrom.Crash, err.Error())
		}
		return n.Reply(msg, map[string]any{"type": "read_ok", "value": v})
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
