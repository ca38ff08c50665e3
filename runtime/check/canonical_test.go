package check

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// slowCanonical is CanonicalJSON without its scalar fast path.
func slowCanonical(raw json.RawMessage) string {
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

// The fast path takes only what the decoder gives back unchanged, and
// leaves everything else to it.
func TestCanonicalJSONFastPathAgrees(t *testing.T) {
	for _, in := range []string{
		"0", "-0", "7", "-12", "123456789012345678901234567890", "null", "true", "false",
		"01", "-", "", " 1", "1 ", "1.0", "1e3", "+1", "--1", "nul", "1x", `"a"`, `{"b":1,"a":[1, 2]}`, "[1 ,2]", "0 1",
		`"msg/k1/3"`, `""`, `"a b"`, `"<"`, `"&"`, `"\u0041"`, `"\""`, "\"\u2028\"", "\"caf\xc3\xa9\"", "\"\xff\"", "\"tab\there\"", `"open`, `"`, `"a"b"`, `"a" `,
	} {
		assert.Equal(t, slowCanonical(json.RawMessage(in)), CanonicalJSON(json.RawMessage(in)), "%q", in)
	}
	assert.True(t, plainScalar([]byte("-10")))
	assert.True(t, plainScalar([]byte(`"next/1"`)))
	for _, in := range []string{"01", "-", "", " 1", "1.0", "+1", "nul", `"<"`, `"\n"`, "\"\xff\""} {
		assert.False(t, plainScalar([]byte(in)), "%q", in)
	}
}
