// Command echo is Maelstrom's echo server written with only Go's standard
// library, as a program for Maelstrom itself would be: it reads
// newline-delimited JSON envelopes on stdin, answers on stdout and logs on
// stderr. Built with plain `GOOS=wasip1 GOARCH=wasm go build`, Terrarium
// runs it as a command guest (docs/ABI.md, "Command guests").
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log"
	"os"
)

type envelope struct {
	Src  string         `json:"src"`
	Dest string         `json:"dest"`
	Body map[string]any `json:"body"`
}

func main() {
	log.SetOutput(os.Stderr)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<24)
	out := json.NewEncoder(os.Stdout)
	self, next := "", 0
	for in.Scan() {
		var m envelope
		if err := json.Unmarshal(in.Bytes(), &m); err != nil {
			log.Printf("bad message %q: %v", in.Text(), err)
			continue
		}
		reply := map[string]any{}
		switch m.Body["type"] {
		case "init":
			self, _ = m.Body["node_id"].(string)
			reply["type"] = "init_ok"
			log.Printf("node %s up", self)
		case "echo":
			reply["type"] = "echo_ok"
			reply["echo"] = m.Body["echo"]
		default:
			reply["type"] = "error"
			reply["code"] = 10
			reply["text"] = fmt.Sprintf("unsupported type %v", m.Body["type"])
		}
		next++
		reply["msg_id"] = next
		reply["in_reply_to"] = m.Body["msg_id"]
		if err := out.Encode(envelope{Src: self, Dest: m.Src, Body: reply}); err != nil {
			log.Fatal(err)
		}
	}
	log.Fatalf("stdin: %v", in.Err())
}
