// Command broadcast is a Maelstrom broadcast node written with only Go's
// standard library: newline-delimited JSON on stdin and stdout, logs on
// stderr, a gossip ticker on the ordinary clock. Each node keeps the values
// it knows and, every 100 ms, sends each neighbour (from the topology
// message, or every other node before one arrives) the values that
// neighbour has not acknowledged; a gossip_ok acknowledges them. Lost
// gossip is sent again, so values cross healed partitions.
package main

import (
	"bufio"
	"encoding/json"
	"log"
	"os"
	"slices"
	"sync"
	"time"
)

type envelope struct {
	Src  string          `json:"src"`
	Dest string          `json:"dest"`
	Body json.RawMessage `json:"body"`
}

type body struct {
	Type      string              `json:"type"`
	MsgID     int                 `json:"msg_id,omitempty"`
	InReplyTo int                 `json:"in_reply_to,omitempty"`
	NodeID    string              `json:"node_id,omitempty"`
	NodeIDs   []string            `json:"node_ids,omitempty"`
	Message   *int                `json:"message,omitempty"`
	Messages  []int               `json:"messages,omitempty"`
	Topology  map[string][]string `json:"topology,omitempty"`
}

type node struct {
	mu        sync.Mutex
	out       *json.Encoder
	self      string
	next      int
	neighbors []string
	seen      map[int]bool
	acked     map[string]map[int]bool // what each neighbour is known to have
}

func (n *node) send(dest string, b body) {
	raw, err := json.Marshal(b)
	if err != nil {
		log.Fatal(err)
	}
	if err := n.out.Encode(envelope{Src: n.self, Dest: dest, Body: raw}); err != nil {
		log.Fatal(err)
	}
}

func (n *node) reply(req envelope, in body, b body) {
	n.next++
	b.MsgID, b.InReplyTo = n.next, in.MsgID
	n.send(req.Src, b)
}

func (n *node) handle(m envelope) {
	var b body
	if err := json.Unmarshal(m.Body, &b); err != nil {
		log.Printf("bad body %s: %v", m.Body, err)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	switch b.Type {
	case "init":
		n.self = b.NodeID
		for _, id := range b.NodeIDs {
			if id != n.self {
				n.neighbors = append(n.neighbors, id)
			}
		}
		n.reply(m, b, body{Type: "init_ok"})
	case "topology":
		if t, ok := b.Topology[n.self]; ok {
			n.neighbors = t
		}
		n.reply(m, b, body{Type: "topology_ok"})
	case "broadcast":
		if b.Message != nil {
			n.seen[*b.Message] = true
		}
		n.reply(m, b, body{Type: "broadcast_ok"})
	case "read":
		vals := make([]int, 0, len(n.seen))
		for v := range n.seen {
			vals = append(vals, v)
		}
		slices.Sort(vals)
		n.reply(m, b, body{Type: "read_ok", Messages: vals})
	case "gossip":
		for _, v := range b.Messages {
			n.seen[v] = true
			n.ack(m.Src)[v] = true
		}
		n.send(m.Src, body{Type: "gossip_ok", Messages: b.Messages})
	case "gossip_ok":
		for _, v := range b.Messages {
			n.ack(m.Src)[v] = true
		}
	default:
		log.Printf("ignoring a %q message", b.Type)
	}
}

func (n *node) ack(peer string) map[int]bool {
	a := n.acked[peer]
	if a == nil {
		a = map[int]bool{}
		n.acked[peer] = a
	}
	return a
}

func (n *node) gossip() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, peer := range n.neighbors {
		var missing []int
		for v := range n.seen {
			if !n.ack(peer)[v] {
				missing = append(missing, v)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			n.send(peer, body{Type: "gossip", Messages: missing})
		}
	}
}

func main() {
	n := &node{out: json.NewEncoder(os.Stdout), seen: map[int]bool{}, acked: map[string]map[int]bool{}}
	go func() {
		for range time.Tick(100 * time.Millisecond) {
			n.gossip()
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<24)
	for in.Scan() {
		var m envelope
		if err := json.Unmarshal(in.Bytes(), &m); err != nil {
			log.Printf("bad message %q: %v", in.Text(), err)
			continue
		}
		n.handle(m)
	}
	log.Fatalf("stdin: %v", in.Err())
}
