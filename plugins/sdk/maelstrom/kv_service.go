package maelstrom

import (
	"context"
	"encoding/json"
	"fmt"
)

// The names of Maelstrom's key-value services (a scenario starts them with
// services: [lin-kv, seq-kv, lww-kv]).
const (
	LinKV = "lin-kv"
	SeqKV = "seq-kv"
	LWWKV = "lww-kv"
)

// KV is a client of one of Maelstrom's key-value services, with upstream's
// names and semantics: every method is a SyncRPC to the service, and an
// error reply comes back as an *RPCError (ErrorCode(err) ==
// KeyDoesNotExist when a key is absent, PreconditionFailed when a
// compare-and-swap's from does not match). The node's own durable store
// is Store, not this.
type KV struct {
	typ  string
	node *Node
}

// NewKV returns a client of the service named typ (LinKV, SeqKV, LWWKV).
func NewKV(typ string, node *Node) *KV { return &KV{typ: typ, node: node} }

// NewLinKV returns a client of the linearizable store lin-kv.
func NewLinKV(node *Node) *KV { return NewKV(LinKV, node) }

// NewSeqKV returns a client of the sequentially consistent store seq-kv.
func NewSeqKV(node *Node) *KV { return NewKV(SeqKV, node) }

// NewLWWKV returns a client of the last-write-wins store lww-kv.
func NewLWWKV(node *Node) *KV { return NewKV(LWWKV, node) }

type kvRequest struct {
	Type              string `json:"type"`
	Key               string `json:"key"`
	Value             any    `json:"value,omitempty"`
	From              any    `json:"from,omitempty"`
	To                any    `json:"to,omitempty"`
	CreateIfNotExists bool   `json:"create_if_not_exists,omitempty"`
}

type kvReadOK struct {
	Value any `json:"value"`
}

// Read returns key's value. JSON numbers come back as int (Maelstrom's
// workloads use integers), other values as encoding/json decodes them into
// an any. An absent key is an *RPCError with code KeyDoesNotExist.
func (kv *KV) Read(ctx context.Context, key string) (any, error) {
	m, err := kv.read(ctx, key)
	if err != nil {
		return nil, err
	}
	var b kvReadOK
	if err := json.Unmarshal(m.Body, &b); err != nil {
		return nil, fmt.Errorf("maelstrom: %s read_ok: %w", kv.typ, err)
	}
	if f, ok := b.Value.(float64); ok {
		return int(f), nil
	}
	return b.Value, nil
}

// ReadInt reads key's value as an int (0 with the error when it is
// absent, or when it is not a number).
func (kv *KV) ReadInt(ctx context.Context, key string) (int, error) {
	v, err := kv.Read(ctx, key)
	i, _ := v.(int)
	return i, err
}

// ReadInto decodes key's value into v (a pointer, as for json.Unmarshal).
func (kv *KV) ReadInto(ctx context.Context, key string, v any) error {
	m, err := kv.read(ctx, key)
	if err != nil {
		return err
	}
	b := kvReadOK{Value: v}
	if err := json.Unmarshal(m.Body, &b); err != nil {
		return fmt.Errorf("maelstrom: %s read_ok: %w", kv.typ, err)
	}
	return nil
}

// Write sets key to value.
func (kv *KV) Write(ctx context.Context, key string, value any) error {
	_, err := kv.node.SyncRPC(ctx, kv.typ, kvRequest{Type: "write", Key: key, Value: nullable(value)})
	return err
}

// CompareAndSwap sets key to to if its value is from. With
// createIfNotExists an absent key is created with to; otherwise it is an
// *RPCError with code KeyDoesNotExist. A value other than from is an
// *RPCError with code PreconditionFailed.
func (kv *KV) CompareAndSwap(ctx context.Context, key string, from, to any, createIfNotExists bool) error {
	_, err := kv.node.SyncRPC(ctx, kv.typ, kvRequest{Type: "cas", Key: key, From: nullable(from), To: nullable(to), CreateIfNotExists: createIfNotExists})
	return err
}

func (kv *KV) read(ctx context.Context, key string) (Message, error) {
	return kv.node.SyncRPC(ctx, kv.typ, kvRequest{Type: "read", Key: key})
}

// nullable keeps a nil value in the request as JSON null (omitempty would
// drop the field).
func nullable(v any) any {
	if v == nil {
		return json.RawMessage("null")
	}
	return v
}
