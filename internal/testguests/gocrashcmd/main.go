// Command gocrashcmd is a Go test guest written as a plain wasip1 program
// (a command guest speaking Maelstrom's protocol, no SDK) that stops in
// each of the ways a Go program can, so that tests can check the crash
// reason of each. A "crash" message's "how" picks the way:
//
//   - "handler-panic": a goroutine indexes a 3-element slice with the
//     message's "index"
//   - "inline-panic": the main loop panics with "inline boom"
//   - "timer-panic": a time.AfterFunc goroutine panics with "timer boom"
//     50 ms later
//   - "log-fatal": log.Fatal("fatal boom")
//   - "os-exit": os.Exit(3)
//
// With the environment variable GOCRASH_INIT=1 the package's init panics
// with "init boom".
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o gocrashcmd.wasm .
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"
)

func init() {
	if os.Getenv("GOCRASH_INIT") == "1" {
		panic("init boom")
	}
}

type envelope struct {
	Src  string          `json:"src"`
	Dest string          `json:"dest"`
	Body json.RawMessage `json:"body"`
}

type body struct {
	Type  string `json:"type"`
	MsgID int    `json:"msg_id"`
	How   string `json:"how"`
	Index int    `json:"index"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	three := []int{1, 2, 3}
	for in.Scan() {
		var env envelope
		var b body
		if json.Unmarshal(in.Bytes(), &env) != nil || json.Unmarshal(env.Body, &b) != nil {
			continue
		}
		switch b.Type {
		case "init":
			fmt.Printf(`{"src":%q,"dest":%q,"body":{"type":"init_ok","in_reply_to":%d}}`+"\n", env.Dest, env.Src, b.MsgID)
		case "crash":
			switch b.How {
			case "handler-panic":
				go func() { fmt.Println(three[b.Index]) }()
			case "inline-panic":
				panic("inline boom")
			case "timer-panic":
				time.AfterFunc(50*time.Millisecond, func() { panic("timer boom") })
			case "log-fatal":
				log.Fatal("fatal boom")
			case "os-exit":
				os.Exit(3)
			}
		}
	}
}
