package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

// Participant store layout: lock/<txn> the prepared record (its writes and
// coordinator), data/<key> applied values, done/<txn> the local outcome.
const (
	lockPrefix = "lock/"
	dataPrefix = "data/"
	donePrefix = "done/"
)

type prepared struct {
	Writes map[string]string `json:"writes"`
	Coord  string            `json:"coord"`
	asked  time.Time         // when the participant last heard or asked about it
}

type participant struct {
	n  *maelstrom.Node
	kv *maelstrom.Store

	mu       sync.Mutex
	prepared map[string]*prepared
	locks    map[string]string // key -> txn
	// held is locks' keys in order, kept beside it so that publishing the
	// state iterates no map (a Go map's order draws on the runtime's
	// random source, which the guest's other map walks share).
	held     []string
	stateBuf []byte            // publish's JSON
	done     map[string]string // txn -> outcome

	abortRate float64
	inDoubt   time.Duration
}

func startParticipant(n *maelstrom.Node) error {
	var p struct {
		AbortRate float64 `json:"abort_rate"`
		InDoubtMS int     `json:"indoubt_ms"`
		RetryMS   int     `json:"retry_ms"`
	}
	if err := n.ParamsInto(&p); err != nil {
		return fmt.Errorf("participant: %w", err)
	}
	s := &participant{n: n, kv: n.Store(), prepared: map[string]*prepared{}, locks: map[string]string{}, done: map[string]string{},
		abortRate: p.AbortRate, inDoubt: ms(p.InDoubtMS, 300)}
	if err := s.load(); err != nil {
		return err
	}
	n.HandleInline("prepare", s.prepare)
	n.HandleInline("commit", s.finish)
	n.HandleInline("abort", s.finish)

	ticker := time.NewTicker(ms(p.RetryMS, 100))
	go func() {
		for range ticker.C {
			s.tick()
		}
	}()
	return nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// load reloads prepared transactions (their locks) and local outcomes.
func (s *participant) load() error {
	locks, err := s.kv.Scan(lockPrefix)
	if err != nil {
		return err
	}
	now := s.n.Now()
	for _, kv := range locks {
		var p prepared
		if err := json.Unmarshal(kv.Value, &p); err != nil {
			return fmt.Errorf("participant: %s: %w", kv.Key, err)
		}
		p.asked = now.Add(-s.inDoubt) // in doubt: ask at the first tick
		txn := strings.TrimPrefix(kv.Key, lockPrefix)
		s.prepared[txn] = &p
		for k := range p.Writes {
			s.locks[k] = txn
			s.hold(k)
		}
	}
	done, err := s.kv.Scan(donePrefix)
	if err != nil {
		return err
	}
	for _, kv := range done {
		s.done[strings.TrimPrefix(kv.Key, donePrefix)] = string(kv.Value)
	}
	if len(locks) > 0 {
		s.n.Log("reloaded %d prepared transactions", len(locks))
		s.publish()
	}
	return nil
}

func (s *participant) sendVote(to, txn, vote string) error {
	return s.n.Send(to, txnBody{Type: "vote", Txn: txn, Vote: vote})
}

func (s *participant) prepare(msg maelstrom.Message) error {
	b, err := decode(msg)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.prepared[b.Txn]; ok { // a resent prepare
		return s.sendVote(msg.Src, b.Txn, "yes")
	}
	if o, ok := s.done[b.Txn]; ok {
		if o == outcomeCommit {
			return s.sendVote(msg.Src, b.Txn, "yes")
		}
		return s.sendVote(msg.Src, b.Txn, "no")
	}
	keys := sortedKeys(b.Writes)
	conflict := ""
	for _, k := range keys {
		if other, ok := s.locks[k]; ok && other != b.Txn {
			conflict = k
			break
		}
	}
	if conflict != "" || (s.abortRate > 0 && rand.Float64() < s.abortRate) {
		// A no vote is a unilateral abort: nothing is locked.
		s.done[b.Txn] = outcomeAbort
		if err := s.kv.Put(donePrefix+b.Txn, []byte(outcomeAbort)); err != nil {
			return err
		}
		s.n.Emit("release", map[string]any{"txn": b.Txn, "keys": keys, "reason": "vote_no", "conflict": conflict})
		return s.sendVote(msg.Src, b.Txn, "no")
	}
	p := &prepared{Writes: b.Writes, Coord: msg.Src, asked: s.n.Now()}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := s.kv.Put(lockPrefix+b.Txn, raw); err != nil {
		return err
	}
	if err := s.kv.Sync(); err != nil { // the yes vote is a promise: make it durable
		return err
	}
	s.prepared[b.Txn] = p
	for _, k := range keys {
		s.locks[k] = b.Txn
		s.hold(k)
	}
	s.n.Emit("prepared", map[string]any{"txn": b.Txn, "keys": keys})
	s.publish()
	return s.sendVote(msg.Src, b.Txn, "yes")
}

// finish applies a commit or an abort, durably, then acknowledges it.
func (s *participant) finish(msg maelstrom.Message) error {
	b, err := decode(msg)
	if err != nil {
		return err
	}
	outcome := msg.Type()
	s.mu.Lock()
	defer s.mu.Unlock()
	ack := func() error { return s.n.Send(msg.Src, txnBody{Type: "ack", Txn: b.Txn}) }
	p, ok := s.prepared[b.Txn]
	if !ok {
		o, known := s.done[b.Txn]
		switch {
		case known && o != outcome:
			s.n.Logf(maelstrom.LevelError, "%s: told %s but decided %s here", b.Txn, outcome, o)
			return ack()
		case known:
			return ack()
		case outcome == outcomeAbort:
			// Never prepared here: remember, so a late prepare votes no.
			s.done[b.Txn] = outcomeAbort
			if err := s.kv.Put(donePrefix+b.Txn, []byte(outcomeAbort)); err != nil {
				return err
			}
			return ack()
		}
		// A commit for a transaction never prepared here: no writes to
		// apply; no ack, so the coordinator keeps asking.
		s.n.Logf(maelstrom.LevelError, "%s: commit without prepare", b.Txn)
		return nil
	}
	keys := sortedKeys(p.Writes)
	if outcome == outcomeCommit {
		for _, k := range keys {
			if err := s.kv.Put(dataPrefix+k, []byte(p.Writes[k])); err != nil {
				return err
			}
		}
	}
	if err := s.kv.Delete(lockPrefix + b.Txn); err != nil {
		return err
	}
	if err := s.kv.Put(donePrefix+b.Txn, []byte(outcome)); err != nil {
		return err
	}
	if err := s.kv.Sync(); err != nil {
		return err
	}
	delete(s.prepared, b.Txn)
	for _, k := range keys {
		if s.locks[k] == b.Txn {
			delete(s.locks, k)
			if i, ok := slices.BinarySearch(s.held, k); ok {
				s.held = slices.Delete(s.held, i, i+1)
			}
		}
	}
	s.done[b.Txn] = outcome
	if outcome == outcomeCommit {
		s.n.Emit("apply", map[string]any{"txn": b.Txn, "keys": keys})
	} else {
		s.n.Emit("release", map[string]any{"txn": b.Txn, "keys": keys, "reason": "abort"})
	}
	s.publish()
	return ack()
}

// publish emits the participant's state (maelstrom.Node.SetState) after a
// change of its locks: {"locks":["k4=c0-16",...],"prepared":N}, the keys it
// holds locked (each for the transaction that prepared it) and how many
// transactions are prepared here, undecided. Called with s.mu held.
//
// It writes into a buffer it keeps, allocating nothing once that buffer
// has grown: the guest's other work runs in goroutines, whose order
// follows the Go runtime's garbage collections, so a state emit that
// allocated would move them and change the run (not only its digest).
func (s *participant) publish() {
	b := append(s.stateBuf[:0], `{"locks":[`...)
	for i, k := range s.held {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = appendJSONText(b, k)
		b = append(b, '=')
		b = appendJSONText(b, s.locks[k])
		b = append(b, '"')
	}
	b = append(b, `],"prepared":`...)
	b = strconv.AppendInt(b, int64(len(s.prepared)), 10)
	b = append(b, '}')
	s.stateBuf = b
	s.n.SetState(json.RawMessage(b))
}

// appendJSONText appends t as the inside of a JSON string.
func appendJSONText(b []byte, t string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}

// hold adds k to the ordered locked keys.
func (s *participant) hold(k string) {
	if i, ok := slices.BinarySearch(s.held, k); !ok {
		s.held = slices.Insert(s.held, i, k)
	}
}

// tick asks the coordinator about transactions prepared for too long.
func (s *participant) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.n.Now()
	txns := make([]string, 0, len(s.prepared))
	for txn := range s.prepared {
		txns = append(txns, txn)
	}
	slices.Sort(txns)
	for _, txn := range txns {
		p := s.prepared[txn]
		if now.Sub(p.asked) < s.inDoubt {
			continue
		}
		p.asked = now
		if err := s.n.Send(p.Coord, txnBody{Type: "decision?", Txn: txn}); err != nil {
			s.n.Logf(maelstrom.LevelWarn, "decision? %s: %v", txn, err)
		}
	}
}
