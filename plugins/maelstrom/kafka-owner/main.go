// Command kafka-owner is our fast solution to Maelstrom's kafka workload
// (Gossip Glomers 5a, 5b and 5c), a Terrarium guest that needs no service.
//
// Every key has one owner, a server chosen by a hash of the key, which
// keeps the key's log and its committed offset in memory. A node answers
// for the keys it owns at once, in the host's call (every handler is
// inline); a request that names keys other nodes own is split by owner,
// each part forwarded to its owner as the same request, and the client is
// answered when every part has come back (the callbacks run inline too). The owner is the only writer of
// its keys, so offsets are assigned in order without gaps, a poll sees a
// prefix of the log, and committed offsets only grow. This is the design
// Gossip Glomers 5b suggests (a leader per key instead of lin-kv round
// trips); plugins/maelstrom/kafka, built on lin-kv, stays the solution the
// bundled scenarios run. Nothing survives a crash, which the kafka
// challenges do not inject.
package main

import (
	"encoding/json"
	"hash/fnv"
	"log"
	"slices"
	"strconv"
	"sync"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

// pollMax is the most messages a poll returns per key, as
// plugins/maelstrom/kafka.
const pollMax = 10

type server struct {
	n     *maelstrom.Node
	me    int
	nodes []string

	mu        sync.Mutex
	logs      map[string][]json.RawMessage
	committed map[string]int
}

func main() {
	n := maelstrom.NewNode()
	s := &server{n: n, nodes: n.NodeIDs(), logs: map[string][]json.RawMessage{}, committed: map[string]int{}}
	s.me = slices.Index(s.nodes, n.ID())
	n.HandleInline("send", s.send)
	n.HandleInline("poll", s.poll)
	n.HandleInline("commit_offsets", s.commit)
	n.HandleInline("list_committed_offsets", s.list)
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

// owner returns the index of the node that owns key.
func (s *server) owner(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(len(s.nodes)))
}

func malformed(what string) error {
	return maelstrom.NewRPCError(maelstrom.MalformedRequest, what)
}

func (s *server) send(msg maelstrom.Message) error {
	key, ok := msg.String("key")
	value, found := msg.Field("msg")
	if !ok || !found {
		return malformed("send needs a string key and a msg")
	}
	if o := s.owner(key); o != s.me {
		body := maelstrom.NewBody("send").String("key", key).Raw("msg", value)
		return s.n.RPCInline(s.nodes[o], body, func(r maelstrom.Message) error {
			off, ok := r.Int("offset")
			if e := r.RPCError(); e != nil || !ok {
				return s.unavailable(msg, "the key's owner "+s.nodes[o]+" did not take the message")
			}
			return s.n.Reply(msg, maelstrom.NewBody("send_ok").Int("offset", off))
		})
	}
	s.mu.Lock()
	off := len(s.logs[key])
	s.logs[key] = append(s.logs[key], value)
	s.mu.Unlock()
	return s.n.Reply(msg, maelstrom.NewBody("send_ok").Int("offset", off))
}

// unavailable answers req with a temporarily-unavailable error (from a
// callback, where a returned error reaches no one).
func (s *server) unavailable(req maelstrom.Message, text string) error {
	return s.n.Reply(req, maelstrom.NewBody("error").Int("code", maelstrom.TemporarilyUnavailable).String("text", text))
}

// offsets reads a body's field name, an object of key → offset.
func offsets(msg maelstrom.Message, name string) (keys []string, offs []int, ok bool) {
	raw, found := msg.Field(name)
	if !found {
		return nil, nil, false
	}
	keys, vals, ok := maelstrom.Members(raw)
	if !ok {
		var m map[string]int
		if json.Unmarshal(raw, &m) != nil {
			return nil, nil, false
		}
		keys = slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
		for _, k := range keys {
			offs = append(offs, m[k])
		}
		return keys, offs, true
	}
	for _, v := range vals {
		o, err := strconv.Atoi(string(v))
		if err != nil {
			return nil, nil, false
		}
		offs = append(offs, o)
	}
	return keys, offs, true
}

func (s *server) poll(msg maelstrom.Message) error {
	keys, offs, ok := offsets(msg, "offsets")
	if !ok {
		return malformed("poll needs offsets, an object of key to offset")
	}
	from := make(map[string]int, len(keys))
	for i, k := range keys {
		from[k] = offs[i]
	}
	return s.fanout(msg, keys, request{
		local: func(b []byte, key string) []byte {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.appendMsgs(b, key, from[key])
		},
		remote: func(part []string) *maelstrom.Body {
			return maelstrom.NewBody("poll").Raw("offsets", intMembers(part, from))
		},
		field: "msgs", reply: "poll_ok",
	})
}

// appendMsgs appends key's messages from offset off as a member
// "key":[[off,msg],...] (nothing if there are none). Callers hold s.mu.
func (s *server) appendMsgs(b []byte, key string, off int) []byte {
	lg := s.logs[key]
	off = max(off, 0)
	if off >= len(lg) {
		return b
	}
	b = appendKey(b, key)
	b = append(b, '[')
	for i := off; i < len(lg) && i < off+pollMax; i++ {
		if i > off {
			b = append(b, ',')
		}
		b = append(strconv.AppendInt(append(b, '['), int64(i), 10), ',')
		b = append(append(b, lg[i]...), ']')
	}
	return append(b, ']')
}

func (s *server) commit(msg maelstrom.Message) error {
	keys, offs, ok := offsets(msg, "offsets")
	if !ok {
		return malformed("commit_offsets needs offsets, an object of key to offset")
	}
	to := make(map[string]int, len(keys))
	for i, k := range keys {
		to[k] = offs[i]
	}
	return s.fanout(msg, keys, request{
		local: func(b []byte, key string) []byte {
			s.mu.Lock()
			defer s.mu.Unlock()
			if cur, ok := s.committed[key]; !ok || to[key] > cur {
				s.committed[key] = to[key]
			}
			return b
		},
		remote: func(part []string) *maelstrom.Body {
			return maelstrom.NewBody("commit_offsets").Raw("offsets", intMembers(part, to))
		},
		reply: "commit_offsets_ok",
	})
}

func (s *server) list(msg maelstrom.Message) error {
	raw, found := msg.Field("keys")
	var keys []string
	if !found || json.Unmarshal(raw, &keys) != nil {
		return malformed("list_committed_offsets needs keys, an array of strings")
	}
	return s.fanout(msg, keys, request{
		local: func(b []byte, key string) []byte {
			s.mu.Lock()
			defer s.mu.Unlock()
			if off, ok := s.committed[key]; ok {
				b = strconv.AppendInt(appendKey(b, key), int64(off), 10)
			}
			return b
		},
		remote: func(part []string) *maelstrom.Body {
			b, _ := json.Marshal(part)
			return maelstrom.NewBody("list_committed_offsets").Raw("keys", b)
		},
		field: "offsets", reply: "list_committed_offsets_ok",
	})
}
