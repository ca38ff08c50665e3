// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o cqrs.wasm ./plugins/cqrs

// Command cqrs is Command and Query Responsibility Segregation as a
// Terrarium guest: one module, two roles.
//
// Role "command" (the write side) validates bank commands (deposit and
// withdraw; a withdrawal may not take a balance below zero), appends each
// accepted one to its event log in KV with a sequence number (synced before
// the reply), and publishes the log to every query node, resending on a
// ticker until each one acknowledges. Params: {"query_nodes": ["q0", ...],
// "publish_ms": 20}.
//
// Role "query" (the read side) projects the events of every command node's
// log into a read model (a balance per account), applying each (log, seq)
// once, in order, and answers queries from it. Params: {"idempotent": false}
// is a deliberately broken projector that does not deduplicate by sequence
// number, so a duplicated or resent batch is counted twice.
//
// Messages:
//
//	command    {cmd, op: deposit|withdraw, account, amount} -> command_ok {cmd, log, seq, balance} | error 22
//	publish    {log, events: [{seq, cmd, account, amount}]}  -> publish_ok {log, upto}
//	query      {account}                                     -> query_ok {account, balance, applied: {log: upto}}
//	read_model {}                                            -> read_model_ok {balances, applied}
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

// event is one accepted command in a command node's log. Amount is signed:
// a withdrawal is negative.
type event struct {
	Seq     int    `json:"seq"`
	Cmd     string `json:"cmd"`
	Account string `json:"account"`
	Amount  int    `json:"amount"`
}

func main() {
	n := maelstrom.NewNode()
	var err error
	switch n.Role() {
	case "command":
		err = startCommand(n)
	case "query":
		err = startQuery(n)
	default:
		err = fmt.Errorf("cqrs: unknown role %q (want command or query)", n.Role())
	}
	if err != nil {
		log.Fatal(err)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

// ---- write side ----

const (
	logPrefix = "log/"
	cmdPrefix = "cmd/" // rejected cmd ids (a duplicate gets the same answer)
)

type commandSide struct {
	n  *maelstrom.Node
	kv *maelstrom.Store

	mu       sync.Mutex
	events   []event        // events[i].Seq == i+1
	balances map[string]int // the write side's own state, for validation
	decided  map[string]int // cmd -> seq, or -1 when rejected
	queries  []string
	acked    map[string]int // query node -> highest seq it acknowledged
}

func startCommand(n *maelstrom.Node) error {
	var p struct {
		QueryNodes []string `json:"query_nodes"`
		PublishMS  int      `json:"publish_ms"`
	}
	if err := n.ParamsInto(&p); err != nil {
		return fmt.Errorf("cqrs: %w", err)
	}
	if p.QueryNodes == nil { // default: every node named q...
		for _, id := range n.NodeIDs() {
			if strings.HasPrefix(id, "q") {
				p.QueryNodes = append(p.QueryNodes, id)
			}
		}
	}
	if p.PublishMS <= 0 {
		p.PublishMS = 20
	}
	c := &commandSide{n: n, kv: n.Store(), balances: map[string]int{}, decided: map[string]int{},
		queries: p.QueryNodes, acked: map[string]int{}}
	if err := c.load(); err != nil {
		return err
	}
	n.Handle("command", c.command)
	n.HandleInline("publish_ok", c.publishOK)
	ticker := time.NewTicker(time.Duration(p.PublishMS) * time.Millisecond)
	go func() {
		for range ticker.C {
			c.publish()
		}
	}()
	return nil
}

// load rebuilds the log, balances and decisions a previous incarnation synced.
func (c *commandSide) load() error {
	pairs, err := c.kv.Scan(logPrefix)
	if err != nil {
		return err
	}
	for _, kv := range pairs {
		var e event
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			return fmt.Errorf("cqrs: log entry %q: %w", kv.Key, err)
		}
		c.events = append(c.events, e)
		c.balances[e.Account] += e.Amount
		c.decided[e.Cmd] = e.Seq
	}
	rej, err := c.kv.Scan(cmdPrefix)
	if err != nil {
		return err
	}
	for _, kv := range rej {
		c.decided[strings.TrimPrefix(kv.Key, cmdPrefix)] = -1
	}
	return nil
}

func logKey(seq int) string { return fmt.Sprintf("%s%020d", logPrefix, seq) }

func (c *commandSide) command(msg maelstrom.Message) error {
	var b struct {
		Cmd     string `json:"cmd"`
		Op      string `json:"op"`
		Account string `json:"account"`
		Amount  int    `json:"amount"`
	}
	if err := json.Unmarshal(msg.Body, &b); err != nil || b.Cmd == "" || b.Account == "" {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "command needs cmd, op, account, amount")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq, ok := c.decided[b.Cmd]; ok { // a duplicate or a retry: same answer
		if seq < 0 {
			return maelstrom.NewRPCError(maelstrom.PreconditionFailed, "command "+b.Cmd+" was rejected")
		}
		return c.n.Reply(msg, map[string]any{"type": "command_ok", "cmd": b.Cmd, "log": c.n.ID(), "seq": seq,
			"balance": c.balances[b.Account]})
	}
	var amount int
	var why string
	switch {
	case b.Amount <= 0:
		why = "amount must be positive"
	case b.Op == "deposit":
		amount = b.Amount
	case b.Op == "withdraw":
		if c.balances[b.Account] < b.Amount {
			why = fmt.Sprintf("insufficient funds: %s has %d, withdraw %d", b.Account, c.balances[b.Account], b.Amount)
		}
		amount = -b.Amount
	default:
		why = fmt.Sprintf("unknown op %q", b.Op)
	}
	if why != "" {
		if err := c.kv.Put(cmdPrefix+b.Cmd, []byte("rej")); err != nil {
			return err
		}
		if err := c.kv.Sync(); err != nil {
			return err
		}
		c.decided[b.Cmd] = -1
		c.n.Emit("reject", map[string]any{"cmd": b.Cmd, "reason": why})
		return maelstrom.NewRPCError(maelstrom.PreconditionFailed, why)
	}
	e := event{Seq: len(c.events) + 1, Cmd: b.Cmd, Account: b.Account, Amount: amount}
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := c.kv.Put(logKey(e.Seq), raw); err != nil {
		return err
	}
	if err := c.kv.Sync(); err != nil {
		return err
	}
	c.events = append(c.events, e)
	c.balances[e.Account] += e.Amount
	c.decided[e.Cmd] = e.Seq
	c.n.Emit("event", e)
	return c.n.Reply(msg, map[string]any{"type": "command_ok", "cmd": e.Cmd, "log": c.n.ID(), "seq": e.Seq,
		"balance": c.balances[e.Account]})
}

type publishBody struct {
	Type   string  `json:"type"`
	Log    string  `json:"log"`
	Events []event `json:"events,omitempty"`
	Upto   int     `json:"upto,omitempty"`
}

// maxBatch bounds the events in one publish message.
const maxBatch = 64

// publish sends each query node the events it has not acknowledged.
func (c *commandSide) publish() {
	c.mu.Lock()
	type out struct {
		to string
		b  publishBody
	}
	var outs []out
	for _, q := range c.queries {
		from := c.acked[q]
		if from >= len(c.events) {
			continue
		}
		to := min(len(c.events), from+maxBatch)
		outs = append(outs, out{q, publishBody{Type: "publish", Log: c.n.ID(), Events: slices.Clone(c.events[from:to])}})
	}
	c.mu.Unlock()
	for _, o := range outs {
		if err := c.n.Send(o.to, o.b); err != nil {
			c.n.Logf(maelstrom.LevelWarn, "publish to %s: %v", o.to, err)
		}
	}
}

func (c *commandSide) publishOK(msg maelstrom.Message) error {
	var b publishBody
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b.Upto > c.acked[msg.Src] {
		c.acked[msg.Src] = min(b.Upto, len(c.events))
	}
	return nil
}

// ---- read side ----

const (
	balPrefix  = "bal/"
	nextPrefix = "next/"
)

type querySide struct {
	n          *maelstrom.Node
	kv         *maelstrom.Store
	idempotent bool

	mu       sync.Mutex
	balances map[string]int
	applied  map[string]int // log -> highest contiguous seq applied
}

func startQuery(n *maelstrom.Node) error {
	p := struct {
		Idempotent *bool `json:"idempotent"`
	}{}
	if err := n.ParamsInto(&p); err != nil {
		return fmt.Errorf("cqrs: %w", err)
	}
	q := &querySide{n: n, kv: n.Store(), idempotent: p.Idempotent == nil || *p.Idempotent,
		balances: map[string]int{}, applied: map[string]int{}}
	if err := q.load(); err != nil {
		return err
	}
	n.Handle("publish", q.publish)
	n.Handle("query", q.query)
	n.Handle("read_model", q.readModel)
	return nil
}

// load restores the read model and the projection's position in each log.
func (q *querySide) load() error {
	for _, part := range []struct {
		prefix string
		m      map[string]int
	}{{balPrefix, q.balances}, {nextPrefix, q.applied}} {
		pairs, err := q.kv.Scan(part.prefix)
		if err != nil {
			return err
		}
		for _, kv := range pairs {
			v, err := strconv.Atoi(string(kv.Value))
			if err != nil {
				return fmt.Errorf("cqrs: %q: %w", kv.Key, err)
			}
			part.m[strings.TrimPrefix(kv.Key, part.prefix)] = v
		}
	}
	return nil
}

// publish projects a batch: each event is applied once, in log order
// (events already applied are skipped; a gap waits for the resend). The
// broken variant re-applies events it has already applied.
func (q *querySide) publish(msg maelstrom.Message) error {
	var b publishBody
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	touched := map[string]bool{}
	for _, e := range b.Events {
		next := q.applied[b.Log] + 1
		if e.Seq > next {
			continue // a gap: wait for the resend of what is missing
		}
		if e.Seq < next && q.idempotent {
			continue // already applied: a duplicate or a resend
		}
		q.balances[e.Account] += e.Amount
		touched[e.Account] = true
		q.applied[b.Log] = max(q.applied[b.Log], e.Seq)
		q.n.Emit("project", map[string]any{"node": q.n.ID(), "log": b.Log, "seq": e.Seq, "cmd": e.Cmd,
			"account": e.Account, "amount": e.Amount})
	}
	if len(touched) > 0 {
		for _, a := range sortedKeys(touched) {
			if err := q.kv.Put(balPrefix+a, []byte(strconv.Itoa(q.balances[a]))); err != nil {
				return err
			}
		}
		if err := q.kv.Put(nextPrefix+b.Log, []byte(strconv.Itoa(q.applied[b.Log]))); err != nil {
			return err
		}
		if err := q.kv.Sync(); err != nil {
			return err
		}
	}
	return q.n.Send(msg.Src, publishBody{Type: "publish_ok", Log: b.Log, Upto: q.applied[b.Log]})
}

func (q *querySide) query(msg maelstrom.Message) error {
	var b struct {
		Account string `json:"account"`
	}
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n.Reply(msg, map[string]any{"type": "query_ok", "account": b.Account, "balance": q.balances[b.Account],
		"applied": q.applied})
}

func (q *querySide) readModel(msg maelstrom.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n.Reply(msg, map[string]any{"type": "read_model_ok", "balances": q.balances, "applied": q.applied})
}

func sortedKeys(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
