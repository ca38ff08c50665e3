// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o twopc.wasm ./plugins/twopc

// Command twopc is Two-Phase Commit as a Terrarium guest: one module, two
// roles. The coordinator takes client transactions, asks every participant
// that owns one of the written keys to prepare, logs its decision durably
// (kv Sync) before it tells anyone, then sends commit or abort until each
// participant acknowledges. Participants lock keys at prepare (synced
// before they vote yes), apply at commit, release at abort, and ask the
// coordinator for the outcome when they stay prepared too long.
//
// Messages:
//
//	client -> coordinator  txn {txn, writes}         reply txn_ok {txn, outcome}
//	coordinator -> part.   prepare {txn, writes}     answered by vote {txn, vote: yes|no}
//	coordinator -> part.   commit {txn} | abort {txn} answered by ack {txn}
//	part. -> coordinator   decision? {txn}           answered by commit or abort
//	                                                 (nothing while votes are still open)
//
// Events (n.Emit): coordinator decide {txn, outcome, participants,
// recovered}; participant prepared {txn, keys}, apply {txn, keys},
// release {txn, keys, reason: abort|vote_no}.
//
// Coordinator params: {"participants": [...]} (default: every other node),
// {"retry_ms": 100}, {"vote_timeout_ms": 400}, {"crash_after_prepare_ms": T}
// (fault knob: the first incarnation exits right after sending the prepares
// of the first transaction that starts at or after T ms), and
// {"commit_early": true}, a deliberately broken variant that commits as
// soon as the first yes vote arrives. Participant params: {"abort_rate":
// 0.1} (probability of voting no), {"indoubt_ms": 300}, {"retry_ms": 100}.
package main

import (
	"encoding/json"
	"log"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

// Outcomes.
const (
	outcomeCommit = "commit"
	outcomeAbort  = "abort"
)

type txnBody struct {
	Type    string            `json:"type"`
	Txn     string            `json:"txn"`
	Writes  map[string]string `json:"writes,omitempty"`
	Vote    string            `json:"vote,omitempty"`
	Outcome string            `json:"outcome,omitempty"`
}

func main() {
	n := maelstrom.NewNode()
	var err error
	switch n.Role() {
	case "coordinator":
		err = startCoordinator(n)
	case "participant":
		err = startParticipant(n)
	default:
		log.Fatalf("twopc: unknown role %q", n.Role())
	}
	if err != nil {
		log.Fatal(err)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

func ms(v, def int) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(v) * time.Millisecond
}

func decode(msg maelstrom.Message) (txnBody, error) {
	var b txnBody
	if err := json.Unmarshal(msg.Body, &b); err != nil {
		return b, maelstrom.NewRPCError(maelstrom.MalformedRequest, err.Error())
	}
	return b, nil
}
