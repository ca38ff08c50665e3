package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/sdk/guard"
	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type idpParams struct {
	Users    map[string]string `json:"users"`
	TTLMS    int               `json:"ttl_ms"`
	Audience string            `json:"audience"`
	WindowMS int               `json:"window_ms"`
	// RotateAtMS, when set, is when (by the provider's clock) it starts
	// signing with its second key (kid 1).
	RotateAtMS int `json:"rotate_at_ms"`
}

func startIDP(n *maelstrom.Node) {
	p := idpParams{TTLMS: 1000, Audience: "bank", WindowMS: 1000}
	_ = json.Unmarshal(n.Params(), &p)
	recent := guard.NewWindow(time.Duration(p.WindowMS) * time.Millisecond)
	var ring keyring
	n.HandleInline("keys", func(msg maelstrom.Message) error {
		var r struct {
			Kid int `json:"kid"`
		}
		_ = json.Unmarshal(msg.Body, &r)
		if err := ring.load(n); err != nil {
			return err
		}
		if r.Kid < 1 || r.Kid > ring.current(n.Now(), p.RotateAtMS) {
			return n.Reply(msg, map[string]any{"type": "keys_denied", "kid": r.Kid})
		}
		pub := ring.key(r.Kid).Public().(ed25519.PublicKey)
		return n.Reply(msg, map[string]any{"type": "keys_ok", "kid": r.Kid, "pub": pub, "sig": ed25519.Sign(ring.root, announcement(r.Kid, pub))})
	})
	n.HandleInline("login", func(msg maelstrom.Message) error {
		var r struct {
			User string `json:"user"`
			TS   int64  `json:"ts"`
			MAC  string `json:"mac"`
		}
		_ = json.Unmarshal(msg.Body, &r)
		pw, ok := p.Users[r.User]
		now := n.Now()
		if !ok || !guard.ValidMAC(r.MAC, guard.MAC([]byte(pw), "login", r.User, r.TS)) || !recent.Fresh(r.User+r.MAC, time.Unix(0, r.TS), now) {
			return n.Reply(msg, map[string]any{"type": "login_denied", "reason": "unauthenticated"})
		}
		if err := ring.load(n); err != nil {
			return err
		}
		kid := ring.current(now, p.RotateAtMS)
		c := claims{Sub: r.User, Aud: p.Audience, Exp: now.Add(time.Duration(p.TTLMS) * time.Millisecond).UnixNano(), Kid: kid}
		b, _ := json.Marshal(c)
		enc := base64.RawURLEncoding
		token := enc.EncodeToString(b) + "." + enc.EncodeToString(ed25519.Sign(ring.key(kid), b))
		return n.Reply(msg, map[string]any{"type": "login_ok", "token": token, "exp": c.Exp})
	})
}

// keyring is the provider's signing keys: kid 0 is its root key (the host
// key service's, whose public half every node can ask the host for); kid k
// is derived from the root secret and k, and its public half is announced
// signed by the root key, as a JWKS endpoint would serve it.
type keyring struct {
	secret []byte
	root   ed25519.PrivateKey
}

func (r *keyring) load(n *maelstrom.Node) error {
	if r.root != nil {
		return nil
	}
	secret, err := maelstrom.KeysOf(n).Secret()
	if err != nil {
		return err
	}
	r.secret, r.root = secret, ed25519.NewKeyFromSeed(secret)
	return nil
}

// current is the kid the provider signs with at now.
func (r *keyring) current(now time.Time, rotateAtMS int) int {
	if rotateAtMS > 0 && now.UnixNano() >= int64(rotateAtMS)*int64(time.Millisecond) {
		return 1
	}
	return 0
}

func (r *keyring) key(kid int) ed25519.PrivateKey {
	if kid == 0 {
		return r.root
	}
	seed := sha256.Sum256(fmt.Appendf(nil, "rotate|%d|%x", kid, r.secret))
	return ed25519.NewKeyFromSeed(seed[:])
}
