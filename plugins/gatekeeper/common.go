package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"
)

// opRequest is a client's request to the gatekeeper.
type opRequest struct {
	Type   string `json:"type"`
	MsgID  int    `json:"msg_id,omitempty"`
	Req    string `json:"req"`
	User   string `json:"user"`
	Op     string `json:"op"`
	Amount int64  `json:"amount"`
	TS     int64  `json:"ts"`
	MAC    string `json:"mac"`
}

// apply is a forward from the gatekeeper to the back end.
type apply struct {
	Type   string `json:"type"`
	MsgID  int    `json:"msg_id,omitempty"`
	Req    string `json:"req"`
	User   string `json:"user"`
	Op     string `json:"op"`
	Amount int64  `json:"amount"`
	Nonce  string `json:"nonce"`
	TS     int64  `json:"ts"`
	MAC    string `json:"mac"`
}

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

// validMAC compares in constant time.
func validMAC(got, want string) bool { return hmac.Equal([]byte(got), []byte(want)) }

// window remembers the ids seen in the last span of time: a replay
// window. An id is fresh once; ids older than span are forgotten (and
// messages that old are refused by their timestamp anyway).
type window struct {
	span time.Duration
	seen map[string]time.Time
}

func newWindow(span time.Duration) *window {
	return &window{span: span, seen: map[string]time.Time{}}
}

// fresh reports whether a message with id and time ts, seen now, is new
// and recent, and remembers it.
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
