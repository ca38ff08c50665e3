// Command badecho is a deliberately broken echo server: every third reply
// carries a different payload. The echo checker must catch it.
package main

import (
	"encoding/json"
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	count := 0
	n.HandleInline("echo", func(msg maelstrom.Message) error {
		var body map[string]any
		if err := json.Unmarshal(msg.Body, &body); err != nil {
			return err
		}
		count++
		if count%3 == 0 {
			body["echo"] = "garbled"
		}
		body["type"] = "echo_ok"
		return n.Reply(msg, body)
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
