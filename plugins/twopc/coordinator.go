package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

const logPrefix = "log/"

// States of a transaction in the coordinator's log.
const (
	statePreparing = "preparing"
	stateDone      = "done" // decided and acknowledged by every participant
)

// record is one transaction in the coordinator's durable log.
type record struct {
	Txn     string                       `json:"txn"`
	State   string                       `json:"state"` // preparing, commit, abort
	Done    bool                         `json:"done,omitempty"`
	Started int64                        `json:"started"`
	Writes  map[string]map[string]string `json:"writes"` // per participant
}

type ctxn struct {
	record
	parts   []string
	votes   map[string]string
	acked   map[string]bool
	waiters []maelstrom.Message
}

type coordinator struct {
	n  *maelstrom.Node
	kv *maelstrom.Store

	mu    sync.Mutex
	parts []string
	txns  map[string]*ctxn
	seq   int

	retry       time.Duration
	voteTimeout time.Duration
	commitEarly bool
	crashAt     time.Duration // 0: never
}

func startCoordinator(n *maelstrom.Node) error {
	var p struct {
		Participants  []string `json:"participants"`
		RetryMS       int      `json:"retry_ms"`
		VoteTimeoutMS int      `json:"vote_timeout_ms"`
		CommitEarly   bool     `json:"commit_early"`
		CrashAfterMS  int      `json:"crash_after_prepare_ms"`
	}
	if err := n.ParamsInto(&p); err != nil {
		return fmt.Errorf("coordinator: %w", err)
	}
	c := &coordinator{n: n, kv: n.Store(), txns: map[string]*ctxn{},
		retry: ms(p.RetryMS, 100), voteTimeout: ms(p.VoteTimeoutMS, 400), commitEarly: p.CommitEarly}
	if p.CrashAfterMS > 0 && !n.Restarted() {
		c.crashAt = time.Duration(p.CrashAfterMS) * time.Millisecond
	}
	c.parts = p.Participants
	if len(c.parts) == 0 {
		for _, id := range n.NodeIDs() {
			if id != n.ID() {
				c.parts = append(c.parts, id)
			}
		}
	}
	slices.Sort(c.parts)
	if len(c.parts) == 0 {
		return fmt.Errorf("coordinator: no participants")
	}
	if err := c.recover(); err != nil {
		return err
	}
	n.Handle("txn", c.txn)
	n.HandleInline("vote", c.vote)
	n.HandleInline("ack", c.ack)
	n.HandleInline("decision?", c.query)

	ticker := time.NewTicker(c.retry)
	go func() {
		for range ticker.C {
			c.tick()
		}
	}()
	return nil
}

// owner maps a key to the participant that stores it.
func owner(key string, parts []string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return parts[h.Sum32()%uint32(len(parts))]
}

func (c *coordinator) newTxn(r record) *ctxn {
	t := &ctxn{record: r, votes: map[string]string{}, acked: map[string]bool{}}
	for p := range r.Writes {
		t.parts = append(t.parts, p)
	}
	slices.Sort(t.parts)
	return t
}

func (c *coordinator) persist(t *ctxn, sync bool) error {
	b, err := json.Marshal(t.record)
	if err != nil {
		return err
	}
	if err := c.kv.Put(logPrefix+t.Txn, b); err != nil {
		return err
	}
	if sync {
		return c.kv.Sync()
	}
	return nil
}

// recover reloads the log: decided transactions not yet acknowledged are
// sent again by the ticker; prepared but undecided ones are aborted
// (presumed abort).
func (c *coordinator) recover() error {
	pairs, err := c.kv.Scan(logPrefix)
	if err != nil {
		return err
	}
	var undecided []*ctxn
	for _, kv := range pairs {
		var r record
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return fmt.Errorf("coordinator: log %s: %w", kv.Key, err)
		}
		t := c.newTxn(r)
		if r.Done {
			for _, p := range t.parts {
				t.acked[p] = true
			}
		}
		c.txns[r.Txn] = t
		if r.State == statePreparing {
			undecided = append(undecided, t)
		}
	}
	if len(pairs) > 0 {
		c.n.Log("recovered %d logged transactions, %d undecided", len(pairs), len(undecided))
	}
	for _, t := range undecided {
		if err := c.decide(t, outcomeAbort, true); err != nil {
			return err
		}
	}
	return nil
}

// txn starts a transaction for a client (or joins the client to one that
// is already running under the same id).
func (c *coordinator) txn(msg maelstrom.Message) error {
	b, err := decode(msg)
	if err != nil {
		return err
	}
	if len(b.Writes) == 0 {
		return maelstrom.NewRPCError(maelstrom.MalformedRequest, "txn without writes")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b.Txn == "" {
		c.seq++
		b.Txn = fmt.Sprintf("%s-%d-%d", c.n.ID(), c.n.Now().UnixNano(), c.seq)
	}
	if t, ok := c.txns[b.Txn]; ok { // a duplicate or retried request
		if t.State == statePreparing {
			t.waiters = append(t.waiters, msg)
			return nil
		}
		return c.n.Reply(msg, txnBody{Type: "txn_ok", Txn: t.Txn, Outcome: t.State})
	}
	r := record{Txn: b.Txn, State: statePreparing, Started: c.n.Now().UnixNano(), Writes: map[string]map[string]string{}}
	for k, v := range b.Writes {
		p := owner(k, c.parts)
		if r.Writes[p] == nil {
			r.Writes[p] = map[string]string{}
		}
		r.Writes[p][k] = v
	}
	t := c.newTxn(r)
	t.waiters = append(t.waiters, msg)
	c.txns[t.Txn] = t
	// Log the transaction before any participant can lock for it, so a
	// restarted coordinator knows what to abort.
	if err := c.persist(t, true); err != nil {
		return err
	}
	for _, p := range t.parts {
		c.sendPrepare(t, p)
	}
	if c.crashAt > 0 && time.Duration(c.n.Now().UnixNano()) >= c.crashAt {
		c.n.Logf(maelstrom.LevelWarn, "fault knob: crashing right after the prepares of %s", t.Txn)
		os.Exit(3)
	}
	return nil
}

func (c *coordinator) sendPrepare(t *ctxn, p string) {
	if err := c.n.Send(p, txnBody{Type: "prepare", Txn: t.Txn, Writes: t.Writes[p]}); err != nil {
		c.n.Logf(maelstrom.LevelWarn, "prepare %s to %s: %v", t.Txn, p, err)
	}
}

func (c *coordinator) sendDecision(t *ctxn, p string) {
	if err := c.n.Send(p, txnBody{Type: t.State, Txn: t.Txn}); err != nil {
		c.n.Logf(maelstrom.LevelWarn, "%s %s to %s: %v", t.State, t.Txn, p, err)
	}
}

// decide logs the outcome durably, then announces it: event, client
// replies, participants. Callers hold c.mu.
func (c *coordinator) decide(t *ctxn, outcome string, recovered bool) error {
	if t.State != statePreparing {
		return nil
	}
	t.State = outcome
	if err := c.persist(t, true); err != nil {
		return err
	}
	c.n.Emit("decide", map[string]any{"txn": t.Txn, "outcome": outcome, "participants": t.parts, "recovered": recovered})
	for _, w := range t.waiters {
		if err := c.n.Reply(w, txnBody{Type: "txn_ok", Txn: t.Txn, Outcome: outcome}); err != nil {
			c.n.Logf(maelstrom.LevelWarn, "reply %s: %v", t.Txn, err)
		}
	}
	t.waiters = nil
	for _, p := range t.parts {
		c.sendDecision(t, p)
	}
	return nil
}

func (c *coordinator) vote(msg maelstrom.Message) error {
	b, err := decode(msg)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.txns[b.Txn]
	if !ok || t.State != statePreparing {
		return nil
	}
	if _, ok := t.Writes[msg.Src]; !ok {
		return nil
	}
	t.votes[msg.Src] = b.Vote
	if b.Vote != "yes" {
		return c.decide(t, outcomeAbort, false)
	}
	if c.commitEarly { // broken: the first yes is taken for all of them
		return c.decide(t, outcomeCommit, false)
	}
	for _, p := range t.parts {
		if t.votes[p] != "yes" {
			return nil
		}
	}
	return c.decide(t, outcomeCommit, false)
}

func (c *coordinator) ack(msg maelstrom.Message) error {
	b, err := decode(msg)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.txns[b.Txn]
	if !ok || t.State == statePreparing || t.Done {
		return nil
	}
	t.acked[msg.Src] = true
	for _, p := range t.parts {
		if !t.acked[p] {
			return nil
		}
	}
	t.Done = true
	return c.persist(t, false) // losing this only means sending the decision again
}

// query answers an in-doubt participant: the logged decision, abort for a
// transaction it never logged (presumed abort), nothing while votes are
// still being collected.
func (c *coordinator) query(msg maelstrom.Message) error {
	b, err := decode(msg)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.txns[b.Txn]
	switch {
	case !ok:
		return c.n.Send(msg.Src, txnBody{Type: outcomeAbort, Txn: b.Txn})
	case t.State == statePreparing:
		return nil
	}
	c.sendDecision(t, msg.Src)
	return nil
}

// tick resends prepares to participants that have not voted, aborts
// transactions whose votes are overdue, and resends decisions that are not
// acknowledged.
func (c *coordinator) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.n.Now().UnixNano()
	ids := make([]string, 0, len(c.txns))
	for id, t := range c.txns {
		if !t.Done {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, strings.Compare)
	for _, id := range ids {
		t := c.txns[id]
		if t.State == statePreparing {
			if time.Duration(now-t.Started) >= c.voteTimeout {
				if err := c.decide(t, outcomeAbort, false); err != nil {
					c.n.Logf(maelstrom.LevelError, "abort %s: %v", id, err)
				}
				continue
			}
			for _, p := range t.parts {
				if _, ok := t.votes[p]; !ok {
					c.sendPrepare(t, p)
				}
			}
			continue
		}
		for _, p := range t.parts {
			if !t.acked[p] {
				c.sendDecision(t, p)
			}
		}
	}
}
