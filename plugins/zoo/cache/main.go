// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o cache.wasm ./plugins/zoo/cache

// Command cache is a bug-zoo guest (plugins/zoo): a look-aside cache that
// fills on a miss and forgets on an invalidation, with the race memcache
// leases were made for (Nishtala et al., "Scaling Memcache at Facebook",
// NSDI 2013, section 3.2.1). A reader's get misses, the cache reads the
// database; a writer updates the database and invalidates the cache. If
// the cache's read reaches the database before the write and its answer
// comes back after the invalidation, the cache keeps the old value for
// good.
//
// Roles: db, cache, writer (params {"db", "cache", "after_ms", "v"}) and
// reader (params {"cache"}). Events: db and cache emit state {v} (v -1:
// the cache holds nothing) whenever their value changes.
package main

import (
	"encoding/json"
	"log"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type body struct {
	Type string `json:"type"`
	V    int    `json:"v"`
}

type params struct {
	DB      string `json:"db"`
	Cache   string `json:"cache"`
	AfterMS int    `json:"after_ms"`
	V       int    `json:"v"`
}

func main() {
	n := maelstrom.NewNode()
	var p params
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	switch n.Role() {
	case "db":
		db(n)
	case "cache":
		cache(n, p)
	case "writer":
		n.HandleInline("init", func(maelstrom.Message) error {
			time.AfterFunc(time.Duration(p.AfterMS)*time.Millisecond, func() {
				_ = n.Send(p.DB, body{Type: "set", V: p.V})
				_ = n.Send(p.Cache, body{Type: "invalidate"})
			})
			return nil
		})
	case "reader":
		n.HandleInline("init", func(maelstrom.Message) error { return n.Send(p.Cache, body{Type: "get"}) })
		n.HandleInline("get_ok", func(maelstrom.Message) error { return nil })
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

func db(n *maelstrom.Node) {
	v := 1
	n.HandleInline("init", func(maelstrom.Message) error {
		n.SetState(map[string]any{"v": v})
		return nil
	})
	n.HandleInline("set", func(msg maelstrom.Message) error {
		var b body
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		v = b.V
		n.SetState(map[string]any{"v": v})
		return nil
	})
	n.HandleInline("read", func(msg maelstrom.Message) error { return n.Reply(msg, body{Type: "read_ok", V: v}) })
}

func cache(n *maelstrom.Node, p params) {
	v := -1
	set := func(x int) {
		v = x
		n.SetState(map[string]any{"v": v})
	}
	n.HandleInline("get", func(msg maelstrom.Message) error {
		if v >= 0 {
			return n.Reply(msg, body{Type: "get_ok", V: v})
		}
		return n.RPC(p.DB, body{Type: "read"}, func(reply maelstrom.Message) error {
			var b body
			if err := json.Unmarshal(reply.Body, &b); err != nil {
				return err
			}
			set(b.V) // the bug: fills even if invalidated since it asked
			return nil
		})
	})
	n.HandleInline("invalidate", func(maelstrom.Message) error {
		set(-1)
		return nil
	})
}
