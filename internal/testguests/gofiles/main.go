// Command gofiles is an SDK (reactor) guest that opens /tmp/maelstrom.log
// in init(), as many Gossip Glomers programs do, logs each message there,
// and answers {"type":"cat"} with the log's text.
package main

import (
	"log"
	"os"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

var logger *log.Logger

func init() {
	f, err := os.OpenFile("/tmp/maelstrom.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		panic(err)
	}
	logger = log.New(f, "", 0)
}

func main() {
	n := maelstrom.NewNode()
	n.HandleInline("cat", func(msg maelstrom.Message) error {
		logger.Printf("got cat from %s", msg.Src)
		b, err := os.ReadFile("/tmp/maelstrom.log")
		if err != nil {
			return err
		}
		return n.Reply(msg, map[string]any{"type": "cat_ok", "text": string(b)})
	})
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}
