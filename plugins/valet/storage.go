package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"

	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type storageParams struct {
	Keys       string `json:"keys"`
	CheckScope *bool  `json:"check_scope"`
	// ExpiryClock is whose clock expiry is judged by: "own" (storage's)
	// or, the broken variant, "request" (the put's ts, when it has one).
	ExpiryClock string `json:"expiry_clock"`
}

type storage struct {
	n      *maelstrom.Node
	p      storageParams
	pub    ed25519.PublicKey
	values map[string]int64
}

func startStorage(n *maelstrom.Node) {
	s := &storage{n: n, p: storageParams{Keys: "keys"}, values: map[string]int64{}}
	_ = json.Unmarshal(n.Params(), &s.p)
	n.HandleInline("put", s.handle)
}

// check verifies the valet key for a put; it returns the claims, or why
// the put is refused.
func (s *storage) check(r put) (claims, string) {
	var c claims
	if s.pub == nil {
		k, err := maelstrom.KeysOf(s.n).PublicKey(s.p.Keys)
		if err != nil {
			return c, "no key service key: " + err.Error()
		}
		s.pub = ed25519.PublicKey(k)
	}
	body, sig, ok := strings.Cut(r.Token, ".")
	enc := base64.RawURLEncoding
	b, err1 := enc.DecodeString(body)
	sg, err2 := enc.DecodeString(sig)
	if !ok || err1 != nil || err2 != nil || !ed25519.Verify(s.pub, b, sg) || json.Unmarshal(b, &c) != nil {
		return c, "bad token"
	}
	if s.p.CheckScope == nil || *s.p.CheckScope {
		if c.Op != "put" || !strings.HasPrefix(r.Key, c.Prefix) {
			return c, "outside the token's scope"
		}
	}
	now := s.n.Now().UnixNano() // by this node's clock: skew moves it
	if s.p.ExpiryClock == "request" && r.TS != 0 {
		now = r.TS // the sender's word for it: the wrong clock
	}
	if now > c.Exp {
		return c, "token expired"
	}
	return c, ""
}

func (s *storage) handle(msg maelstrom.Message) error {
	var r put
	_ = json.Unmarshal(msg.Body, &r)
	c, why := s.check(r)
	if why != "" {
		s.n.Emit("refuse", map[string]any{"req": r.Req, "from": msg.Src, "reason": why})
		return s.n.Reply(msg, map[string]any{"type": "put_denied", "reason": why})
	}
	s.values[r.Key] = r.Amount
	s.n.Emit("apply", map[string]any{"req": r.Req, "user": c.Sub, "op": "put", "amount": r.Amount, "key": r.Key, "exp": c.Exp, "from": msg.Src})
	return s.n.Reply(msg, map[string]any{"type": "put_ok"})
}
