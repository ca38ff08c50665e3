// Command g-counter is our solution to Maelstrom's g-counter workload
// (Gossip Glomers 4), a Terrarium guest built on the seq-kv service.
//
// Each node is the only writer of one seq-kv key, its own name, holding
// the sum of the deltas added on it (also kept in its Store, so a restart
// resumes from it). A read first writes a key of its own: seq-kv runs a
// write on its newest state, and a client's later reads never see an
// older one, so the reads that follow see every node's total as of at
// least that moment. The counter is the sum of those totals.
//
// Params {"broken": true} make a deliberately broken variant that counts
// every delta twice.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"strconv"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

const totalKey = "total"

func main() {
	n := maelstrom.NewNode()
	var p struct {
		Broken bool `json:"broken"`
	}
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	kv := maelstrom.NewSeqKV(n)
	st := n.Store()
	var mu sync.Mutex // serialises this node's writes of its total
	total := 0
	if v, ok, err := st.Get(totalKey); err != nil {
		log.Fatal(err)
	} else if ok {
		total, _ = strconv.Atoi(string(v))
	}
	syncs := 0
	n.Handle("add", func(msg maelstrom.Message) error {
		var b struct {
			Delta int `json:"delta"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
		}
		if p.Broken {
			b.Delta *= 2
		}
		mu.Lock()
		defer mu.Unlock()
		total += b.Delta
		if err := st.Put(totalKey, []byte(strconv.Itoa(total))); err != nil {
			return err
		}
		if err := st.Sync(); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := kv.Write(ctx, n.ID(), total); err != nil {
			// the delta is in total and goes out with the next write: it
			// may yet happen
			return maelstrom.NewRPCError(maelstrom.Crash, err.Error())
		}
		return n.Reply(msg, map[string]any{"type": "add_ok"})
	})
	n.Handle("read", func(msg maelstrom.Message) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		mu.Lock()
		syncs++
		token := syncs
		mu.Unlock()
		if err := kv.Write(ctx, "sync-"+n.ID(), token); err != nil {
			return maelstrom.NewRPCError(maelstrom.TemporarilyUnavailable, err.Error())
		}
		sum := 0
		for _, id := range n.NodeIDs() {
			v, err := kv.ReadInt(ctx, id)
			switch {
			case maelstrom.ErrorCode(err) == maelstrom.KeyDoesNotExist:
			case err != nil:
				return maelstrom.NewRPCError(maelstrom.TemporarilyUnavailable, err.Error())
			default:
				sum += v
			}
		}
		return n.Reply(msg, map[string]any{"type": "read_ok", "value": sum})
	})
	if err := n.Run(); err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}
