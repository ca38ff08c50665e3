// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o tickets.wasm ./plugins/zoo/tickets

// Command tickets is a bug-zoo guest (plugins/zoo): a box office whose
// waitlist overflows. The venue releases tickets to the box office, one
// message a ticket, and tells the fans to start; the fans send one
// purchase each. A purchase that finds a ticket in stock is sold at once;
// one that finds none waits on a waitlist of fixed size, served as
// tickets come in, and when the waitlist is full the oldest waiting
// purchase is dropped without a word (the bug: it should be refused, so
// that the fan tries again). There are as many tickets as purchases, so
// every purchase should be sold, and is, unless more purchases than the
// waitlist holds arrive ahead of the tickets: a run of one sender's
// messages, the case PCT (whose highest-priority sender runs until a
// change point) finds at once and a random order of the messages almost
// never makes (the purchases' lead over the tickets is a ±1 walk that
// must reach the waitlist's size plus one).
//
// Roles: venue (params {"box", "fans", "tickets"}), fans (params {"box",
// "buyers"}) and box (params {"waitlist"}). Events: fans emit buy {v};
// the box office emits sold {v}.
package main

import (
	"encoding/json"
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type body struct {
	Type string `json:"type"`
	V    int    `json:"v"`
}

type params struct {
	Box      string `json:"box"`
	Fans     string `json:"fans"`
	Tickets  int    `json:"tickets"`
	Buyers   int    `json:"buyers"`
	Waitlist int    `json:"waitlist"`
}

func main() {
	n := maelstrom.NewNode()
	var p params
	stock := 0
	var waiting []int
	n.HandleInline("init", func(maelstrom.Message) error {
		if err := n.ParamsInto(&p); err != nil {
			return err
		}
		if n.Role() != "venue" || n.Restarted() {
			return nil
		}
		for i := range p.Tickets {
			if err := n.Send(p.Box, body{Type: "ticket", V: i}); err != nil {
				return err
			}
		}
		return n.Send(p.Fans, body{Type: "start"})
	})
	n.HandleInline("start", func(maelstrom.Message) error {
		for i := range p.Buyers {
			n.Emit("buy", map[string]any{"v": i})
			if err := n.Send(p.Box, body{Type: "buy", V: i}); err != nil {
				return err
			}
		}
		return nil
	})
	n.HandleInline("ticket", func(maelstrom.Message) error {
		if len(waiting) > 0 {
			n.Emit("sold", map[string]any{"v": waiting[0]})
			waiting = waiting[1:]
			return nil
		}
		stock++
		return nil
	})
	n.HandleInline("buy", func(msg maelstrom.Message) error {
		var b body
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		if stock > 0 {
			stock--
			n.Emit("sold", map[string]any{"v": b.V})
			return nil
		}
		if len(waiting) == p.Waitlist {
			waiting = waiting[1:] // the bug: the oldest purchase is lost
		}
		waiting = append(waiting, b.V)
		return nil
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
