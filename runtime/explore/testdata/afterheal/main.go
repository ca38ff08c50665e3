// Command afterheal is an echo server that breaks after a restart, as its
// params say: {"after_restart": "stuck"} answers nothing once restarted (a
// liveness bug), "wrong" answers with another payload (a safety bug), and
// anything else echoes as it should. The eventually checker's tests run it.
package main

import (
	"encoding/json"
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	n.HandleInline("echo", func(msg maelstrom.Message) error {
		var p struct {
			AfterRestart string `json:"after_restart"`
		}
		_ = n.ParamsInto(&p) // no params: a correct echo
		var body struct {
			Echo json.RawMessage `json:"echo"`
		}
		if err := json.Unmarshal(msg.Body, &body); err != nil {
			return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
		}
		if n.Restarted() {
			switch p.AfterRestart {
			case "stuck":
				return nil
			case "wrong":
				body.Echo = json.RawMessage(`"wrong"`)
			}
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
