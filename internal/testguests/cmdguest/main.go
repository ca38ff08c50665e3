// Command cmdguest is a WASI command guest for the host's tests: a
// Maelstrom-protocol program built with plain `go build` whose behaviour
// after init depends on its node name.
//
//   - "sleeper": answers {"type":"sleep","ms":N} with sleep_ok after
//     sleeping N ms on the ordinary clock, in a goroutine of its own, and
//     {"type":"send","to":D} by sending a "hello" envelope to dest D.
//   - "spin": loops forever after init (runs out of fuel).
//   - "exit": calls os.Exit(3) after init.
//   - "return": main returns after init.
//   - "badinit": answers init with an error.
//   - "hog": allocates memory without bound after init.
//   - "deaf": never reads stdin after init; sleeps forever.
//   - "napper": never reads stdin after init; sleeps 100 ms, sends
//     {"type":"woke"} to c0, and sleeps forever.
//   - "files": logs each message to /tmp/maelstrom.log (opened in init, as
//     many Gossip Glomers programs do) and answers {"type":"cat","path":P}
//     with the file's text, {"type":"write","path":P,"text":T} by writing T
//     to P (relative paths are under the working directory, /), and
//     {"type":"fill"} by writing to /tmp/fill until a write fails.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

type envelope struct {
	Src  string         `json:"src"`
	Dest string         `json:"dest"`
	Body map[string]any `json:"body"`
}

var (
	mu    sync.Mutex
	self  string
	hoard [][]byte // what "hog" keeps
)

// send writes the envelope and its newline in two writes, as upstream's
// Maelstrom Go library does.
func send(dest string, body map[string]any) {
	b, err := json.Marshal(envelope{Src: self, Dest: dest, Body: body})
	if err != nil {
		panic(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if _, err := os.Stdout.Write(b); err != nil {
		panic(err)
	}
	if _, err := os.Stdout.Write([]byte{'\n'}); err != nil {
		panic(err)
	}
}

// sleepForever blocks on a timer: a bare select{} with no timer and no
// reader left would be Go's "all goroutines are asleep" (exit 2).
func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<24)
	if !in.Scan() {
		panic("no init")
	}
	var init envelope
	if err := json.Unmarshal(in.Bytes(), &init); err != nil {
		panic(err)
	}
	self, _ = init.Body["node_id"].(string)
	fmt.Fprintf(os.Stderr, "init from %s: %s\n", init.Src, in.Bytes())
	if self == "badinit" {
		send(init.Src, map[string]any{"type": "error", "code": 13, "in_reply_to": init.Body["msg_id"], "text": "no"})
	} else {
		send(init.Src, map[string]any{"type": "init_ok", "in_reply_to": init.Body["msg_id"]})
	}
	switch self {
	case "spin":
		for i := 0; ; i++ {
			if i < 0 {
				fmt.Println(i)
			}
		}
	case "exit":
		os.Exit(3)
	case "return":
		return
	case "hog":
		for {
			hoard = append(hoard, make([]byte, 1<<20))
		}
	case "deaf":
		sleepForever()
	case "napper":
		time.Sleep(100 * time.Millisecond)
		send("c0", map[string]any{"type": "woke"})
		sleepForever()
	}
	var logFile *os.File
	if self == "files" {
		var err error
		if logFile, err = os.OpenFile("/tmp/maelstrom.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
			panic(err)
		}
	}
	for in.Scan() {
		var m envelope
		if err := json.Unmarshal(in.Bytes(), &m); err != nil {
			fmt.Fprintf(os.Stderr, "bad line %q\n", in.Bytes())
			continue
		}
		if logFile != nil {
			fmt.Fprintf(logFile, "got %v\n", m.Body["type"])
		}
		path, _ := m.Body["path"].(string)
		switch m.Body["type"] {
		case "cat":
			b, err := os.ReadFile(path)
			send(m.Src, map[string]any{"type": "cat_ok", "in_reply_to": m.Body["msg_id"], "text": string(b), "err": fmt.Sprint(err)})
		case "write":
			text, _ := m.Body["text"].(string)
			err := os.WriteFile(path, []byte(text), 0o644)
			send(m.Src, map[string]any{"type": "write_ok", "in_reply_to": m.Body["msg_id"], "err": fmt.Sprint(err)})
		case "fill":
			f, err := os.Create("/tmp/fill")
			n := 0
			for err == nil {
				var k int
				k, err = f.Write([]byte(strings.Repeat("x", 4096)))
				n += k
			}
			send(m.Src, map[string]any{"type": "fill_ok", "in_reply_to": m.Body["msg_id"], "bytes": n, "err": err.Error()})
		case "sleep":
			go func() {
				ms, _ := m.Body["ms"].(float64)
				time.Sleep(time.Duration(ms) * time.Millisecond)
				send(m.Src, map[string]any{"type": "sleep_ok", "in_reply_to": m.Body["msg_id"], "src_seen": m.Src})
			}()
		case "send":
			to, _ := m.Body["to"].(string)
			send(to, map[string]any{"type": "hello"})
			send(m.Src, map[string]any{"type": "send_ok", "in_reply_to": m.Body["msg_id"]})
		}
	}
}
