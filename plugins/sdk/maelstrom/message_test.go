package maelstrom

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSetIntField(t *testing.T) {
	tests := []struct {
		name, in, key string
		v             int
		want          string
		err           bool
	}{
		{"empty object", `{}`, "msg_id", 1, `{"msg_id":1}`, false},
		{"appended", `{"type":"x"}`, "msg_id", 7, `{"type":"x","msg_id":7}`, false},
		{"spaces", ` { "type" : "x" } `, "in_reply_to", 3, `{"type":"x","in_reply_to":3}`, false},
		{"replaces an existing key", `{"in_reply_to":1,"type":"x"}`, "in_reply_to", 9, `{"in_reply_to":9,"type":"x"}`, false},
		{"key text inside a value", `{"type":"\"msg_id\""}`, "msg_id", 2, `{"type":"\"msg_id\"","msg_id":2}`, false},
		{"not an object", `[1]`, "msg_id", 1, "", true},
		{"not json", `nope`, "msg_id", 1, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := setIntField([]byte(tt.in), tt.key, tt.v)
			if tt.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(got))
			assert.True(t, json.Valid(got))
		})
	}
}

func TestAppendEnvelope(t *testing.T) {
	tests := []struct {
		name, src, dest, body, key string
		v                          int
		want                       string
	}{
		{"plain", "n1", "c0", `{"type":"x"}`, "", 0, `{"src":"n1","dest":"c0","body":{"type":"x"}}`},
		{"with id", "n1", "n2", `{"type":"x"}`, "msg_id", 4, `{"src":"n1","dest":"n2","body":{"type":"x","msg_id":4}}`},
		{"empty body with id", "n1", "n2", `{}`, "msg_id", 4, `{"src":"n1","dest":"n2","body":{"msg_id":4}}`},
		{"names that need escaping", "a\"b", "ü\n", `{}`, "", 0, `{"src":"a\"b","dest":"ü\n","body":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendEnvelope(nil, tt.src, tt.dest, []byte(tt.body), tt.key, tt.v)
			assert.JSONEq(t, tt.want, string(got))
			var m Message
			require.NoError(t, json.Unmarshal(got, &m))
			assert.Equal(t, tt.src, m.Src)
			assert.Equal(t, tt.dest, m.Dest)
		})
	}
}

func TestMarshalBody(t *testing.T) {
	type body struct {
		MessageBody
		Value int `json:"value"`
	}
	tests := []struct {
		name string
		in   any
		want string
		err  bool
	}{
		{"struct", body{MessageBody{Type: "w"}, 3}, `{"type":"w","value":3}`, false},
		{"map", map[string]any{"type": "x"}, `{"type":"x"}`, false},
		{"raw", json.RawMessage(` {"type":"r"} `), `{"type":"r"}`, false},
		{"rpc error", NewRPCError(Abort, "a \"b\""), `{"type":"error","code":14,"text":"a \"b\""}`, false},
		{"timeout code is kept", NewRPCError(Timeout, ""), `{"type":"error","code":0}`, false},
		{"not an object", []int{1}, "", true},
		{"raw not an object", json.RawMessage(`"s"`), "", true},
		{"unmarshalable", map[string]any{"f": func() {}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := marshalBody(tt.in)
			if tt.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(got))
		})
	}
}

func TestMessageTypeAndRPCError(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		typ      string
		wantErr  *RPCError
		wantCode int
	}{
		{"request", `{"type":"read","msg_id":1}`, "read", nil, -1},
		{"error", `{"type":"error","code":22,"text":"cas failed","in_reply_to":1}`, "error", NewRPCError(PreconditionFailed, "cas failed"), PreconditionFailed},
		// upstream's rule: the code decides, not the type
		{"an error body with code 0 is no error", `{"type":"error","code":0}`, "error", nil, -1},
		{"a code field on another type is an error", `{"type":"lookup_ok","code":5}`, "lookup_ok", NewRPCError(5, ""), 5},
		{"malformed", `{"type":`, "", NewRPCError(Crash, ""), Crash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Message{Src: "n0", Dest: "n1", Body: json.RawMessage(tt.body)}
			assert.Equal(t, tt.typ, m.Type())
			got := m.RPCError()
			if tt.wantErr == nil {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tt.wantErr.Code, got.Code)
			if tt.wantErr.Text != "" {
				assert.Equal(t, tt.wantErr.Text, got.Text)
			}
			assert.Equal(t, tt.wantCode, ErrorCode(fmt.Errorf("wrapped: %w", got)))
		})
	}
}

func TestRPCErrorText(t *testing.T) {
	assert.Equal(t, `RPCError(KeyDoesNotExist, "k")`, NewRPCError(KeyDoesNotExist, "k").Error())
	assert.Equal(t, "TxnConflict", ErrorCodeText(TxnConflict))
	assert.Equal(t, "ErrorCode<99>", ErrorCodeText(99))
	assert.Equal(t, -1, ErrorCode(errors.New("x")))
	b, err := json.Marshal(NewRPCError(NotSupported, "no"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"error","code":10,"text":"no"}`, string(b))
}
