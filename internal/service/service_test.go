package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/service"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// harness runs services in a simulation with clients calling them.
type harness struct {
	t       *testing.T
	s       *sim.Sim
	clients []*sim.Client
}

func newHarness(t *testing.T, seed uint64, clients int, names ...string) *harness {
	t.Helper()
	s, err := sim.New(context.Background(), sim.NewConfig().WithSeed(seed))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	for _, name := range names {
		fn, err := service.New(name)
		require.NoError(t, err)
		_, err = s.AddNodes(sim.NodeSpec{Name: name, Native: fn, Service: true})
		require.NoError(t, err)
	}
	// a program node added after the services still gets index 0
	_, err = s.AddNodes(sim.NodeSpec{Name: "n0", Native: func(abi.Host, int32, []byte) {}})
	require.NoError(t, err)
	cs, err := s.AddClients(clients)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	require.NoError(t, s.RunUntil(0)) // boot
	return &harness{t: t, s: s, clients: cs}
}

// call sends one request from client c and runs until its reply.
func (h *harness) call(c int, to string, body map[string]any) map[string]any {
	h.t.Helper()
	var got map[string]any
	require.NoError(h.t, h.clients[c].Call(to, body, time.Second, func(r history.Reply) {
		require.False(h.t, r.TimedOut, "no reply to %v", body)
		require.NoError(h.t, json.Unmarshal(r.Body, &got))
	}))
	require.NoError(h.t, h.s.RunFor(time.Second))
	require.NotNil(h.t, got)
	delete(got, "in_reply_to")
	return got
}

func code(m map[string]any) any { return m["code"] }

func TestIndices(t *testing.T) {
	h := newHarness(t, 1, 1, "lin-kv", "seq-kv")
	for name, want := range map[string]int32{"n0": 0, "lin-kv": 1, "seq-kv": 2, "c0": 3} {
		i, ok := h.s.Index(name)
		require.True(t, ok, name)
		assert.Equal(t, want, i, name)
	}
}

func TestLinKV(t *testing.T) {
	h := newHarness(t, 1, 1, "lin-kv")
	assert.Equal(t, float64(20), code(h.call(0, "lin-kv", map[string]any{"type": "read", "key": "x"})))
	assert.Equal(t, float64(20), code(h.call(0, "lin-kv", map[string]any{"type": "cas", "key": "x", "from": 1, "to": 2})))
	assert.Equal(t, "cas_ok", h.call(0, "lin-kv", map[string]any{"type": "cas", "key": "x", "from": 1, "to": 2, "create_if_not_exists": true})["type"])
	assert.Equal(t, map[string]any{"type": "read_ok", "value": float64(2)}, h.call(0, "lin-kv", map[string]any{"type": "read", "key": "x"}))
	e := h.call(0, "lin-kv", map[string]any{"type": "cas", "key": "x", "from": 1, "to": 3})
	assert.Equal(t, float64(22), code(e))
	assert.Equal(t, "current value 2 is not 1", e["text"])
	assert.Equal(t, "write_ok", h.call(0, "lin-kv", map[string]any{"type": "write", "key": "x", "value": map[string]any{"b": 1, "a": []int{1}}})["type"])
	// structural equality: the same object with its keys in another order
	assert.Equal(t, "cas_ok", h.call(0, "lin-kv", map[string]any{"type": "cas", "key": "x", "from": json.RawMessage(`{"a":[1], "b":1}`), "to": 4})["type"])
	// integer and string keys are distinct keys
	assert.Equal(t, "write_ok", h.call(0, "lin-kv", map[string]any{"type": "write", "key": 1, "value": "one"})["type"])
	assert.Equal(t, float64(20), code(h.call(0, "lin-kv", map[string]any{"type": "read", "key": "1"})))
	// a missing key is the key null, as upstream parses the body
	assert.Equal(t, float64(20), code(h.call(0, "lin-kv", map[string]any{"type": "read"})))
	assert.Equal(t, "write_ok", h.call(0, "lin-kv", map[string]any{"type": "write", "value": 5})["type"])
	assert.Equal(t, map[string]any{"type": "read_ok", "value": float64(5)}, h.call(0, "lin-kv", map[string]any{"type": "read", "key": nil}))
	// a type upstream's service has no case for: it throws and answers nothing
	h.noReply(0, "lin-kv", map[string]any{"type": "ts"})
}

// noReply sends one request and checks that it times out unanswered.
func (h *harness) noReply(c int, to string, body map[string]any) {
	h.t.Helper()
	timedOut := false
	require.NoError(h.t, h.clients[c].Call(to, body, time.Second, func(r history.Reply) { timedOut = r.TimedOut }))
	require.NoError(h.t, h.s.RunFor(2*time.Second))
	assert.True(h.t, timedOut, "%s answered %v", to, body)
}

func TestLinTSO(t *testing.T) {
	h := newHarness(t, 1, 2, "lin-tso")
	for i := range 4 {
		assert.Equal(t, map[string]any{"type": "ts_ok", "ts": float64(i)}, h.call(i%2, "lin-tso", map[string]any{"type": "ts"}))
	}
	h.noReply(0, "lin-tso", map[string]any{"type": "read", "key": "x"})
}

func TestUnknownService(t *testing.T) {
	_, err := service.New("raft-kv")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown service "raft-kv"`)
}

// TestSeqKV: a client's own reads are monotonic and see its own writes,
// every update lands on the newest state, but another client can read a
// stale value, which lin-kv never gives.
func TestSeqKV(t *testing.T) {
	stale := 0
	for seed := uint64(1); seed <= 20; seed++ {
		h := newHarness(t, seed, 2, "seq-kv")
		last := -1
		for i := range 10 {
			require.Equal(t, "write_ok", h.call(0, "seq-kv", map[string]any{"type": "write", "key": "x", "value": i})["type"])
			r := h.call(0, "seq-kv", map[string]any{"type": "read", "key": "x"})
			require.Equal(t, float64(i), r["value"], "a client reads its own write")
			r = h.call(1, "seq-kv", map[string]any{"type": "read", "key": "x"})
			v := -1
			if r["type"] == "read_ok" {
				v = int(r["value"].(float64))
			}
			require.GreaterOrEqual(t, v, last, "seed %d: client 1's reads went backwards", seed)
			if v < i {
				stale++
			}
			last = v
		}
		// a cas may fail on a stale state (upstream does the same), but
		// once it succeeds it ran on the newest one, and the client's
		// reads never go back past it
		ok := false
		for range 100 {
			if r := h.call(1, "seq-kv", map[string]any{"type": "cas", "key": "x", "from": 9, "to": 10}); r["type"] == "cas_ok" {
				ok = true
				break
			} else {
				require.Equal(t, float64(22), code(r))
			}
		}
		require.True(t, ok, "seed %d: cas from the latest value never succeeded", seed)
		require.Equal(t, float64(10), h.call(1, "seq-kv", map[string]any{"type": "read", "key": "x"})["value"])
	}
	assert.Positive(t, stale, "seq-kv never served a stale read")
}

// TestLWWKV: lww-kv is deliberately weak: a write can be missed by a
// later read, even from the same client.
func TestLWWKV(t *testing.T) {
	anomalies := 0
	for seed := uint64(1); seed <= 10; seed++ {
		h := newHarness(t, seed, 1, "lww-kv")
		for i := range 10 {
			require.Equal(t, "write_ok", h.call(0, "lww-kv", map[string]any{"type": "write", "key": "x", "value": i})["type"])
			if r := h.call(0, "lww-kv", map[string]any{"type": "read", "key": "x"}); r["value"] != float64(i) {
				anomalies++
			}
		}
	}
	assert.Positive(t, anomalies, "lww-kv behaved linearizably on every seed")
	h := newHarness(t, 1, 1, "lww-kv")
	assert.Equal(t, float64(20), code(h.call(0, "lww-kv", map[string]any{"type": "cas", "key": "y", "from": 1, "to": 2, "create_if_not_exists": true})))
}

func TestDeterministic(t *testing.T) {
	run := func() string {
		h := newHarness(t, 3, 2, "seq-kv", "lww-kv")
		for i := range 20 {
			svc := []string{"seq-kv", "lww-kv"}[i%2]
			h.call(i%2, svc, map[string]any{"type": "write", "key": fmt.Sprint(i % 3), "value": i})
			h.call((i+1)%2, svc, map[string]any{"type": "read", "key": fmt.Sprint(i % 3)})
		}
		return h.s.Digest()
	}
	assert.Equal(t, run(), run())
}
