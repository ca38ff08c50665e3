// Package jsonscan is a small JSON scanner for the Go SDK's hot path and
// for the host's reading of Maelstrom envelopes (docs/ABI.md, on_envelope):
// one implementation, so that what the host hands a guest is exactly what
// the guest would have read itself.
//
// encoding/json costs tens of microseconds per call in a Go wasm guest (reflection and an indirect call
// per byte), against well under one for a plain loop, so the envelope and
// the reserved body fields are read here. It does not validate what it
// skips: well-formed input gives exactly what encoding/json gives, and
// anything it is not sure about (escapes in keys or strings it decodes,
// non-integer numbers, keys that match only case-insensitively) makes the
// caller fall back to encoding/json.
package jsonscan

import "unicode/utf8"

// The scanner is a few flat loops over (b, i) rather than a scanner type
// with small methods: Go's wasm backend passes arguments and results
// through memory, so calls, and slices in them, are what costs.

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first non-space byte at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// StrEnd returns the index just past the string whose opening quote is
// b[i] (-1 if it is incomplete or holds raw control characters) and
// whether it contains escapes.
func StrEnd(b []byte, i int) (end int, escaped bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, escaped
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return -1, false
		}
	}
	return -1, false
}

// ValueEnd returns the index just past the value that starts at b[i], or
// -1. It matches brackets and skips strings but does not validate.
func ValueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	start := i
	switch b[i] {
	case '"':
		i, _ = StrEnd(b, i)
		return i
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i, _ = StrEnd(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for i < len(b) {
		if c := b[i]; c == ',' || c == '}' || c == ']' || isSpace(c) {
			break
		}
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// ObjectStart skips to the first member of the object at b[i]: it returns
// the index of that member's key, or of the closing brace; -1 if b[i] is
// not an object.
func ObjectStart(b []byte, i int) int {
	i = SkipSpace(b, i)
	if i >= len(b) || b[i] != '{' {
		return -1
	}
	return SkipSpace(b, i+1)
}

// MemberAt reads the member whose key starts at b[i]: the key's content
// (without escapes: escaped is true if it has some) and the value's span.
// It returns ok false if the input cannot be read there.
func MemberAt(b []byte, i int) (ks, ke, vs, ve int, escaped, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, 0, 0, false, false
	}
	end, escaped := StrEnd(b, i)
	if end < 0 {
		return 0, 0, 0, 0, false, false
	}
	ks, ke = i+1, end-1
	i = SkipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		return 0, 0, 0, 0, false, false
	}
	vs = SkipSpace(b, i+1)
	if ve = ValueEnd(b, vs); ve < 0 {
		return 0, 0, 0, 0, false, false
	}
	return ks, ke, vs, ve, escaped, true
}

// AfterMember reads what follows a member's value at b[i]: it returns the
// next key's index and false, or the index past the closing brace and
// true; -1 if neither follows.
func AfterMember(b []byte, i int) (int, bool) {
	i = SkipSpace(b, i)
	if i < len(b) {
		switch b[i] {
		case ',':
			return SkipSpace(b, i+1), false
		case '}':
			return i + 1, true
		}
	}
	return -1, false
}

// PlainStringBytes returns the content of a JSON string value without
// escapes (it aliases v).
func PlainStringBytes(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	v = v[1 : len(v)-1]
	ascii := true
	for _, c := range v {
		if c == '\\' || c < 0x20 {
			return nil, false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(v) {
		return nil, false // encoding/json would substitute U+FFFD
	}
	return v, true
}

// PlainInt decodes a JSON integer of at most 18 digits.
func PlainInt(v []byte) (int, bool) {
	d := v
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 || (d[0] == '0' && len(d) > 1) {
		return 0, false
	}
	n := 0
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if v[0] == '-' {
		n = -n
	}
	return n, true
}

// FoldsTo reports whether key matches one of names only case-insensitively
// (encoding/json would fill the field; the scanner must not guess).
func FoldsTo(key []byte, names ...string) bool {
	for _, name := range names {
		if len(key) != len(name) {
			continue
		}
		for _, c := range key {
			if c >= utf8.RuneSelf {
				return true // Unicode folding: let encoding/json decide
			}
		}
		eq := true
		for i := range key {
			a, b := key[i]|0x20, name[i]|0x20
			if a != b {
				eq = false
				break
			}
		}
		if eq {
			return true
		}
	}
	return false
}

var headerFields = []string{"type", "msg_id", "in_reply_to", "code", "text"}

// Header is a body's reserved fields, strings left as bytes.
type Header struct {
	Type, Text             []byte
	MsgID, InReplyTo, Code int
}

// Scan reads the reserved fields of the object at b[i] into h and returns
// the index past it, or -1 when the caller must use encoding/json.
func (h *Header) Scan(b []byte, i int) int {
	if i = ObjectStart(b, i); i < 0 {
		return -1
	}
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		ks, ke, vs, ve, esc, ok := MemberAt(b, i)
		if !ok || esc {
			return -1
		}
		k, v := b[ks:ke], b[vs:ve]
		switch string(k) {
		case "type":
			h.Type, ok = PlainStringBytes(v)
		case "msg_id":
			h.MsgID, ok = PlainInt(v)
		case "in_reply_to":
			h.InReplyTo, ok = PlainInt(v)
		case "code":
			h.Code, ok = PlainInt(v)
		case "text":
			h.Text, ok = PlainStringBytes(v)
		default:
			ok = !FoldsTo(k, headerFields...)
		}
		if !ok {
			return -1
		}
		var done bool
		if i, done = AfterMember(b, ve); i < 0 {
			return -1
		} else if done {
			return i
		}
	}
}

var envelopeFields = []string{"src", "dest", "body"}

// Envelope reads {"src","dest","body"} and the body's reserved fields
// in one pass, without allocating; the results alias data. ok is false
// when the caller must use encoding/json instead.
func Envelope(data []byte) (src, dest, body []byte, h Header, ok bool) {
	b := data
	i := ObjectStart(b, 0)
	if i < 0 || (i < len(b) && b[i] == '}') {
		return nil, nil, nil, h, false
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, nil, nil, h, false
		}
		end, esc := StrEnd(b, i)
		if end < 0 || esc {
			return nil, nil, nil, h, false
		}
		k := b[i+1 : end-1]
		if i = SkipSpace(b, end); i >= len(b) || b[i] != ':' {
			return nil, nil, nil, h, false
		}
		vs := SkipSpace(b, i+1)
		var ve int
		switch string(k) {
		case "src", "dest":
			if ve = ValueEnd(b, vs); ve < 0 {
				return nil, nil, nil, h, false
			}
			str, sok := PlainStringBytes(b[vs:ve])
			if !sok {
				return nil, nil, nil, h, false
			}
			if k[0] == 's' {
				src = str
			} else {
				dest = str
			}
		case "body":
			h = Header{}
			if ve = h.Scan(b, vs); ve < 0 {
				return nil, nil, nil, h, false
			}
			body = b[vs:ve]
		default:
			if FoldsTo(k, envelopeFields...) {
				return nil, nil, nil, h, false
			}
			if ve = ValueEnd(b, vs); ve < 0 {
				return nil, nil, nil, h, false
			}
		}
		var done bool
		if i, done = AfterMember(b, ve); i < 0 {
			return nil, nil, nil, h, false
		} else if done {
			break
		}
	}
	if SkipSpace(b, i) != len(b) || body == nil {
		return nil, nil, nil, h, false
	}
	return src, dest, body, h, true
}

// Ints decodes a JSON array of integers (each as PlainInt reads it), with
// any whitespace; ok is false for anything else (null, floats, big
// numbers, other values), which the caller leaves to encoding/json.
func Ints(b []byte) ([]int, bool) {
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	out := []int{}
	if i = SkipSpace(b, i+1); i < len(b) && b[i] == ']' {
		return out, SkipSpace(b, i+1) == len(b)
	}
	for i < len(b) {
		end := ValueEnd(b, i)
		if end < 0 {
			return nil, false
		}
		n, ok := PlainInt(b[i:end])
		if !ok {
			return nil, false
		}
		out = append(out, n)
		if i = SkipSpace(b, end); i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ']':
			return out, SkipSpace(b, i+1) == len(b)
		case ',':
			i = SkipSpace(b, i+1)
		default:
			return nil, false
		}
	}
	return nil, false
}
