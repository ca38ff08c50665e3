package main

import (
	"encoding/json"
	"fmt"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type attackerParams struct {
	Backend    string `json:"backend"`
	Gatekeeper string `json:"gatekeeper"`
	EveryMS    int    `json:"every_ms"`
	Amount     int64  `json:"amount"`
}

// startAttacker goes around the gatekeeper: a direct request, a forgery
// in the gatekeeper's name and a replay of a recorded forward, every
// every_ms (a goroutine sleeping on virtual time).
func startAttacker(n *maelstrom.Node) {
	p := attackerParams{Backend: "backend", Gatekeeper: "gk", EveryMS: 100, Amount: 1_000_000}
	_ = json.Unmarshal(n.Params(), &p)
	for _, t := range []string{"apply_ok", "apply_denied"} {
		n.HandleInline(t, func(maelstrom.Message) error { return nil })
	}
	n.HandleInline("init", func(maelstrom.Message) error {
		if err := maelstrom.AttackerOf(n).Eavesdrop(p.Gatekeeper, p.Backend); err != nil {
			n.Log("eavesdrop: %v", err)
		}
		go attack(n, p)
		return nil
	})
}

func attack(n *maelstrom.Node, p attackerParams) {
	seen := 0
	for k := 1; ; k++ {
		time.Sleep(time.Duration(p.EveryMS) * time.Millisecond)
		now := n.Now().UnixNano()
		direct := apply{Type: "apply", Req: fmt.Sprintf("evil-direct-%d", k), User: "mallory", Op: "deposit", Amount: p.Amount,
			Nonce: fmt.Sprintf("evil-%d", k), TS: now, MAC: "00"}
		if err := n.Send(p.Backend, direct); err != nil {
			n.Log("direct: %v", err)
		}
		forged := direct
		forged.Req, forged.User = fmt.Sprintf("evil-forged-%d", k), "c0"
		if err := maelstrom.AttackerOf(n).Forge(p.Gatekeeper, p.Backend, forged); err != nil {
			n.Log("forge: %v", err)
		}
		for {
			if _, ok, _ := maelstrom.AttackerOf(n).Recorded(seen); !ok {
				break
			}
			seen++
		}
		if seen > 0 {
			if err := maelstrom.AttackerOf(n).Replay(seen - 1); err != nil {
				n.Log("replay: %v", err)
			}
		}
	}
}
