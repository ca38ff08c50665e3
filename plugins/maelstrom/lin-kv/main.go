// Command lin-kv is our solution to Maelstrom's lin-kv workload, a
// Terrarium guest: every node forwards each read, write and cas to the
// lin-kv service and relays its answer, so the store is exactly as
// linearizable as the service (Maelstrom's lin_kv_proxy demo does the
// same).
//
// Params {"broken": true} make a deliberately broken variant that caches:
// it remembers the last value it saw for each key and answers reads from
// that cache, so it returns stale values once another node writes.
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

type request struct {
	Key   json.RawMessage `json:"key"`
	Value any             `json:"value"`
	From  any             `json:"from"`
	To    any             `json:"to"`
}

func main() {
	n := maelstrom.NewNode()
	var p struct {
		Broken bool `json:"broken"`
	}
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	kv := maelstrom.NewLinKV(n)
	var mu sync.Mutex
	cache := map[string]any{}
	// relay turns the service's error into this node's reply.
	relay := func(err error) error {
		var e *maelstrom.RPCError
		if errors.As(err, &e) {
			return e
		}
		if err != nil {
			return maelstrom.NewRPCError(maelstrom.Crash, err.Error()) // indefinite: it may have happened
		}
		return nil
	}
	decode := func(msg maelstrom.Message) (request, string, context.Context, context.CancelFunc, error) {
		var r request
		if err := json.Unmarshal(msg.Body, &r); err != nil {
			return r, "", nil, nil, maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
		}
		key := string(r.Key)
		if s, err := strconv.Unquote(key); err == nil {
			key = s
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		return r, key, ctx, cancel, nil
	}
	n.Handle("read", func(msg maelstrom.Message) error {
		_, key, ctx, cancel, err := decode(msg)
		if err != nil {
			return err
		}
		defer cancel()
		if p.Broken {
			mu.Lock()
			v, ok := cache[key]
			mu.Unlock()
			if ok {
				return n.Reply(msg, map[string]any{"type": "read_ok", "value": v})
			}
		}
		v, err := kv.Read(ctx, key)
		if err != nil {
			return relay(err)
		}
		mu.Lock()
		cache[key] = v
		mu.Unlock()
		return n.Reply(msg, map[string]any{"type": "read_ok", "value": v})
	})
	n.Handle("write", func(msg maelstrom.Message) error {
		r, key, ctx, cancel, err := decode(msg)
		if err != nil {
			return err
		}
		defer cancel()
		if err := kv.Write(ctx, key, r.Value); err != nil {
			return relay(err)
		}
		mu.Lock()
		cache[key] = r.Value
		mu.Unlock()
		return n.Reply(msg, map[string]any{"type": "write_ok"})
	})
	n.Handle("cas", func(msg maelstrom.Message) error {
		r, key, ctx, cancel, err := decode(msg)
		if err != nil {
			return err
		}
		defer cancel()
		if err := kv.CompareAndSwap(ctx, key, r.From, r.To, false); err != nil {
			return relay(err)
		}
		mu.Lock()
		cache[key] = r.To
		mu.Unlock()
		return n.Reply(msg, map[string]any{"type": "cas_ok"})
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
