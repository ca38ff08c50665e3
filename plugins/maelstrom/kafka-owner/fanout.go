package main

import (
	"encoding/json"
	"strconv"
	"sync"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

// request is how fanout serves one kind of request over many keys.
type request struct {
	// local serves a key this node owns, appending its result to b as
	// JSON object members ("key":value, or nothing).
	local func(b []byte, key string) []byte
	// remote is the same request for the keys of another owner.
	remote func(keys []string) *maelstrom.Body
	// field names the reply's object the members go into ("" for none);
	// reply is the reply's type.
	field, reply string
}

// gather collects the parts of one client request.
type gather struct {
	mu      sync.Mutex
	members []byte
	waiting int
	failed  bool
}

// add appends one part's members.
func (g *gather) add(members []byte) {
	if len(members) == 0 {
		return
	}
	if len(g.members) > 0 {
		g.members = append(g.members, ',')
	}
	g.members = append(g.members, members...)
}

// fanout serves req over keys: the keys this node owns at once, every
// other owner's keys as one forwarded request each; it answers msg when
// every part is in, or with an error if a part failed.
func (s *server) fanout(msg maelstrom.Message, keys []string, req request) error {
	byOwner := make([][]string, len(s.nodes))
	for _, k := range keys {
		o := s.owner(k)
		byOwner[o] = append(byOwner[o], k)
	}
	g := &gather{}
	for _, k := range byOwner[s.me] {
		g.members = req.local(withComma(g.members), k)
	}
	g.members = trimComma(g.members)
	for o, part := range byOwner {
		if o == s.me || len(part) == 0 {
			continue
		}
		g.waiting++
		err := s.n.RPCInline(s.nodes[o], req.remote(part), func(r maelstrom.Message) error {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.waiting--
			if r.RPCError() != nil {
				g.failed = true
			} else if req.field != "" {
				raw, _ := r.Field(req.field)
				g.add(inner(raw))
			}
			if g.waiting == 0 {
				return s.finish(msg, g, req)
			}
			return nil
		})
		if err != nil {
			return maelstrom.NewRPCError(maelstrom.TemporarilyUnavailable, err.Error())
		}
	}
	if g.waiting == 0 {
		return s.finish(msg, g, req)
	}
	return nil
}

// finish answers msg with what g gathered.
func (s *server) finish(msg maelstrom.Message, g *gather, req request) error {
	if g.failed {
		return s.unavailable(msg, "a key's owner did not answer")
	}
	b := maelstrom.NewBody(req.reply)
	if req.field != "" {
		b.Raw(req.field, append(append([]byte{'{'}, g.members...), '}'))
	}
	return s.n.Reply(msg, b)
}

// inner returns an object's members without its braces ("" for an empty
// object or anything else).
func inner(obj json.RawMessage) []byte {
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil
	}
	return obj[1 : len(obj)-1]
}

// withComma adds a separator before the next member if b has one already.
func withComma(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] != ',' {
		return append(b, ',')
	}
	return b
}

// trimComma drops a separator no member followed.
func trimComma(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == ',' {
		return b[:len(b)-1]
	}
	return b
}

// appendKey appends "key": to b (through encoding/json only if the key
// needs escapes).
func appendKey(b []byte, key string) []byte {
	for i := range len(key) {
		if c := key[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			k, _ := json.Marshal(key)
			return append(append(b, k...), ':')
		}
	}
	return append(append(append(b, '"'), key...), `":`...)
}

// intMembers is an object of keys to their integers in m.
func intMembers(keys []string, m map[string]int) json.RawMessage {
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(appendKey(b, k), int64(m[k]), 10)
	}
	return append(b, '}')
}
