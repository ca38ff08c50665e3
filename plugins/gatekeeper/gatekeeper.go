package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/sdk/guard"
	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type gatekeeperParams struct {
	Backend   string            `json:"backend"`
	Users     map[string]string `json:"users"`
	Rate      float64           `json:"rate"`
	MaxAmount int64             `json:"max_amount"`
	WindowMS  int               `json:"window_ms"`
}

type gatekeeper struct {
	n      *maelstrom.Node
	p      gatekeeperParams
	key    []byte // shared with the back end
	recent *guard.Window
	bucket map[string]*bucket
	seq    int
}

// bucket is a user's token bucket: rate tokens a second, at most rate.
type bucket struct {
	tokens float64
	at     time.Time
}

func startGatekeeper(n *maelstrom.Node) {
	g := &gatekeeper{n: n, p: gatekeeperParams{Backend: "backend", Rate: 20, MaxAmount: 1000, WindowMS: 1000}, bucket: map[string]*bucket{}}
	_ = json.Unmarshal(n.Params(), &g.p)
	g.recent = guard.NewWindow(time.Duration(g.p.WindowMS) * time.Millisecond)
	n.HandleInline("op", g.handle)
	// answers to forwards replayed by an attacker have no callback: ignore
	n.HandleInline("apply_ok", func(maelstrom.Message) error { return nil })
	n.HandleInline("apply_denied", func(maelstrom.Message) error { return nil })
}

func deny(n *maelstrom.Node, msg maelstrom.Message, reason string) error {
	return n.Reply(msg, map[string]any{"type": "op_denied", "reason": reason})
}

// check validates, authenticates, checks freshness and rate-limits; it
// returns why the request is refused, or "".
func (g *gatekeeper) check(r opRequest, now time.Time) string {
	if r.Op != "deposit" && r.Op != "withdraw" {
		return "invalid: unknown op " + r.Op
	}
	if r.Amount < 1 || r.Amount > g.p.MaxAmount {
		return fmt.Sprintf("invalid: amount %d outside [1, %d]", r.Amount, g.p.MaxAmount)
	}
	pw, ok := g.p.Users[r.User]
	if !ok || !guard.ValidMAC(r.MAC, guard.MAC([]byte(pw), r.Req, r.User, r.Op, r.Amount, r.TS)) {
		return "unauthenticated"
	}
	if !g.recent.Fresh(r.Req, time.Unix(0, r.TS), now) {
		return "replayed or stale"
	}
	b := g.bucket[r.User]
	if b == nil {
		b = &bucket{tokens: g.p.Rate, at: now}
		g.bucket[r.User] = b
	}
	b.tokens = min(g.p.Rate, b.tokens+now.Sub(b.at).Seconds()*g.p.Rate)
	b.at = now
	if b.tokens < 1 {
		return "rate limited"
	}
	b.tokens--
	return ""
}

func (g *gatekeeper) handle(msg maelstrom.Message) error {
	var r opRequest
	if err := json.Unmarshal(msg.Body, &r); err != nil {
		return deny(g.n, msg, "invalid: "+err.Error())
	}
	now := g.n.Now()
	if why := g.check(r, now); why != "" {
		return deny(g.n, msg, why)
	}
	if g.key == nil {
		k, err := maelstrom.KeysOf(g.n).SharedKey(g.p.Backend)
		if err != nil {
			return fmt.Errorf("gatekeeper: key: %w", err)
		}
		g.key = k
	}
	g.seq++
	a := apply{Type: "apply", Req: r.Req, User: r.User, Op: r.Op, Amount: r.Amount, TS: now.UnixNano(),
		Nonce: fmt.Sprintf("%s-%d-%d", g.n.ID(), now.UnixNano(), g.seq)}
	a.MAC = guard.MAC(g.key, a.Req, a.User, a.Op, a.Amount, a.Nonce, a.TS)
	return g.n.RPC(g.p.Backend, a, func(reply maelstrom.Message) error {
		var b struct {
			Type    string `json:"type"`
			Balance int64  `json:"balance"`
			Reason  string `json:"reason"`
		}
		_ = json.Unmarshal(reply.Body, &b)
		if b.Type != "apply_ok" {
			return deny(g.n, msg, "backend: "+b.Reason)
		}
		return g.n.Reply(msg, map[string]any{"type": "op_ok", "balance": b.Balance})
	})
}
