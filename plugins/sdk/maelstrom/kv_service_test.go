package maelstrom

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serviceNode is a node whose init document lists services.
func serviceNode(h *fakeHost) *Node {
	n := newNode(h)
	if err := n.setup([]byte(`{"node":"n0","index":0,"nodes":["n0","n1"],"services":["lin-kv","seq-kv"],"clients":["c0"],"params":{}}`)); err != nil {
		panic(err)
	}
	return n
}

func TestServiceIndices(t *testing.T) {
	h := newFakeHost()
	n := serviceNode(h)
	assert.Equal(t, []string{"n0", "n1"}, n.NodeIDs(), "services are not node ids")
	for dest, want := range map[string]int32{"seq-kv": 3, "lin-kv": 2, "c0": 4} {
		require.NoError(t, n.Send(dest, map[string]any{"type": "x"}))
		assert.Equal(t, want, waitSent(t, h).to, dest)
	}
}

// kvCall runs op in a goroutine, answers the request it sends with reply
// (a body without in_reply_to), and returns op's error and the request.
func kvCall(t *testing.T, op func(ctx context.Context, kv *KV) error, reply string) (map[string]any, error) {
	t.Helper()
	h := newFakeHost()
	n := serviceNode(h)
	kv := NewSeqKV(n)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op(ctx, kv) }()
	s := waitSent(t, h)
	require.Equal(t, int32(3), s.to, "the request goes to seq-kv")
	m, req := envelope(t, s)
	assert.Equal(t, "seq-kv", m.Dest)
	id := int(req["msg_id"].(float64))
	var b map[string]any
	require.NoError(t, json.Unmarshal([]byte(reply), &b))
	b["in_reply_to"] = id
	raw, _ := json.Marshal(map[string]any{"src": "seq-kv", "dest": "n0", "body": b})
	n.deliver(3, raw)
	return req, <-done
}

func TestKVClient(t *testing.T) {
	var got any
	req, err := kvCall(t, func(ctx context.Context, kv *KV) (e error) { got, e = kv.Read(ctx, "x"); return }, `{"type":"read_ok","value":7}`)
	require.NoError(t, err)
	assert.Equal(t, 7, got, "numbers come back as int")
	assert.Equal(t, map[string]any{"type": "read", "key": "x", "msg_id": req["msg_id"]}, req)

	_, err = kvCall(t, func(ctx context.Context, kv *KV) (e error) { got, e = kv.ReadInt(ctx, "x"); return }, `{"type":"error","code":20,"text":"key does not exist"}`)
	assert.Equal(t, KeyDoesNotExist, ErrorCode(err))
	assert.Equal(t, 0, got)

	var into []string
	_, err = kvCall(t, func(ctx context.Context, kv *KV) error { return kv.ReadInto(ctx, "l", &into) }, `{"type":"read_ok","value":["a","b"]}`)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, into)

	_, err = kvCall(t, func(ctx context.Context, kv *KV) error { return kv.ReadInto(ctx, "l", &into) }, `{"type":"read_ok","value":3}`)
	assert.ErrorContains(t, err, "seq-kv read_ok", "a value of the wrong shape is an error")

	req, err = kvCall(t, func(ctx context.Context, kv *KV) error { return kv.Write(ctx, "x", nil) }, `{"type":"write_ok"}`)
	require.NoError(t, err)
	assert.Contains(t, req, "value", "a nil value is sent as null")
	assert.Nil(t, req["value"])

	req, err = kvCall(t, func(ctx context.Context, kv *KV) error { return kv.CompareAndSwap(ctx, "x", 1, 2, true) },
		`{"type":"error","code":22,"text":"current value 3 is not 1"}`)
	assert.Equal(t, PreconditionFailed, ErrorCode(err))
	assert.Equal(t, map[string]any{"type": "cas", "key": "x", "from": 1.0, "to": 2.0, "create_if_not_exists": true, "msg_id": req["msg_id"]}, req)
}
