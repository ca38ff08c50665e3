package maelstrom

import (
	"encoding/json"

	"github.com/terrarium-sim/terrarium/runtime/abi/jsonscan"
)

// The SDK reads envelopes and the reserved body fields with
// runtime/abi/jsonscan, which the host also uses to read an envelope for
// on_envelope (docs/ABI.md). These short names are what the SDK's readers
// (fields.go, elements.go) call; the compiler inlines them.

func skipSpace(b []byte, i int) int { return jsonscan.SkipSpace(b, i) }
func valueEnd(b []byte, i int) int  { return jsonscan.ValueEnd(b, i) }
func objectStart(b []byte, i int) int {
	return jsonscan.ObjectStart(b, i)
}
func memberAt(b []byte, i int) (ks, ke, vs, ve int, escaped, ok bool) {
	return jsonscan.MemberAt(b, i)
}
func afterMember(b []byte, i int) (int, bool)  { return jsonscan.AfterMember(b, i) }
func plainStringBytes(v []byte) ([]byte, bool) { return jsonscan.PlainStringBytes(v) }
func plainInt(v []byte) (int, bool)            { return jsonscan.PlainInt(v) }

// rawHeader is a body's reserved fields, strings left as bytes.
type rawHeader = jsonscan.Header

func scanEnvelope(data []byte) (src, dest, body []byte, h rawHeader, ok bool) {
	return jsonscan.Envelope(data)
}

// scanHeader reads the reserved fields of a body without allocating; ok is
// false when the caller must use encoding/json instead.
func scanHeader(body []byte) (h rawHeader, ok bool) {
	end := h.Scan(body, 0)
	return h, end >= 0 && skipSpace(body, end) == len(body)
}

// parseHeader reads the reserved fields of a body.
func parseHeader(body []byte) (MessageBody, error) {
	if r, ok := scanHeader(body); ok {
		return MessageBody{Type: string(r.Type), MsgID: r.MsgID, InReplyTo: r.InReplyTo, Code: r.Code, Text: string(r.Text)}, nil
	}
	var h MessageBody
	err := json.Unmarshal(body, &h)
	return h, err
}
