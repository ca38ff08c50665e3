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

// put is a client's (or anyone's) write to the storage node.
type put struct {
	Type   string `json:"type"`
	MsgID  int    `json:"msg_id,omitempty"`
	Req    string `json:"req"`
	Key    string `json:"key"`
	Amount int64  `json:"amount"`
	Token  string `json:"token"`
	// TS, if set, is when the sender says it made the put (its clock).
	TS int64 `json:"ts,omitempty"`
}

// claims are what a valet key says: who, what it may do where, until when
// (by the key service's clock).
type claims struct {
	Sub    string `json:"sub"`
	Op     string `json:"op"`
	Prefix string `json:"prefix"`
	Exp    int64  `json:"exp"`
}
