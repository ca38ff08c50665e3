// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o elect.wasm ./plugins/zoo/elect

// Command elect is a bug-zoo guest (plugins/zoo): a Raft-like leader
// election (Ongaro and Ousterhout, "In Search of an Understandable
// Consensus Algorithm", 2014, figure 2, RequestVote) whose voters record
// their vote (currentTerm, votedFor) but do not kv_sync it before they
// answer. Raft requires both on stable storage before the reply. With
// lose_unsynced, a voter that crashes after granting a vote and restarts
// has forgotten it, and grants the same term's vote again to the other
// candidate, which retries: two leaders of one term, the split-brain
// window Raft's persistence rule closes. Only a crash of the voter after
// its vote and a restart before the other candidate gives up show it.
//
// Role: node (params {"timeout_ms": N, 0: never stand; "retry_ms": 2;
// "tries": 3, how many times a candidate asks for a term's votes}).
// Events: lead {term} when a node wins an election.
package main

import (
	"encoding/json"
	"log"
	"strconv"
	"strings"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type body struct {
	Type    string `json:"type"`
	Term    int    `json:"term"`
	Granted bool   `json:"granted,omitempty"`
}

// elector is one node's election state; mu guards it, since the election
// and retry timers run on goroutines of their own.
type elector struct {
	n        *maelstrom.Node
	mu       sync.Mutex
	term     int
	votedFor string
	leader   bool
	votes    map[string]bool
	retry    time.Duration
	tries    int
}

func main() {
	n := maelstrom.NewNode()
	var p struct {
		TimeoutMS int64 `json:"timeout_ms"`
		RetryMS   int64 `json:"retry_ms"`
		Tries     int   `json:"tries"`
	}
	if err := n.ParamsInto(&p); err != nil {
		log.Fatal(err)
	}
	e := &elector{n: n, retry: time.Duration(max(p.RetryMS, 1)) * time.Millisecond, tries: max(p.Tries, 1)}
	n.HandleInline("init", func(maelstrom.Message) error {
		e.load()
		if p.TimeoutMS > 0 && !n.Restarted() {
			time.AfterFunc(time.Duration(p.TimeoutMS)*time.Millisecond, e.stand)
		}
		return nil
	})
	n.HandleInline("request_vote", e.requestVote)
	n.HandleInline("vote", e.vote)
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

// load reads the vote the store kept: "term votedFor".
func (e *elector) load() {
	v, ok, err := e.n.Store().Get("vote")
	if err != nil || !ok {
		return
	}
	term, who, _ := strings.Cut(string(v), " ")
	e.term, _ = strconv.Atoi(term)
	e.votedFor = who
}

// record keeps the node's term and vote; sync makes them durable.
func (e *elector) record(sync bool) error {
	kv := e.n.Store()
	if err := kv.Put("vote", []byte(strconv.Itoa(e.term)+" "+e.votedFor)); err != nil {
		return err
	}
	if sync {
		return kv.Sync()
	}
	return nil
}

// stand starts an election for the next term and asks every other node
// for its vote until it wins or a newer term appears.
func (e *elector) stand() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.term++
	e.votedFor = e.n.ID()
	e.votes = map[string]bool{e.n.ID(): true}
	if err := e.record(true); err != nil {
		log.Print(err)
		return
	}
	e.ask(e.term, e.tries)
}

// ask sends the term's vote requests to the nodes yet to grant one, and
// comes back after the retry interval while tries are left.
func (e *elector) ask(term, tries int) {
	if e.leader || e.term != term || tries == 0 {
		return
	}
	for _, to := range e.n.NodeIDs() {
		if !e.votes[to] {
			_ = e.n.Send(to, body{Type: "request_vote", Term: term})
		}
	}
	time.AfterFunc(e.retry, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.ask(term, tries-1)
	})
}

func (e *elector) requestVote(msg maelstrom.Message) error {
	var b body
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if b.Term > e.term {
		e.term, e.votedFor, e.leader = b.Term, "", false
	}
	granted := b.Term == e.term && (e.votedFor == "" || e.votedFor == msg.Src)
	if granted {
		e.votedFor = msg.Src
		// The bug: the vote is granted before it is durable (no Sync).
		if err := e.record(false); err != nil {
			return err
		}
	}
	return e.n.Reply(msg, body{Type: "vote", Term: e.term, Granted: granted})
}

func (e *elector) vote(msg maelstrom.Message) error {
	var b body
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if b.Term > e.term {
		e.term, e.votedFor, e.leader = b.Term, "", false
		return e.record(true)
	}
	if !b.Granted || b.Term != e.term || e.leader || e.votes == nil {
		return nil
	}
	e.votes[msg.Src] = true
	if 2*len(e.votes) > len(e.n.NodeIDs()) {
		e.leader = true
		e.n.Emit("lead", map[string]any{"term": e.term})
	}
	return nil
}
