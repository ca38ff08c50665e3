package sim_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// envelopeWAT exports on_envelope as well as on_message: it sends back
// the six i64 arguments on_envelope got (src, dest, body, type, msg_id,
// in_reply_to: 48 bytes, little-endian), and on_message sends back "M".
const envelopeWAT = `(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "M")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32))
  (func (export "on_message") (param $from i32) (param i32 i32)
    (drop (call $send (local.get $from) (i32.const 8) (i32.const 1))))
  (func (export "on_envelope") (param $from i32) (param i32 i32)
    (param $src i64) (param $dest i64) (param $body i64) (param $type i64) (param $id i64) (param $re i64)
    (i64.store (i32.const 16) (local.get $src))
    (i64.store (i32.const 24) (local.get $dest))
    (i64.store (i32.const 32) (local.get $body))
    (i64.store (i32.const 40) (local.get $type))
    (i64.store (i32.const 48) (local.get $id))
    (i64.store (i32.const 56) (local.get $re))
    (drop (call $send (local.get $from) (i32.const 16) (i32.const 48)))))`

// span is on_envelope's packing of where a field lies in the message.
func span(msg, field string) uint64 {
	for i := 0; i+len(field) <= len(msg); i++ {
		if msg[i:i+len(field)] == field {
			return uint64(i)<<32 | uint64(len(field))
		}
	}
	return 0
}

// TestOnEnvelopeGetsTheHostsReading: a guest that exports on_envelope is
// handed the spans of src, dest, body and type and the ids, as the SDK's
// scanner reads them; an envelope the scanner cannot read (here: no body,
// a key with an escape) goes to on_message instead.
func TestOnEnvelopeGetsTheHostsReading(t *testing.T) {
	s := newSim(t, sim.NewConfig())
	m, err := testguests.Wat2Wasm([]byte(envelopeWAT))
	require.NoError(t, err)
	require.NoError(t, s.LoadModule("env", m))
	var got [][]byte
	_, err = s.AddNodes(sim.NodeSpec{Name: "c", Native: func(_ abi.Host, _ int32, msg []byte) { got = append(got, append([]byte(nil), msg...)) }})
	require.NoError(t, err)
	_, err = s.AddNodes(sim.NodeSpec{Name: "n", Module: "env"})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	const req = `{"src":"c0","dest":"n0","body":{"type":"read","msg_id":7,"in_reply_to":-3,"k":[1]}}`
	unread := []string{`{"src":"c0","dest":"n0"}`, `{"s\u0072c":"c0","body":{}}`, `not json`}
	s.At(0, func() {
		s.Send(0, 1, []byte(req))
		for _, u := range unread {
			s.Send(0, 1, []byte(u))
		}
	})
	require.NoError(t, s.RunFor(time.Second))
	require.Len(t, got, 1+len(unread))
	require.Len(t, got[0], 48)
	word := func(i int) uint64 { return binary.LittleEndian.Uint64(got[0][8*i:]) }
	assert.Equal(t, span(req, "c0"), word(0), "src")
	assert.Equal(t, span(req, "n0"), word(1), "dest")
	assert.Equal(t, span(req, `{"type":"read","msg_id":7,"in_reply_to":-3,"k":[1]}`), word(2), "body")
	assert.Equal(t, span(req, "read"), word(3), "type")
	assert.Equal(t, uint64(7), word(4), "msg_id")
	assert.Equal(t, int64(-3), int64(word(5)), "in_reply_to")
	for i := range unread {
		assert.Equal(t, "M", string(got[1+i]), "%s went to on_message", unread[i])
	}
}
