// Package guard holds the small pieces of message authentication that the
// security patterns' guests share: a MAC over a message's fields and a
// replay window. It is guest code (it builds for wasip1) and uses only the
// standard library, so a guest that imports it pays for nothing else.
package guard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"
)

// MAC is the hex HMAC-SHA256 under key of fields, each written as fmt
// prints it, joined by "|".
func MAC(key []byte, fields ...any) string {
	m := hmac.New(sha256.New, key)
	for i, f := range fields {
		if i > 0 {
			m.Write([]byte("|"))
		}
		fmt.Fprint(m, f)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// ValidMAC reports whether got equals want, in constant time.
func ValidMAC(got, want string) bool { return hmac.Equal([]byte(got), []byte(want)) }

// Window is a replay window: a message id is fresh once, and only with a
// timestamp within Span of now. Ids older than twice Span are forgotten
// (messages that old are refused by their timestamp anyway).
type Window struct {
	span time.Duration
	seen map[string]time.Time
}

// NewWindow returns an empty window of the given span.
func NewWindow(span time.Duration) *Window {
	return &Window{span: span, seen: map[string]time.Time{}}
}

// Fresh reports whether a message with id and time ts, seen now, is new
// and recent, and remembers it if so.
func (w *Window) Fresh(id string, ts, now time.Time) bool {
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
