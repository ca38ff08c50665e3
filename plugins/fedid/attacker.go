package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type attackerParams struct {
	Service string `json:"service"`
	Ledger  string `json:"ledger"`
	EveryMS int    `json:"every_ms"`
}

// startAttacker records the service's links and, every every_ms, forges a
// transfer in c0's name with a made-up token and replays the newest
// message it recorded.
func startAttacker(n *maelstrom.Node) {
	p := attackerParams{Service: "bank", Ledger: "ledger", EveryMS: 100}
	_ = json.Unmarshal(n.Params(), &p)
	for _, t := range []string{"transfer_ok", "transfer_denied", "debit_ok", "debit_denied"} {
		n.HandleInline(t, func(maelstrom.Message) error { return nil })
	}
	n.HandleInline("init", func(maelstrom.Message) error {
		_ = maelstrom.AttackerOf(n).Eavesdrop("*", p.Service)
		_ = maelstrom.AttackerOf(n).Eavesdrop(p.Service, p.Ledger)
		go attack(n, p)
		return nil
	})
}

func attack(n *maelstrom.Node, p attackerParams) {
	enc := base64.RawURLEncoding
	seen := 0
	for k := 1; ; k++ {
		time.Sleep(time.Duration(p.EveryMS) * time.Millisecond)
		now := n.Now().UnixNano()
		c, _ := json.Marshal(claims{Sub: "c0", Aud: "bank", Exp: now + int64(time.Hour)})
		token := enc.EncodeToString(c) + "." + enc.EncodeToString(make([]byte, 64))
		t := transfer{Type: "transfer", Req: fmt.Sprintf("evil-forged-%d", k), Token: token, Amount: 1000, TS: now}
		if err := maelstrom.AttackerOf(n).Forge("c0", p.Service, t); err != nil {
			n.Log("forge: %v", err)
		}
		for {
			if _, ok, _ := maelstrom.AttackerOf(n).Recorded(seen); !ok {
				break
			}
			seen++
		}
		if seen > 0 {
			_ = maelstrom.AttackerOf(n).Replay(seen - 1)
		}
	}
}
