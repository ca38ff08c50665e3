package maelstrom

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Reference: issue 11, "a fast way for handlers to read simple fields":
// each accessor gives what encoding/json gives, or says it cannot.
func TestFieldAccessorsAgreeWithEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{"type":"broadcast","message":7,"msg_id":3}`,
		` { "message" : -12 , "name" : "n1" , "messages" : [ 1 , 2 , -3 ] } `,
		`{"message":1,"message":2}`,
		`{"message":1.5,"name":7,"messages":[1,"x"]}`,
		`{"message":123456789012345678901,"name":"caf\u00e9","messages":null}`,
		`{"mess\u0061ge":9,"name":"\"q\"","messages":[]}`,
		`{"message":null,"name":null}`,
		`{"nested":{"message":5}}`,
		`{}`,
		`[1,2]`,
		`{"message":`,
	} {
		msg := Message{Body: json.RawMessage(body)}
		var all map[string]json.RawMessage
		parsed := json.Unmarshal([]byte(body), &all) == nil

		var wantInt int
		intOK := parsed && all["message"] != nil && string(all["message"]) != "null" && json.Unmarshal(all["message"], &wantInt) == nil
		gotInt, ok := msg.Int("message")
		assert.Equal(t, intOK, ok, "Int ok: %s", body)
		assert.Equal(t, wantInt, gotInt, "Int: %s", body)

		var wantStr string
		strOK := parsed && len(all["name"]) > 0 && all["name"][0] == '"' && json.Unmarshal(all["name"], &wantStr) == nil
		gotStr, ok := msg.String("name")
		assert.Equal(t, strOK, ok, "String ok: %s", body)
		assert.Equal(t, wantStr, gotStr, "String: %s", body)

		var wantInts []int
		intsOK := parsed && all["messages"] != nil && json.Unmarshal(all["messages"], &wantInts) == nil
		gotInts, ok := msg.Ints("messages")
		assert.Equal(t, intsOK, ok, "Ints ok: %s", body)
		if intsOK {
			assert.Equal(t, wantInts, gotInts, "Ints: %s", body)
		}
	}
}

func TestFieldIsTheRawMember(t *testing.T) {
	msg := Message{Body: json.RawMessage(`{"type":"txn","txn":[["r",1,null]],"n":2}`)}
	raw, ok := msg.Field("txn")
	assert.True(t, ok)
	assert.Equal(t, `[["r",1,null]]`, string(raw))
	_, ok = msg.Field("absent")
	assert.False(t, ok)
}
