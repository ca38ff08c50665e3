package main

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/sdk/guard"
	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type backendParams struct {
	Gatekeepers []string `json:"gatekeepers"`
	Verify      *bool    `json:"verify"`
	WindowMS    int      `json:"window_ms"`
}

type backend struct {
	n        *maelstrom.Node
	p        backendParams
	keys     map[string][]byte
	recent   *guard.Window
	balances map[string]int64
}

func startBackend(n *maelstrom.Node) {
	b := &backend{n: n, p: backendParams{Gatekeepers: []string{"gk"}, WindowMS: 1000}, keys: map[string][]byte{}, balances: map[string]int64{}}
	_ = json.Unmarshal(n.Params(), &b.p)
	b.recent = guard.NewWindow(time.Duration(b.p.WindowMS) * time.Millisecond)
	n.HandleInline("apply", b.handle)
}

// trusted reports why a forward must be refused, or "": it must come from
// a gatekeeper (by the host's sender, which an adversary can fake), carry
// that gatekeeper's MAC (which it cannot) and a fresh nonce.
func (b *backend) trusted(src string, a apply) string {
	if !slices.Contains(b.p.Gatekeepers, src) {
		return "not from a gatekeeper"
	}
	k := b.keys[src]
	if k == nil {
		var err error
		if k, err = maelstrom.KeysOf(b.n).SharedKey(src); err != nil {
			return "no key: " + err.Error()
		}
		b.keys[src] = k
	}
	if !guard.ValidMAC(a.MAC, guard.MAC(k, a.Req, a.User, a.Op, a.Amount, a.Nonce, a.TS)) {
		return "bad mac"
	}
	if !b.recent.Fresh(a.Nonce, time.Unix(0, a.TS), b.n.Now()) {
		return "replayed or stale"
	}
	return ""
}

func (b *backend) handle(msg maelstrom.Message) error {
	var a apply
	if err := json.Unmarshal(msg.Body, &a); err != nil {
		return b.n.Reply(msg, map[string]any{"type": "apply_denied", "reason": err.Error()})
	}
	if b.p.Verify == nil || *b.p.Verify {
		if why := b.trusted(msg.Src, a); why != "" {
			b.n.Emit("refuse", map[string]any{"req": a.Req, "from": msg.Src, "reason": why})
			return b.n.Reply(msg, map[string]any{"type": "apply_denied", "reason": why})
		}
	}
	if a.Op == "withdraw" {
		a.Amount = -a.Amount
	}
	b.balances[a.User] += a.Amount
	bal := b.balances[a.User]
	b.n.Emit("apply", map[string]any{"req": a.Req, "user": a.User, "op": a.Op, "amount": max(a.Amount, -a.Amount), "balance": bal, "from": msg.Src})
	return b.n.Reply(msg, map[string]any{"type": "apply_ok", "balance": bal})
}
