package main

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/sdk/guard"
	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type ledgerParams struct {
	Services     []string `json:"services"`
	WindowMS     int      `json:"window_ms"`
	ReplayWindow *bool    `json:"replay_window"`
}

func startLedger(n *maelstrom.Node) {
	p := ledgerParams{Services: []string{"bank"}, WindowMS: 1000}
	_ = json.Unmarshal(n.Params(), &p)
	recent := guard.NewWindow(time.Duration(p.WindowMS) * time.Millisecond)
	keys := map[string][]byte{}
	n.HandleInline("debit", func(msg maelstrom.Message) error {
		var d debit
		_ = json.Unmarshal(msg.Body, &d)
		why := ""
		if !slices.Contains(p.Services, msg.Src) {
			why = "not from a service"
		} else {
			k := keys[msg.Src]
			if k == nil {
				k, _ = maelstrom.KeysOf(n).SharedKey(msg.Src)
				keys[msg.Src] = k
			}
			switch {
			case !guard.ValidMAC(d.MAC, guard.MAC(k, d.Req, d.User, d.Amount, d.Nonce, d.TS)):
				why = "bad mac"
			case (p.ReplayWindow == nil || *p.ReplayWindow) && !recent.Fresh(d.Nonce, time.Unix(0, d.TS), n.Now()):
				why = "replayed or stale"
			}
		}
		if why != "" {
			n.Emit("refuse", map[string]any{"req": d.Req, "from": msg.Src, "reason": why})
			return n.Reply(msg, map[string]any{"type": "debit_denied", "reason": why})
		}
		n.Emit("apply", map[string]any{"req": d.Req, "user": d.User, "op": "transfer", "amount": d.Amount, "from": msg.Src})
		return n.Reply(msg, map[string]any{"type": "debit_ok"})
	})
}
