// Command gocrash is a Go test guest (Terrarium's SDK, a reactor) that
// stops in each of the ways a Go program can, so that tests can check the
// crash reason of each. Its role picks the way, on a "crash" message
// carrying "index": 5, unless said otherwise:
//
//   - "handler-panic": a Handle handler indexes a 3-element slice with it
//   - "inline-panic": a HandleInline handler panics with "inline boom"
//   - "timer-panic": a goroutine started by time.AfterFunc panics with
//     "timer boom" 50 ms after boot (no message needed)
//   - "main-panic": main panics with "main boom" (no message needed)
//   - "log-fatal": a handler calls log.Fatal("fatal boom")
//   - "os-exit": a handler calls os.Exit(3)
//   - "no-handler": no handler for "crash" at all
//
// With the environment variable GOCRASH_INIT=1 the package's init panics
// with "init boom", whatever the role.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gocrash.wasm .
package main

import (
	"encoding/json"
	"log"
	"os"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func init() {
	if os.Getenv("GOCRASH_INIT") == "1" {
		panic("init boom")
	}
}

// index reads the message's "index" field.
func index(msg maelstrom.Message) int {
	var b struct {
		Index int `json:"index"`
	}
	_ = json.Unmarshal(msg.Body, &b)
	return b.Index
}

func main() {
	n := maelstrom.NewNode()
	three := []int{1, 2, 3}
	switch n.Role() {
	case "handler-panic":
		n.Handle("crash", func(msg maelstrom.Message) error {
			return n.Reply(msg, map[string]any{"type": "crash_ok", "value": three[index(msg)]})
		})
	case "inline-panic":
		n.HandleInline("crash", func(msg maelstrom.Message) error {
			panic("inline boom")
		})
	case "timer-panic":
		time.AfterFunc(50*time.Millisecond, func() { panic("timer boom") })
	case "main-panic":
		panic("main boom")
	case "log-fatal":
		n.Handle("crash", func(msg maelstrom.Message) error {
			log.Fatal("fatal boom")
			return nil
		})
	case "os-exit":
		n.Handle("crash", func(msg maelstrom.Message) error {
			os.Exit(3)
			return nil
		})
	case "no-handler":
	}
	_ = n.Run()
}
