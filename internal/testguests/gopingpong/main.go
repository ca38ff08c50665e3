// Command gopingpong is a Go benchmark guest: it answers every "ping" by
// sending a "ping" back to its sender. Its role picks how, so that
// BenchmarkEventSplit can take one Go-guest event apart layer by layer:
//
//   - "inline-raw": an inline handler (HandleInline) that sends a body the
//     SDK passes through as it is (json.RawMessage): the SDK's own path.
//   - "inline": an inline handler that sends map[string]any{"type":"ping"},
//     which the SDK encodes without reflection.
//   - "inline-fields": an inline handler that reads an integer field with
//     Message.Int and sends a Body with it: the SDK's fast body path.
//   - "inline-typed": an inline handler that decodes the body into a struct
//     with encoding/json and sends a struct back.
//   - "goroutine-raw": as inline-raw, but Maelstrom-style, in a goroutine
//     per message (Handle), so the node waits for Go's idle point.
//   - any other role: as inline, in a goroutine per message.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gopingpong.wasm .
package main

import (
	"encoding/json"
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type ping struct {
	maelstrom.MessageBody
	Seq int `json:"seq,omitempty"`
}

func main() {
	n := maelstrom.NewNode()
	raw := json.RawMessage(`{"type":"ping"}`)
	var h maelstrom.HandlerFunc
	switch n.Role() {
	case "inline-raw", "goroutine-raw":
		h = func(msg maelstrom.Message) error { return n.Send(msg.Src, raw) }
	case "inline-fields":
		h = func(msg maelstrom.Message) error {
			seq, _ := msg.Int("seq")
			return n.Send(msg.Src, maelstrom.NewBody("ping").Int("seq", seq+1))
		}
	case "inline-typed":
		h = func(msg maelstrom.Message) error {
			var p ping
			if err := json.Unmarshal(msg.Body, &p); err != nil {
				return err
			}
			p.Seq++
			return n.Send(msg.Src, p)
		}
	default:
		h = func(msg maelstrom.Message) error {
			return n.Send(msg.Src, map[string]any{"type": "ping"})
		}
	}
	switch n.Role() {
	case "inline", "inline-raw", "inline-fields", "inline-typed":
		n.HandleInline("ping", h)
	default:
		n.Handle("ping", h)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
