// Command gospin is a Go test guest that spins: on any "txn" message its
// handler busy-waits 10 ms on the clock. Virtual time stands still while
// a guest runs, so the wait never ends: a spin wait, which Terrarium
// reports as such.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gospin.wasm .
package main

import (
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	n.Handle("txn", func(msg maelstrom.Message) error {
		deadline := time.Now().Add(10 * time.Millisecond)
		for time.Now().Before(deadline) {
		}
		return n.Reply(msg, map[string]any{"type": "txn_ok"})
	})
	_ = n.Run()
}
