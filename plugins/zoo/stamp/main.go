// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o stamp.wasm ./plugins/zoo/stamp

// Command stamp is a bug-zoo guest (plugins/zoo): a broadcast whose
// receiver drops what it takes for stale messages. Each sender stamps one
// value with its send time and sends it to every receiver; a receiver
// keeps the last (stamp, sender) it accepted and accepts a message only
// if its (stamp, sender) is greater, a filter that is right for one
// sender's FIFO stream and wrong across senders. Messages sent at one
// instant by two senders carry one stamp, and if the higher sender's
// arrives first the lower one's is lost: a bug only one order of two
// messages at one node, at one instant, shows.
//
// Roles: sender (params {"to": [receivers]}) and receiver. Events: sender
// sent {v}; receiver got {v} and stale {v}.
package main

import (
	"encoding/json"
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type bcast struct {
	Type string `json:"type"`
	V    int    `json:"v"`
	TS   int64  `json:"ts"`
}

func main() {
	n := maelstrom.NewNode()
	var p struct {
		To []string `json:"to"`
		V  int      `json:"v"`
	}
	var last struct {
		ts int64
		v  int
	}
	last.v = -1
	n.HandleInline("init", func(maelstrom.Message) error {
		if n.Role() != "sender" || n.Restarted() {
			return nil
		}
		if err := n.ParamsInto(&p); err != nil {
			return err
		}
		n.Emit("sent", map[string]any{"v": p.V})
		for _, to := range p.To {
			if err := n.Send(to, bcast{Type: "bcast", V: p.V, TS: n.Now().UnixMilli()}); err != nil {
				return err
			}
		}
		return nil
	})
	n.HandleInline("bcast", func(msg maelstrom.Message) error {
		var b bcast
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		if b.TS > last.ts || (b.TS == last.ts && b.V > last.v) {
			last.ts, last.v = b.TS, b.V
			n.Emit("got", map[string]any{"v": b.V})
			return nil
		}
		n.Emit("stale", map[string]any{"v": b.V}) // the bug: not stale at all
		return nil
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
