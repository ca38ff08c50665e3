// Command gopingpong is a Go benchmark guest: it answers every "ping" by
// sending a "ping" back to its sender. With role "inline" the handler runs
// inline (HandleInline); with any other role it runs Maelstrom-style in a
// goroutine per message.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gopingpong.wasm .
package main

import (
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	h := func(msg maelstrom.Message) error {
		return n.Send(msg.Src, map[string]any{"type": "ping"})
	}
	if n.Role() == "inline" {
		n.HandleInline("ping", h)
	} else {
		n.Handle("ping", h)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
