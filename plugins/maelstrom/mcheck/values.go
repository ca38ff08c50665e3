package mcheck

import (
	"bytes"
	"encoding/json"
)

// canonical re-encodes a JSON value so that equal values have equal bytes
// (object keys sorted, no spaces, numbers as written).
func canonical(raw json.RawMessage) string {
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
