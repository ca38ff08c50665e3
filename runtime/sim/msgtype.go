package sim

import (
	"bytes"
)

// msgType finds the JSON "type" of a Maelstrom-shaped message without
// decoding it: the first "type" key's string value, else "".
func msgType(b []byte) string { return string(msgTypeBytes(b)) }

// msgTypeBytes is msgType's bytes (nil for none); they alias b.
func msgTypeBytes(b []byte) []byte {
	i := bytes.Index(b, []byte(`"type"`))
	if i < 0 {
		return nil
	}
	rest := skipSpace(b[i+6:])
	if len(rest) == 0 || rest[0] != ':' {
		return nil
	}
	rest = skipSpace(rest[1:])
	if len(rest) == 0 || rest[0] != '"' {
		return nil
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end <= 0 || end > 64 {
		return nil
	}
	return rest[1 : 1+end]
}

// skipSpace drops JSON white space from the front of b.
func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}
