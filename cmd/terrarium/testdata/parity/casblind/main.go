// Command casblind is a regression program for the pattern "CAS retry
// loop on seq-kv", broken: an add reads the counter and writes the value
// plus the delta with a plain write, no compare-and-set. Two adds that read
// the same value (or a read served from an old seq-kv state) overwrite one
// another, so acknowledged adds are lost and final reads fall short.
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
			if err := kv.Write(ctx, key, v+b.Delta); err != nil {
				return maelstrom.NewRPCError(maelstrom.Crash, err.Error())
			}
			return n.Reply(msg, map[string]any{"type": "add_ok"})
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
