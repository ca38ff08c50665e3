package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/sdk/guard"
	maelstrom "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"
)

type keysParams struct {
	Users    map[string]string `json:"users"`
	TTLMS    int               `json:"ttl_ms"`
	WindowMS int               `json:"window_ms"`
}

func startKeys(n *maelstrom.Node) {
	p := keysParams{TTLMS: 200, WindowMS: 1000}
	_ = json.Unmarshal(n.Params(), &p)
	recent := guard.NewWindow(time.Duration(p.WindowMS) * time.Millisecond)
	var key ed25519.PrivateKey
	n.HandleInline("grant", func(msg maelstrom.Message) error {
		var r struct {
			User string `json:"user"`
			TS   int64  `json:"ts"`
			MAC  string `json:"mac"`
		}
		_ = json.Unmarshal(msg.Body, &r)
		pw, ok := p.Users[r.User]
		now := n.Now()
		if !ok || !guard.ValidMAC(r.MAC, guard.MAC([]byte(pw), "grant", r.User, r.TS)) || !recent.Fresh(r.User+r.MAC, time.Unix(0, r.TS), now) {
			return n.Reply(msg, map[string]any{"type": "grant_denied", "reason": "unauthenticated"})
		}
		if key == nil {
			secret, err := maelstrom.KeysOf(n).Secret()
			if err != nil {
				return err
			}
			key = ed25519.NewKeyFromSeed(secret)
		}
		c := claims{Sub: r.User, Op: "put", Prefix: "users/" + r.User + "/", Exp: now.Add(time.Duration(p.TTLMS) * time.Millisecond).UnixNano()}
		b, _ := json.Marshal(c)
		enc := base64.RawURLEncoding
		token := enc.EncodeToString(b) + "." + enc.EncodeToString(ed25519.Sign(key, b))
		return n.Reply(msg, map[string]any{"type": "grant_ok", "token": token, "exp": c.Exp})
	})
}
