// Command gotimer is a Go test guest for virtual time. Role "ticker" emits
// "tick" (its clock in Unix ns) on a 100 ms ticker; role "caller", on a "go"
// message, blocks in SyncRPC to n1 and emits "resumed" when the reply comes;
// role "ponger" replies to "ping" after sleeping 50 ms. Roles that break
// HandleInline's contract on a "ping": "inline-sleeper" sleeps 10 ms,
// "inline-waiter" waits on a channel nobody sends on, and "inline-spawner"
// starts a goroutine that sleeps and then replies (allowed: the SDK waits
// for the idle point).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gotimer.wasm .
package main

import (
	"context"
	"log"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	switch n.Role() {
	case "ticker":
		go func() {
			t := time.NewTicker(100 * time.Millisecond)
			for range t.C {
				n.Emit("tick", n.Now().UnixNano())
			}
		}()
	case "tick-inline":
		if err := n.TickInline(100*time.Millisecond, func() { n.Emit("tick", n.Now().UnixNano()) }); err != nil {
			log.Fatal(err)
		}
	case "tick-flood":
		if err := n.TickInline(time.Nanosecond, func() {}); err != nil {
			log.Fatal(err)
		}
	case "tick-sleeper":
		if err := n.TickInline(100*time.Millisecond, func() { time.Sleep(time.Millisecond) }); err != nil {
			log.Fatal(err)
		}
	case "caller":
		n.Handle("go", func(msg maelstrom.Message) error {
			reply, err := n.SyncRPC(context.Background(), "n1", map[string]any{"type": "ping"})
			if err != nil {
				return err
			}
			n.Emit("resumed", map[string]any{"at": n.Now().UnixNano(), "type": reply.Type()})
			return nil
		})
	case "inline-sleeper":
		n.HandleInline("ping", func(msg maelstrom.Message) error {
			time.Sleep(10 * time.Millisecond)
			return n.Reply(msg, map[string]any{"type": "pong"})
		})
	case "inline-waiter":
		never := make(chan struct{})
		n.HandleInline("ping", func(msg maelstrom.Message) error {
			<-never
			return nil
		})
	case "inline-spawner":
		n.HandleInline("ping", func(msg maelstrom.Message) error {
			go func() {
				time.Sleep(10 * time.Millisecond)
				_ = n.Reply(msg, map[string]any{"type": "pong"})
			}()
			return nil
		})
	case "ponger":
		n.Handle("ping", func(msg maelstrom.Message) error {
			time.Sleep(50 * time.Millisecond)
			return n.Reply(msg, map[string]any{"type": "pong"})
		})
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
