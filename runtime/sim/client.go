package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/abi/jsonscan"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Client is a host-side actor with an index in the same space as nodes. It
// sends Maelstrom-shaped requests and waits for replies with timeouts.
type Client struct {
	sim     *Sim
	Index   int32
	name    string
	nextID  int
	pending map[int]*call
}

type call struct {
	c    *Client
	id   int
	to   int32
	typ  string
	sent int64
	done func(history.Reply)
}

// settled reports whether the call has had its reply or its timeout.
func (p *call) settled() bool { return p.c.pending[p.id] != p }

// envelope is Maelstrom's message shape.
type envelope struct {
	Src  string          `json:"src"`
	Dest string          `json:"dest"`
	Body json.RawMessage `json:"body"`
}

// Call sends body (a JSON object, to which "msg_id" is added) to the named
// node and calls done with the reply, or with TimedOut after timeout
// (timeout 0: wait forever). It must be called from the event loop (inside
// an At/After callback or another reply) or before the run starts.
func (c *Client) Call(to string, body map[string]any, timeout time.Duration, done func(history.Reply)) error {
	idx, ok := c.sim.Index(to)
	if !ok {
		return fmt.Errorf("sim: client %s: unknown destination %q", c.name, to)
	}
	c.nextID++
	id := c.nextID
	b := make(map[string]any, len(body)+1)
	for k, v := range body {
		b[k] = v
	}
	b["msg_id"] = id
	raw, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("sim: client %s: encode body: %w", c.name, err)
	}
	msg, err := json.Marshal(envelope{Src: c.name, Dest: to, Body: raw})
	if err != nil {
		return fmt.Errorf("sim: client %s: encode envelope: %w", c.name, err)
	}
	typ, _ := body["type"].(string)
	p := &call{c: c, id: id, to: idx, typ: typ, sent: c.sim.now, done: done}
	c.pending[id] = p
	if timeout > 0 {
		c.sim.push(event{at: c.sim.now + int64(timeout), kind: evTimeout, call: p, fn: func() {
			if p.settled() {
				return
			}
			delete(c.pending, id)
			p.done(history.Reply{TimedOut: true, Latency: time.Duration(c.sim.now - p.sent)})
		}})
	}
	c.sim.send(c.Index, idx, msg)
	return nil
}

// Name returns the client's node name (c0, c1, ...).
func (c *Client) Name() string { return c.name }

// Pending returns how many calls await a reply.
func (c *Client) Pending() int { return len(c.pending) }

func (c *Client) receive(m *message) {
	body, hdr, err := readReply(m.payload)
	if err != nil {
		c.sim.rec.Record(trace.Event{Time: c.sim.now, Kind: trace.KindLog, Node: c.Index, Peer: m.from, Label: "warn",
			Data: []byte(fmt.Sprintf("client %s: undecodable message: %v", c.name, err))})
		return
	}
	p, ok := c.pending[hdr.InReplyTo]
	if !ok {
		return // a late or duplicate reply
	}
	if m.from != p.to {
		// Only the node the request went to may answer it, whatever the
		// envelope's "src" says: the host knows who really sent it.
		c.sim.stats.ForgedReplies++
		c.sim.rec.Record(trace.Event{Time: c.sim.now, Kind: trace.KindLog, Node: c.Index, Peer: m.from, Label: "warn",
			Data: []byte(fmt.Sprintf("client %s: ignored a reply to msg %d from %s: the request went to %s", c.name, hdr.InReplyTo, c.sim.name(m.from), c.sim.name(p.to)))})
		return
	}
	delete(c.pending, hdr.InReplyTo)
	p.done(history.Reply{Body: body, Type: hdr.Type, Latency: time.Duration(c.sim.now - p.sent)})
}

// replyHeader is what a client reads of a reply's body.
type replyHeader struct {
	Type      string `json:"type"`
	InReplyTo int    `json:"in_reply_to"`
}

// readReply reads an envelope's body and the body's type and in_reply_to:
// with the scanner the guest SDK uses (runtime/abi/jsonscan) when it can
// read the envelope, else with encoding/json, whose answers the scanner's
// agree with (a malformed envelope is an error; a body that is not an
// object, or fields of other types, leave the header zero).
func readReply(payload []byte) (json.RawMessage, replyHeader, error) {
	// The scanner matches brackets but does not validate: json.Valid
	// (no reflection, no allocation) keeps a malformed reply an error.
	if _, _, body, h, ok := jsonscan.Envelope(payload); ok && json.Valid(payload) {
		return bytes.Clone(body), replyHeader{Type: string(h.Type), InReplyTo: h.InReplyTo}, nil
	}
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, replyHeader{}, err
	}
	var hdr replyHeader
	_ = json.Unmarshal(env.Body, &hdr)
	return env.Body, hdr, nil
}

// Invoke records the start of an operation in the history and returns its
// history index; Complete records its end.
func (c *Client) Invoke(f string, value any, node string) int {
	return c.sim.recordOp(history.Op{Process: int(c.Index), Type: history.OpInvoke, F: f, Value: mustJSON(value), Node: node})
}

// Complete records an operation's outcome (history.OpOK, history.OpFail or history.OpInfo).
func (c *Client) Complete(typ, f string, value any, node, errText string) int {
	return c.sim.recordOp(history.Op{Process: int(c.Index), Type: typ, F: f, Value: mustJSON(value), Node: node, Error: errText})
}

func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	if r, ok := v.(json.RawMessage); ok {
		return r
	}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(fmt.Sprint(v))
	}
	return b
}

var opKinds = map[string]trace.Kind{history.OpInvoke: trace.KindInvoke, history.OpOK: trace.KindOK, history.OpFail: trace.KindFail, history.OpInfo: trace.KindInfo}

func (s *Sim) recordOp(op history.Op) int {
	op.Index = len(s.hist)
	op.Time = s.now
	s.hist = append(s.hist, op)
	s.rec.Record(trace.Event{Time: s.now, Kind: opKinds[op.Type], Node: int32(op.Process), Peer: -1, Label: op.F, Data: op.Value})
	return op.Index
}
