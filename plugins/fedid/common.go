package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"
)

// mac is the hex HMAC-SHA256 of fields joined by "|".
func mac(key []byte, fields ...any) string {
	m := hmac.New(sha256.New, key)
	for i, f := range fields {
		if i > 0 {
			m.Write([]byte("|"))
		}
		fmt.Fprint(m, f)
	}
	return hex.EncodeToString(m.Sum(nil))
}

func validMAC(got, want string) bool { return hmac.Equal([]byte(got), []byte(want)) }

// window is a replay window: an id is fresh once, and only with a
// timestamp within span of now.
type window struct {
	span time.Duration
	seen map[string]time.Time
}

func newWindow(ms int) *window {
	return &window{span: time.Duration(ms) * time.Millisecond, seen: map[string]time.Time{}}
}

func (w *window) fresh(id string, ts, now time.Time) bool {
	if ts.Before(now.Add(-w.span)) || ts.After(now.Add(w.span)) {
		return false
	}
	if _, dup := w.seen[id]; dup {
		return false
	}
	var old []string
	for k, t := range w.seen {
		if t.Before(now.Add(-2 * w.span)) {
			old = append(old, k)
		}
	}
	sort.Strings(old)
	for _, k := range old {
		delete(w.seen, k)
	}
	w.seen[id] = now
	return true
}

// transfer is a user's request to the service.
type transfer struct {
	Type   string `json:"type"`
	MsgID  int    `json:"msg_id,omitempty"`
	Req    string `json:"req"`
	Token  string `json:"token"`
	Amount int64  `json:"amount"`
	TS     int64  `json:"ts"`
}

// debit is the service's authenticated message to the ledger.
type debit struct {
	Type   string `json:"type"`
	MsgID  int    `json:"msg_id,omitempty"`
	Req    string `json:"req"`
	User   string `json:"user"`
	Amount int64  `json:"amount"`
	Nonce  string `json:"nonce"`
	TS     int64  `json:"ts"`
	MAC    string `json:"mac"`
}

// claims are what a token says.
type claims struct {
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	// Kid names the provider's key that signed the token (0, its root
	// key, is left out).
	Kid int `json:"kid,omitempty"`
}

// announcement is what the provider's root key signs to vouch for its
// key kid.
func announcement(kid int, pub []byte) []byte { return fmt.Appendf(nil, "key|%d|%x", kid, pub) }
