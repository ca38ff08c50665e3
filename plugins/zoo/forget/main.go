// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o forget.wasm ./plugins/zoo/forget

// Command forget is a bug-zoo guest (plugins/zoo): two-phase commit of one
// transaction whose participants forget a yes vote across a crash. A
// participant records that it prepared (kv_put) but does not kv_sync it
// before it votes yes; on a restart with no record of the transaction it
// presumes abort and decides abort. With lose_unsynced, a crash after the
// vote and before the commit arrives loses the record: the coordinator
// commits on the votes it has, and the restarted participant aborts.
// Atomic commitment breaks only if the crash falls in that window.
//
// Roles: coordinator (params {"participants": [...]}) and participant.
// Events: decide {outcome} at every node that decides.
package main

import (
	"encoding/json"
	"log"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type body struct {
	Type string `json:"type"`
	Vote string `json:"vote,omitempty"`
}

func main() {
	n := maelstrom.NewNode()
	switch n.Role() {
	case "coordinator":
		coordinator(n)
	default:
		participant(n)
	}
	if err := n.Run(); err != nil {
		log.Fatal(err)
	}
}

func coordinator(n *maelstrom.Node) {
	var p struct {
		Participants []string `json:"participants"`
	}
	yes, decided := map[string]bool{}, false
	decide := func(outcome string) error {
		decided = true
		n.Emit("decide", map[string]any{"outcome": outcome})
		for _, to := range p.Participants {
			if err := n.Send(to, body{Type: outcome}); err != nil {
				return err
			}
		}
		return nil
	}
	n.HandleInline("init", func(maelstrom.Message) error {
		if err := n.ParamsInto(&p); err != nil || n.Restarted() {
			return err
		}
		for _, to := range p.Participants {
			if err := n.Send(to, body{Type: "prepare"}); err != nil {
				return err
			}
		}
		return nil
	})
	n.HandleInline("vote", func(msg maelstrom.Message) error {
		var b body
		if err := json.Unmarshal(msg.Body, &b); err != nil || decided {
			return err
		}
		if b.Vote != "yes" {
			return decide("abort")
		}
		yes[msg.Src] = true
		if len(yes) == len(p.Participants) {
			return decide("commit")
		}
		return nil
	})
}

func participant(n *maelstrom.Node) {
	kv := n.Store()
	state := func() string {
		v, ok, err := kv.Get("txn")
		if err != nil || !ok {
			return ""
		}
		return string(v)
	}
	settle := func(outcome string) error {
		if err := kv.Put("txn", []byte(outcome)); err != nil {
			return err
		}
		n.Emit("decide", map[string]any{"outcome": outcome})
		return kv.Sync()
	}
	n.HandleInline("init", func(maelstrom.Message) error {
		if n.Restarted() && state() == "" {
			return settle("abort") // presumed abort: "I never voted"
		}
		return nil
	})
	n.HandleInline("prepare", func(msg maelstrom.Message) error {
		vote := "no"
		if state() == "" {
			vote = "yes"
			// The bug: the vote is promised before it is durable (no Sync).
			if err := kv.Put("txn", []byte("prepared")); err != nil {
				return err
			}
		}
		return n.Reply(msg, body{Type: "vote", Vote: vote})
	})
	finish := func(msg maelstrom.Message) error {
		if s := state(); s == "commit" || s == "abort" {
			return nil
		}
		return settle(msg.Type())
	}
	n.HandleInline("commit", finish)
	n.HandleInline("abort", finish)
}
