package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/sdk/guard"
	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type serviceParams struct {
	IDP          string `json:"idp"`
	Ledger       string `json:"ledger"`
	Audience     string `json:"audience"`
	WindowMS     int    `json:"window_ms"`
	ReplayWindow *bool  `json:"replay_window"`
}

type service struct {
	n       *maelstrom.Node
	p       serviceParams
	idpKey  ed25519.PublicKey
	key     []byte // shared with the ledger
	recent  *guard.Window
	seq     int
	keys    map[int]ed25519.PublicKey // the provider's rotated keys learned so far
	fetched time.Time                 // when the service last asked the provider for one
}

func startService(n *maelstrom.Node) {
	s := &service{n: n, p: serviceParams{IDP: "idp", Ledger: "ledger", Audience: "bank", WindowMS: 1000}}
	_ = json.Unmarshal(n.Params(), &s.p)
	s.recent = guard.NewWindow(time.Duration(s.p.WindowMS) * time.Millisecond)
	s.keys = map[int]ed25519.PublicKey{}
	n.HandleInline("transfer", s.handle)
	for _, t := range []string{"debit_ok", "debit_denied"} { // answers to replayed debits
		n.HandleInline(t, func(maelstrom.Message) error { return nil })
	}
}

// verify checks a token: the provider's signature, the audience, the
// expiry. It returns the user, or why the token is refused.
func (s *service) verify(token string, now time.Time) (string, string) {
	if s.idpKey == nil {
		k, err := maelstrom.KeysOf(s.n).PublicKey(s.p.IDP)
		if err != nil {
			return "", "no provider key: " + err.Error()
		}
		s.idpKey = ed25519.PublicKey(k)
	}
	body, sig, ok := strings.Cut(token, ".")
	enc := base64.RawURLEncoding
	b, err1 := enc.DecodeString(body)
	sg, err2 := enc.DecodeString(sig)
	var kid struct {
		Kid int `json:"kid"`
	}
	if ok && err1 == nil {
		_ = json.Unmarshal(b, &kid)
	}
	key := s.idpKey
	if kid.Kid != 0 {
		if key = s.keys[kid.Kid]; key == nil {
			s.fetchKey(kid.Kid, now)
			return "", "unknown signing key"
		}
	}
	if !ok || err1 != nil || err2 != nil || !ed25519.Verify(key, b, sg) {
		return "", "bad token signature"
	}
	var c claims
	if json.Unmarshal(b, &c) != nil || c.Aud != s.p.Audience {
		return "", "token for another audience"
	}
	if now.UnixNano() > c.Exp {
		return "", "token expired"
	}
	return c.Sub, ""
}

// fetchKey asks the provider for its key kid (at most once per 100 ms:
// the answer may never come through a partition). The answer is trusted
// only when the provider's root key signed it.
func (s *service) fetchKey(kid int, now time.Time) {
	if !s.fetched.IsZero() && now.Sub(s.fetched) < 100*time.Millisecond {
		return
	}
	s.fetched = now
	_ = s.n.RPC(s.p.IDP, map[string]any{"type": "keys", "kid": kid}, func(reply maelstrom.Message) error {
		var k struct {
			Kid int    `json:"kid"`
			Pub []byte `json:"pub"`
			Sig []byte `json:"sig"`
		}
		_ = json.Unmarshal(reply.Body, &k)
		if reply.Type() != "keys_ok" || len(k.Pub) != ed25519.PublicKeySize || !ed25519.Verify(s.idpKey, announcement(k.Kid, k.Pub), k.Sig) {
			return nil
		}
		if s.keys[k.Kid] == nil {
			s.keys[k.Kid] = ed25519.PublicKey(k.Pub)
			s.n.Emit("key_learned", map[string]any{"kid": k.Kid})
		}
		return nil
	})
}

func (s *service) handle(msg maelstrom.Message) error {
	var t transfer
	_ = json.Unmarshal(msg.Body, &t)
	now := s.n.Now()
	user, why := s.verify(t.Token, now)
	if why == "" && (s.p.ReplayWindow == nil || *s.p.ReplayWindow) && !s.recent.Fresh(t.Req, time.Unix(0, t.TS), now) {
		why = "replayed or stale"
	}
	if why == "" && (t.Amount < 1 || t.Amount > 1000) {
		why = "invalid amount"
	}
	if why != "" {
		return s.n.Reply(msg, map[string]any{"type": "transfer_denied", "reason": why})
	}
	if s.key == nil {
		k, err := maelstrom.KeysOf(s.n).SharedKey(s.p.Ledger)
		if err != nil {
			return err
		}
		s.key = k
	}
	s.seq++
	d := debit{Type: "debit", Req: t.Req, User: user, Amount: t.Amount, TS: now.UnixNano(), Nonce: fmt.Sprintf("%s-%d", s.n.ID(), s.seq)}
	d.MAC = guard.MAC(s.key, d.Req, d.User, d.Amount, d.Nonce, d.TS)
	return s.n.RPC(s.p.Ledger, d, func(reply maelstrom.Message) error {
		if reply.Type() != "debit_ok" {
			return s.n.Reply(msg, map[string]any{"type": "transfer_denied", "reason": "ledger refused"})
		}
		return s.n.Reply(msg, map[string]any{"type": "transfer_ok"})
	})
}
