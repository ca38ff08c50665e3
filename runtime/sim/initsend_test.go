package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// initSender sends "hello" to node 1 from on_init.
const initSender = `(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (call $send (i32.const 1) (i32.const 16) (i32.const 5))))
  (func (export "on_message") (param i32 i32 i32)))`

// A message sent from on_init to a node that boots after the sender (here
// a native node added later, as services are) reaches it, as in
// Maelstrom, where a message waits for a node that has not handled init
// yet. It used to be dropped as "node down": it was addressed to the
// destination's incarnation before its first boot.
func TestInitSendReachesANodeBootingAfterIt(t *testing.T) {
	mod, err := testguests.Wat2Wasm([]byte(initSender))
	require.NoError(t, err)
	s := newSim(t, sim.NewConfig())
	require.NoError(t, s.LoadModule("sender", mod))
	_, err = s.AddNodes(sim.NodeSpec{Name: "sender", Module: "sender"})
	require.NoError(t, err)
	var got []string
	_, err = s.AddNodes(sim.NodeSpec{Name: "kv", Service: true, Native: func(_ abi.Host, from int32, msg []byte) {
		got = append(got, string(msg))
	}})
	require.NoError(t, err)
	require.NoError(t, s.RunUntil(10*time.Millisecond))
	assert.Equal(t, []string{"hello"}, got)
	for _, e := range s.Events() {
		assert.NotEqual(t, trace.KindDrop, e.Kind, "nothing is dropped: %+v", e)
	}
}
