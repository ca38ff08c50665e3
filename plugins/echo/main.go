// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o echo.wasm ./plugins/echo

// Command echo is Maelstrom's echo workload as a Terrarium guest: it
// answers {"type":"echo","echo":X} with {"type":"echo_ok","echo":X}.
package main

import (
	"encoding/json"
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()

	// The handler does not block, so it runs inline (no goroutine).
	n.HandleInline("echo", func(msg maelstrom.Message) error {
		var body struct {
			Echo json.RawMessage `json:"echo"`
		}
		if err := json.Unmarshal(msg.Body, &body); err != nil {
			return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
		}
		return n.Reply(msg, struct {
			Type string          `json:"type"`
			Echo json.RawMessage `json:"echo,omitempty"`
		}{"echo_ok", body.Echo})
	})

	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
