package sim

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// readReply's scanner path gives what encoding/json gives, and whatever
// encoding/json cannot read stays an error or a zero header, as before.
func TestReadReplyAgreesWithEncodingJSON(t *testing.T) {
	slow := func(payload []byte) (json.RawMessage, replyHeader, bool) {
		var env envelope
		if json.Unmarshal(payload, &env) != nil {
			return nil, replyHeader{}, false
		}
		var hdr replyHeader
		_ = json.Unmarshal(env.Body, &hdr)
		return env.Body, hdr, true
	}
	for _, p := range []string{
		`{"src":"n1","dest":"c0","body":{"type":"read_ok","in_reply_to":3,"messages":[1,2,3]}}`,
		`{ "dest" : "c0" , "src":"n1", "body" : { "in_reply_to" : 7 , "type" : "echo_ok" } }`,
		`{"src":"n1","dest":"c0","body":{"type":"error","in_reply_to":2,"code":20,"text":"not found"}}`,
		`{"src":"n1","dest":"c0","body":{"type":"a\"b","in_reply_to":2}}`,
		`{"src":"n1","dest":"c0","body":{"Type":"x","In_Reply_To":4}}`,
		`{"src":"n1","dest":"c0","body":{"type":5,"in_reply_to":4}}`,
		`{"src":"n1","dest":"c0","body":{"type":"x","in_reply_to":4.0}}`,
		`{"src":"n1","dest":"c0","body":{"type":"x","in_reply_to":4,"v":[1,2,x]}}`,
		`{"src":"n1","dest":"c0","body":{"type":"x","in_reply_to":4}} trailing`,
		`{"src":"n1","dest":"c0","body":7}`,
		`{"src":"n1","dest":"c0"}`,
		`{"src":"n1","dest":"c0","body":{"type":"x","in_reply_to":1},"body":{"type":"y","in_reply_to":2}}`,
		`not json`,
		``,
	} {
		wantBody, wantHdr, wantOK := slow([]byte(p))
		body, hdr, err := readReply([]byte(p))
		assert.Equal(t, wantOK, err == nil, "%s", p)
		assert.Equal(t, wantHdr, hdr, "%s", p)
		assert.Equal(t, string(wantBody), string(body), "%s", p)
	}
}
