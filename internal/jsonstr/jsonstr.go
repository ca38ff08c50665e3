// Package jsonstr writes JSON strings exactly as encoding/json writes them,
// without its reflection for the common case: the trace writer and the Go
// guest SDK both need that, and byte-identical output keeps digests from
// depending on which path wrote a string.
package jsonstr

import "encoding/json"

// Append appends s as a JSON string, escaped as encoding/json escapes it:
// printable ASCII other than ", \, <, > and & is copied, and a string with
// anything else goes through json.Marshal.
func Append(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // marshaling a string cannot fail
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
