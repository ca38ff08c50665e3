package maelstrom

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// Message is one message: the envelope {"src":..,"dest":..,"body":{..}}
// with the body left as raw JSON for the handler to decode.
type Message struct {
	Src  string          `json:"src,omitempty"`
	Dest string          `json:"dest,omitempty"`
	Body json.RawMessage `json:"body,omitempty"`

	// What deliver already read, so that Reply need not read it again:
	// the sender's host index plus one (0: unknown) and the body's msg_id.
	from  int32
	msgID int
}

// Type returns the body's "type" field ("" if the body is malformed).
func (m Message) Type() string {
	b, err := parseHeader(m.Body)
	if err != nil {
		return ""
	}
	return b.Type
}

// RPCError returns the error carried by a reply whose body has a non-zero
// "code" (upstream's rule, whatever its "type"), nil for any other message,
// and a Crash error for a malformed body.
func (m Message) RPCError() *RPCError {
	b, err := parseHeader(m.Body)
	if err != nil {
		return NewRPCError(Crash, err.Error())
	}
	if b.Code == 0 { // upstream's rule: a body is an error when its code is not 0
		return nil
	}
	return NewRPCError(b.Code, b.Text)
}

// MessageBody holds the body fields the protocol reserves. Embed it in your
// own body structs.
type MessageBody struct {
	Type      string `json:"type,omitempty"`
	MsgID     int    `json:"msg_id,omitempty"`
	InReplyTo int    `json:"in_reply_to,omitempty"`
	// Code and Text are set in error replies.
	Code int    `json:"code,omitempty"`
	Text string `json:"text,omitempty"`
}

var errBodyNotObject = errors.New("maelstrom: a message body must encode as a JSON object")

// marshalBody encodes a body, which must be a JSON object. A
// json.RawMessage is used as it is (not validated): it must be one JSON
// object.
func marshalBody(body any) ([]byte, error) {
	var b []byte
	switch v := body.(type) {
	case json.RawMessage:
		b = bytes.TrimSpace(v)
		if len(b) < 2 || b[len(b)-1] != '}' {
			return nil, errBodyNotObject
		}
	case *RPCError:
		b = v.appendJSON(nil)
	case *Body:
		b = v.JSON()
	default:
		var ok bool
		if b, ok = appendValue(nil, body); !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return nil, err
			}
		}
	}
	if len(b) < 2 || b[0] != '{' {
		return nil, errBodyNotObject
	}
	return b, nil
}

// setIntField returns obj (a JSON object) with key set to v.
func setIntField(obj []byte, key string, v int) ([]byte, error) {
	obj = bytes.TrimSpace(obj)
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, errBodyNotObject
	}
	if hasKey(obj, key) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(obj, &m); err != nil {
			return nil, err
		}
		m[key] = strconv.AppendInt(nil, int64(v), 10)
		return json.Marshal(m)
	}
	return appendWithInt(make([]byte, 0, len(obj)+len(key)+24), obj, key, v), nil
}

// hasKey reports whether obj may have the member key (a cheap test that
// can say yes wrongly, never no wrongly for encoding/json's output).
func hasKey(obj []byte, key string) bool {
	for i := 0; i+len(key)+2 <= len(obj); i++ {
		if obj[i] == '"' && obj[i+len(key)+1] == '"' && string(obj[i+1:i+1+len(key)]) == key {
			return true
		}
	}
	return false
}

// appendWithInt appends obj, a JSON object that lacks key, with
// "key":v added as its last member.
func appendWithInt(dst, obj []byte, key string, v int) []byte {
	dst = append(dst, obj[:len(obj)-1]...)
	if len(bytes.TrimSpace(obj[1:len(obj)-1])) > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	dst = append(dst, `":`...)
	dst = strconv.AppendInt(dst, int64(v), 10)
	return append(dst, '}')
}

// appendEnvelope appends {"src":src,"dest":dest,"body":body} to dst, with
// "key":v added to body when key is not empty (body must lack key).
func appendEnvelope(dst []byte, src, dest string, body []byte, key string, v int) []byte {
	dst = append(dst, `{"src":`...)
	dst = appendString(dst, src)
	dst = append(dst, `,"dest":`...)
	dst = appendString(dst, dest)
	dst = append(dst, `,"body":`...)
	if key == "" {
		dst = append(dst, body...)
	} else {
		dst = appendWithInt(dst, body, key, v)
	}
	return append(dst, '}')
}

// decodeEnvelopeJSON parses one delivered message with encoding/json: the
// slow path for what the scanner leaves alone.
func decodeEnvelopeJSON(data []byte) (Message, MessageBody, error) {
	var m Message
	var b MessageBody
	if err := json.Unmarshal(data, &m); err != nil {
		return m, b, err
	}
	if len(m.Body) == 0 || m.Body[0] != '{' {
		return m, b, errBodyNotObject
	}
	err := json.Unmarshal(m.Body, &b)
	return m, b, err
}
