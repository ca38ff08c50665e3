package maelstrom

import (
	"encoding/json"
	"strconv"
)

// Body builds a message body field by field, for handlers that send small
// bodies often: no map, no reflection, the members in the order they are
// added. Send, Reply and RPC take it as a body:
//
//	n.Reply(msg, maelstrom.NewBody("read_ok").Ints("messages", values))
//
// A key added twice appears twice (a JSON reader keeps the last); the SDK
// adds msg_id and in_reply_to itself, so leave those out.
type Body struct{ b []byte }

// NewBody starts a body of the given type.
func NewBody(typ string) *Body {
	b := &Body{b: make([]byte, 0, 64)}
	b.b = append(b.b, `{"type":`...)
	b.b = appendString(b.b, typ)
	return b
}

func (b *Body) key(k string) {
	b.b = append(b.b, ',')
	b.b = appendString(b.b, k)
	b.b = append(b.b, ':')
}

// Int adds an integer member.
func (b *Body) Int(key string, v int) *Body {
	b.key(key)
	b.b = strconv.AppendInt(b.b, int64(v), 10)
	return b
}

// String adds a string member.
func (b *Body) String(key, v string) *Body {
	b.key(key)
	b.b = appendString(b.b, v)
	return b
}

// Bool adds a boolean member.
func (b *Body) Bool(key string, v bool) *Body {
	b.key(key)
	b.b = strconv.AppendBool(b.b, v)
	return b
}

// Ints adds an array of integers (null for a nil slice).
func (b *Body) Ints(key string, vs []int) *Body {
	b.key(key)
	b.b, _ = appendValue(b.b, vs) // []int always encodes
	return b
}

// Raw adds a member whose value is already JSON (it must be one valid JSON
// value; it is not checked).
func (b *Body) Raw(key string, v json.RawMessage) *Body {
	b.key(key)
	if len(v) == 0 {
		v = json.RawMessage("null")
	}
	b.b = append(b.b, v...)
	return b
}

// JSON returns the body as a JSON object.
func (b *Body) JSON() json.RawMessage { return append(b.b[:len(b.b):len(b.b)], '}') }
