// Command gobacklog is a Go test guest for the txn-rw-register workload in
// a shape common among public Gossip Glomers programs: each transaction
// applies locally, is answered at once, and starts one goroutine per peer
// that replicates its writes with SyncRPC, retrying with a sleep until the
// peer acknowledges. Under a partition those goroutines pile up, and when
// their sleeps end at one instant a single callback runs thousands of
// them: legitimate work, a backlog, not a spin.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gobacklog.wasm .
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type txnBody struct {
	Type   string  `json:"type"`
	Txn    [][]any `json:"txn,omitempty"`
	Writes [][]any `json:"writes,omitempty"`
	Digest string  `json:"digest,omitempty"`
}

func main() {
	n := maelstrom.NewNode()
	var mu sync.Mutex
	state := map[int]any{}
	apply := func(ops [][]any) [][]any {
		mu.Lock()
		defer mu.Unlock()
		out := make([][]any, len(ops))
		for i, op := range ops {
			k := int(op[1].(float64))
			if op[0] == "r" {
				out[i] = []any{"r", k, state[k]}
			} else {
				state[k] = op[2]
				out[i] = op
			}
		}
		return out
	}
	n.Handle("txn", func(msg maelstrom.Message) error {
		var b txnBody
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		done := apply(b.Txn)
		var writes [][]any
		for _, op := range done {
			if op[0] == "w" {
				writes = append(writes, op)
			}
		}
		for _, peer := range n.NodeIDs() {
			if peer != n.ID() && len(writes) > 0 {
				go replicate(n, peer, writes)
			}
		}
		return n.Reply(msg, txnBody{Type: "txn_ok", Txn: done})
	})
	n.Handle("replicate", func(msg maelstrom.Message) error {
		var b txnBody
		if err := json.Unmarshal(msg.Body, &b); err != nil {
			return err
		}
		apply(b.Writes)
		return n.Reply(msg, map[string]any{"type": "replicate_ok"})
	})
	_ = n.Run()
}

// replicate sends writes to peer until it acknowledges them. Each attempt
// first checks the writes' digest (honest work, about a million fuel
// units), and the retries wait for the next whole second, so that under a
// partition every pending goroutine wakes in the same callback.
func replicate(n *maelstrom.Node, peer string, writes [][]any) {
	for {
		sum := sha256.Sum256(fmt.Append(nil, writes))
		for range 200 {
			sum = sha256.Sum256(sum[:])
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err := n.SyncRPC(ctx, peer, txnBody{Type: "replicate", Writes: writes, Digest: hex.EncodeToString(sum[:4])})
		cancel()
		if err == nil {
			return
		}
		now := n.Now()
		time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now))
	}
}
