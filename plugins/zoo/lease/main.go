// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o lease.wasm ./plugins/zoo/lease

// Command lease is a bug-zoo guest (plugins/zoo): a lease server that
// renews a lease when the renewal arrives no later than the expiry
// (now <= until) but forgets to re-arm its expiry timer, which then fires
// at the old expiry and hands the lease to the next waiter while the
// renewed holder still holds it. A renewal that arrives before the expiry
// instant would show it too; the holder renews one latency ahead of the
// expiry, so over a network whose latency is at least that, the renewal
// arrives exactly at the expiry or after it. Only the renewal handled
// first at that very instant shows the bug: a tie no seed of a jittery
// network makes.
//
// Roles: server (params {"term_ms": 4}) and client (params {"server"}).
// Events: the server emits grant {holder, until_ns} at each grant or
// renewal (until_ns: the virtual time the lease runs to).
package main

import (
	"encoding/json"
	"log"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type body struct {
	Type  string `json:"type"`
	Until int64  `json:"until_ns,omitempty"`
}

func main() {
	n := maelstrom.NewNode()
	var p struct {
		Server string `json:"server"`
		TermMS int64  `json:"term_ms"`
	}
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	if n.Role() == "server" {
		server(n, time.Duration(p.TermMS)*time.Millisecond)
	} else {
		client(n, p.Server)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

func server(n *maelstrom.Node, term time.Duration) {
	var mu sync.Mutex // handlers and the expiry run on goroutines of their own
	var holder string
	var until time.Time
	var waiting []string
	var grant func(to string)
	expire := func() {
		mu.Lock()
		defer mu.Unlock()
		// The bug: no check that the lease is still due to expire.
		holder = ""
		if len(waiting) > 0 {
			next := waiting[0]
			waiting = waiting[1:]
			grant(next)
		}
	}
	grant = func(to string) {
		holder, until = to, n.Now().Add(term)
		n.Emit("grant", map[string]any{"holder": to, "until_ns": until.UnixNano()})
		time.AfterFunc(term, expire)
		_ = n.Send(to, body{Type: "granted", Until: until.UnixNano()})
	}
	n.Handle("acquire", func(msg maelstrom.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if holder == "" {
			grant(msg.Src)
		} else {
			waiting = append(waiting, msg.Src)
		}
		return nil
	})
	n.HandleInline("renew", func(msg maelstrom.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if msg.Src != holder || n.Now().After(until) {
			return n.Send(msg.Src, body{Type: "lost"})
		}
		until = n.Now().Add(term) // and the expiry timer still runs for the old term
		n.Emit("grant", map[string]any{"holder": holder, "until_ns": until.UnixNano()})
		return n.Send(msg.Src, body{Type: "granted", Until: until.UnixNano()})
	})
}

func client(n *maelstrom.Node, server string) {
	renewed := false
	n.HandleInline("init", func(maelstrom.Message) error { return n.Send(server, body{Type: "acquire"}) })
	n.Handle("granted", func(msg maelstrom.Message) error {
		var b body
		if err := json.Unmarshal(msg.Body, &b); err != nil || renewed {
			return err
		}
		renewed = true // renew once, one latency before the expiry
		at := time.Unix(0, b.Until).Add(-time.Millisecond)
		time.AfterFunc(at.Sub(n.Now()), func() { _ = n.Send(server, body{Type: "renew"}) })
		return nil
	})
	n.HandleInline("lost", func(maelstrom.Message) error { return nil })
}
