package check

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// CanonicalJSON re-encodes a JSON value so that equal values have equal
// bytes (object keys sorted, no spaces, numbers as written); what does not
// decode comes back as it is. An integer written plainly, a string
// without escapes or characters json.Marshal escapes, null, true and
// false are their own canonical form and skip the decoder: the txn and
// kafka checkers and the services canonicalise every value of a run, and
// nearly all are such scalars (RATIONALE.md, "Heavy workloads").
func CanonicalJSON(raw json.RawMessage) string {
	if plainScalar(raw) {
		return string(raw)
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return string(raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return string(raw)
	}
	return string(b)
}

// plainScalar reports whether b is exactly null, true, false, an integer
// in JSON's grammar (-?(0|[1-9][0-9]*)) or a string json.Marshal writes
// back unchanged, with nothing around it.
func plainScalar(b []byte) bool {
	switch string(b) {
	case "null", "true", "false":
		return true
	}
	if len(b) > 0 && b[0] == '"' {
		return plainString(b)
	}
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || b[0] == '0' && len(b) > 1 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// plainString reports whether b is a quoted string with nothing that
// json.Marshal writes differently: no escapes, control characters, HTML
// characters (<, >, &), U+2028, U+2029 or invalid UTF-8.
func plainString(b []byte) bool {
	if len(b) < 2 || b[len(b)-1] != '"' {
		return false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return utf8.Valid(in) && !bytes.ContainsAny(in, "\u2028\u2029")
}
