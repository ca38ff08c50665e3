package maelstrom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envelope(t *testing.T, s sent) (Message, map[string]any) {
	t.Helper()
	var m Message
	require.NoError(t, json.Unmarshal([]byte(s.msg), &m), s.msg)
	var b map[string]any
	require.NoError(t, json.Unmarshal(m.Body, &b))
	return m, b
}

func waitSent(t *testing.T, h *fakeHost) sent {
	t.Helper()
	select {
	case s := <-h.sentCh:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("nothing sent")
		return sent{}
	}
}

func TestSetup(t *testing.T) {
	h := newFakeHost()
	n := testNode(h)
	assert.Equal(t, "n1", n.ID())
	assert.Equal(t, []string{"n0", "n1", "n2"}, n.NodeIDs())
	assert.Equal(t, "server", n.Role())
	assert.JSONEq(t, `{"gossip_ms":5}`, string(n.Params()))
	assert.False(t, n.Restarted())
	assert.Equal(t, map[string]int32{"n0": 0, "n1": 1, "n2": 2, "c0": 3, "c1": 4}, n.indexOf)

	r := newNode(h)
	h.clock = 5_000_000
	require.NoError(t, r.setup([]byte(`{"node":"n0","nodes":["n0"],"restart":true}`)))
	assert.True(t, r.Restarted())
	require.NoError(t, r.RPC("n0", map[string]any{"type": "x"}, func(Message) error { return nil }))
	_, b := envelope(t, waitSent(t, h))
	assert.EqualValues(t, 5_000_001, b["msg_id"], "a restarted node's msg ids start past the previous one's")

	big := newNode(h)
	require.NoError(t, big.setup([]byte(`{"node":"n0","nodes":["n0"],"seed":18446744073709551615}`)), "any uint64 seed is accepted")

	for _, bad := range []string{`nope`, `{"nodes":["n0"]}`} {
		assert.Error(t, newNode(h).setup([]byte(bad)), bad)
	}
}

func TestSend(t *testing.T) {
	tests := []struct {
		name   string
		dest   string
		body   any
		rc     int32
		to     int32
		want   string
		errIs  error
		errAny bool
	}{
		{"to a node", "n2", map[string]any{"type": "gossip", "v": 1}, 0, 2, `{"src":"n1","dest":"n2","body":{"type":"gossip","v":1}}`, nil, false},
		{"to a client", "c1", MessageBody{Type: "hello"}, 0, 4, `{"src":"n1","dest":"c1","body":{"type":"hello"}}`, nil, false},
		{"unknown name", "n9", MessageBody{Type: "x"}, 0, 0, "", ErrUnknownDestination, false},
		{"host: unknown destination", "n2", MessageBody{Type: "x"}, -2, 0, "", ErrUnknownDestination, false},
		{"host: too large", "n2", MessageBody{Type: "x"}, -3, 0, "", ErrTooLarge, false},
		{"host: other", "n2", MessageBody{Type: "x"}, -7, 0, "", nil, true},
		{"body not an object", "n2", 5, 0, 0, "", errBodyNotObject, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHost()
			h.sendRC = tt.rc
			n := testNode(h)
			err := n.Send(tt.dest, tt.body)
			switch {
			case tt.errIs != nil:
				assert.ErrorIs(t, err, tt.errIs)
			case tt.errAny:
				assert.Error(t, err)
			default:
				require.NoError(t, err)
				s := h.sent()
				require.Len(t, s, 1)
				assert.Equal(t, tt.to, s[0].to)
				assert.JSONEq(t, tt.want, s[0].msg)
			}
		})
	}
}

func TestReply(t *testing.T) {
	tests := []struct {
		name string
		req  string
		body any
		want string
	}{
		{"adds in_reply_to", `{"type":"read","msg_id":12}`, map[string]any{"type": "read_ok"}, `{"type":"read_ok","in_reply_to":12}`},
		{"echoing the request body", `{"type":"echo","msg_id":3,"echo":"x"}`, json.RawMessage(`{"type":"echo_ok","msg_id":3,"echo":"x"}`), `{"type":"echo_ok","msg_id":3,"echo":"x","in_reply_to":3}`},
		{"replaces a stale in_reply_to", `{"type":"t","msg_id":5}`, map[string]any{"type": "t_ok", "in_reply_to": 1}, `{"type":"t_ok","in_reply_to":5}`},
		{"no msg_id: no in_reply_to", `{"type":"t"}`, MessageBody{Type: "t_ok"}, `{"type":"t_ok"}`},
		{"error", `{"type":"t","msg_id":2}`, NewRPCError(Abort, "no"), `{"type":"error","code":14,"text":"no","in_reply_to":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHost()
			n := testNode(h)
			require.NoError(t, n.Reply(Message{Src: "c0", Dest: "n1", Body: json.RawMessage(tt.req)}, tt.body))
			s := h.sent()
			require.Len(t, s, 1)
			assert.Equal(t, int32(3), s[0].to)
			m, _ := envelope(t, s[0])
			assert.JSONEq(t, tt.want, string(m.Body))
		})
	}
}

func TestRPCCallbacksAndIDs(t *testing.T) {
	h := newFakeHost()
	n := testNode(h)
	got := make(chan Message, 4)
	for i := 0; i < 3; i++ {
		require.NoError(t, n.RPC("n0", map[string]any{"type": "ping"}, func(m Message) error { got <- m; return nil }))
	}
	var ids []any
	for _, s := range h.sent() {
		_, b := envelope(t, s)
		ids = append(ids, b["msg_id"])
	}
	assert.Equal(t, []any{1.0, 2.0, 3.0}, ids, "msg ids are per node and increasing")

	forged := []byte(`{"src":"n0","dest":"n1","body":{"type":"pong","in_reply_to":2}}`)
	assert.False(t, n.deliver(2, forged), "n2 cannot answer a request sent to n0, whatever its envelope says")
	assert.Empty(t, got)
	reply := []byte(`{"src":"n0","dest":"n1","body":{"type":"pong","in_reply_to":2}}`)
	assert.True(t, n.deliver(0, reply), "a callback runs in a goroutine: wait for idle")
	select {
	case m := <-got:
		assert.Equal(t, "pong", m.Type())
		assert.Equal(t, "n0", m.Src)
	case <-time.After(5 * time.Second):
		t.Fatal("callback not called")
	}
	assert.False(t, n.deliver(0, reply), "a second reply to the same id has no callback left")
	n.mu.Lock()
	assert.Len(t, n.callbacks, 2)
	n.mu.Unlock()

	h.sendRC = -2
	assert.Error(t, n.RPC("n0", map[string]any{"type": "ping"}, func(Message) error { return nil }))
	n.mu.Lock()
	assert.Len(t, n.callbacks, 2, "a failed send leaves no callback behind")
	n.mu.Unlock()
}

// RPCInline's callback runs in the call that delivers the reply, so the
// node need not wait for its idle point, unless the callback starts a
// goroutine; a reply from another node than the request's does not run
// it.
func TestRPCInline(t *testing.T) {
	h := newFakeHost()
	n := testNode(h)
	var got []string
	require.NoError(t, n.RPCInline("n0", NewBody("ping"), func(m Message) error { got = append(got, m.Type()); return nil }))
	release := make(chan struct{})
	require.NoError(t, n.RPCInline("n0", NewBody("ping"), func(m Message) error {
		go func() { <-release }()
		return nil
	}))
	assert.False(t, n.deliver(2, []byte(`{"src":"n0","dest":"n1","body":{"type":"pong","in_reply_to":1}}`)), "from n2: not the reply")
	assert.Empty(t, got)
	assert.False(t, n.deliver(0, []byte(`{"src":"n0","dest":"n1","body":{"type":"pong","in_reply_to":1}}`)), "an inline callback needs no idle point")
	assert.Equal(t, []string{"pong"}, got, "the callback ran in the call")
	assert.True(t, n.deliver(0, []byte(`{"src":"n0","dest":"n1","body":{"type":"pong","in_reply_to":2}}`)), "a callback that starts a goroutine waits for the idle point")
	close(release)
}

func TestSyncRPC(t *testing.T) {
	tests := []struct {
		name     string
		reply    string // body; empty: never replied, ctx times out
		wantErr  bool
		wantCode int
	}{
		{"ok", `{"type":"read_ok","value":4,"in_reply_to":1}`, false, -1},
		{"error reply", `{"type":"error","code":20,"text":"missing","in_reply_to":1}`, true, KeyDoesNotExist},
		{"timeout", "", true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHost()
			n := testNode(h)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			type result struct {
				m   Message
				err error
			}
			done := make(chan result, 1)
			go func() {
				m, err := n.SyncRPC(ctx, "n2", map[string]any{"type": "read"})
				done <- result{m, err}
			}()
			s := waitSent(t, h)
			assert.Equal(t, int32(2), s.to)
			if tt.reply != "" {
				assert.True(t, n.deliver(2, []byte(`{"src":"n2","dest":"n1","body":`+tt.reply+`}`)))
			}
			r := <-done
			if !tt.wantErr {
				require.NoError(t, r.err)
				assert.Equal(t, "read_ok", r.m.Type())
				return
			}
			require.Error(t, r.err)
			assert.Equal(t, tt.wantCode, ErrorCode(r.err))
			if tt.reply == "" {
				assert.ErrorIs(t, r.err, context.DeadlineExceeded)
				n.mu.Lock()
				assert.Empty(t, n.callbacks, "a timed-out SyncRPC leaves no callback")
				n.mu.Unlock()
			}
		})
	}
	n := testNode(newFakeHost())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := n.SyncRPC(ctx, "n2", map[string]any{"type": "read"})
	assert.ErrorIs(t, err, context.Canceled)
}

// Reference: upstream's Node.Run returns "No handler for ..." for a message
// of a type with no handler, with or without msg_id; the node stops, and
// its crash reason names the type.
func TestNoHandlerStopsTheNodeAsUpstreamDoes(t *testing.T) {
	for _, msg := range []string{
		`{"src":"c0","dest":"n1","body":{"type":"nope","msg_id":3}}`,
		`{"src":"c0","dest":"n1","body":{"type":"nope"}}`,
		`{"src":"c0","dest":"n1","body":{"msg_id":3,"type":"no\u0070e"}}`, // the slow path
	} {
		h := newFakeHost()
		n := testNode(h)
		assert.Panics(t, func() { n.deliver(3, []byte(msg)) })
		require.Len(t, h.stops, 1)
		assert.Equal(t, `maelstrom: no handler for message type "nope": `+msg, h.stops[0])
	}
}

// A handler that panics names its message type to the host before the
// panic goes on; one that returns does not.
func TestHandlerPanicNamesItsType(t *testing.T) {
	h := newFakeHost()
	n := testNode(h)
	n.HandleInline("boom", func(Message) error { panic("boom") })
	n.HandleInline("fine", func(Message) error { return nil })
	n.deliver(3, []byte(`{"src":"c0","dest":"n1","body":{"type":"fine"}}`))
	assert.Empty(t, h.panics)
	assert.PanicsWithValue(t, "boom", func() { n.deliver(3, []byte(`{"src":"c0","dest":"n1","body":{"type":"boom"}}`)) })
	assert.Equal(t, []string{"boom"}, h.panics)
}

// Reference: upstream's Message.RPCError: a body is an error when its code
// is not 0, whatever its type.
func TestRPCErrorFollowsTheCode(t *testing.T) {
	assert.Nil(t, Message{Body: []byte(`{"type":"error","code":0,"text":"timeout"}`)}.RPCError())
	assert.Equal(t, &RPCError{Code: 22, Text: "cas"}, Message{Body: []byte(`{"type":"cas_ok","code":22,"text":"cas"}`)}.RPCError())
	assert.Nil(t, Message{Body: []byte(`{"type":"read_ok","value":1}`)}.RPCError())
}

func TestDeliver(t *testing.T) {
	tests := []struct {
		name     string
		from     int32
		msg      string
		wantWait bool
		wantSent string // body of the one message sent in response, "" for none
		wantSrc  string // the handler's msg.Src
	}{
		{"inline handler", 3, `{"src":"c0","dest":"n1","body":{"type":"inline","msg_id":1}}`, false, `{"type":"inline_ok","in_reply_to":1}`, "c0"},
		{"inline handler starting a goroutine", 3, `{"src":"c0","dest":"n1","body":{"type":"spawn","msg_id":1}}`, true, `{"type":"spawn_ok","in_reply_to":1}`, "c0"},
		{"goroutine handler", 3, `{"src":"c0","dest":"n1","body":{"type":"slow","msg_id":2}}`, true, `{"type":"slow_ok","in_reply_to":2}`, "c0"},
		{"reply with no callback", 0, `{"src":"n0","dest":"n1","body":{"type":"x_ok","in_reply_to":77}}`, false, "", ""},
		{"reply with no callback but a handler", 0, `{"src":"n0","dest":"n1","body":{"type":"inline","in_reply_to":77}}`, false, `{"type":"inline_ok"}`, "n0"},
		{"handler error", 3, `{"src":"c0","dest":"n1","body":{"type":"fail","msg_id":4}}`, false, `{"type":"error","code":13,"text":"boom","in_reply_to":4}`, "c0"},
		{"handler RPC error", 3, `{"src":"c0","dest":"n1","body":{"type":"rpcfail","msg_id":5}}`, false, `{"type":"error","code":22,"text":"cas","in_reply_to":5}`, "c0"},
		{"handler error without msg_id", 3, `{"src":"c0","dest":"n1","body":{"type":"fail"}}`, false, "", "c0"},
		{"forged src: the host's index wins", 4, `{"src":"n0","dest":"n1","body":{"type":"inline","msg_id":1}}`, false, `{"type":"inline_ok","in_reply_to":1}`, "c1"},
		{"forged src on the slow path", 2, `{"src":"n\u0030","dest":"n1","body":{"type":"inline","msg_id":1}}`, false, `{"type":"inline_ok","in_reply_to":1}`, "n2"},
		{"src missing: taken from the index", 4, `{"dest":"n1","body":{"type":"inline","msg_id":1}}`, false, `{"type":"inline_ok","in_reply_to":1}`, "c1"},
		{"slow path (escapes)", 3, `{"src":"c0","dest":"n1","body":{"type":"inl\u0069ne","msg_id":6}}`, false, `{"type":"inline_ok","in_reply_to":6}`, "c0"},
		{"not JSON", 3, `hello`, false, "", ""},
		{"body not an object", 3, `{"src":"c0","dest":"n1","body":"x"}`, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHost()
			n := testNode(h)
			// Count only the goroutines the handlers start: on the host,
			// runtime.NumGoroutine also sees the test runner's come and go.
			var started atomic.Int32
			n.goroutines = func() int { return int(started.Load()) }
			srcs := make(chan string, 1)
			ok := func(typ string) HandlerFunc {
				return func(m Message) error {
					srcs <- m.Src
					return n.Reply(m, MessageBody{Type: typ + "_ok"})
				}
			}
			n.HandleInline("inline", ok("inline"))
			n.Handle("slow", ok("slow"))
			// The goroutine waits for gate so that, with real threads, it
			// cannot finish before deliver counts goroutines again (in a
			// wasm guest it cannot run before the handler returns).
			gate := make(chan struct{})
			defer close(gate)
			n.HandleInline("spawn", func(m Message) error {
				srcs <- m.Src
				started.Add(1)
				go func() {
					<-gate
					_ = n.Reply(m, MessageBody{Type: "spawn_ok"})
				}()
				return nil
			})
			n.HandleInline("fail", func(m Message) error { srcs <- m.Src; return errors.New("boom") })
			n.HandleInline("rpcfail", func(m Message) error { srcs <- m.Src; return NewRPCError(PreconditionFailed, "cas") })

			assert.Equal(t, tt.wantWait, n.deliver(tt.from, []byte(tt.msg)))
			if tt.name == "inline handler starting a goroutine" {
				gate <- struct{}{}
			}
			if tt.wantSrc != "" {
				select {
				case src := <-srcs:
					assert.Equal(t, tt.wantSrc, src)
				case <-time.After(5 * time.Second):
					t.Fatal("handler not called")
				}
			} else {
				assert.Empty(t, srcs, "no handler runs")
			}
			if tt.wantSent == "" {
				time.Sleep(10 * time.Millisecond)
				assert.Empty(t, h.sent())
				return
			}
			m, _ := envelope(t, waitSent(t, h))
			assert.JSONEq(t, tt.wantSent, string(m.Body))
		})
	}
}

func TestInlineRunsInTheCall(t *testing.T) {
	h := newFakeHost()
	n := testNode(h)
	ran := false
	n.HandleInline("t", func(m Message) error { ran = true; return nil })
	assert.False(t, n.deliver(3, []byte(`{"src":"c0","dest":"n1","body":{"type":"t"}}`)))
	assert.True(t, ran, "an inline handler has run when deliver returns")
}

func TestHandleDuplicatePanics(t *testing.T) {
	n := newNode(nil)
	n.Handle("a", func(Message) error { return nil })
	assert.Panics(t, func() { n.Handle("a", func(Message) error { return nil }) })
	assert.Panics(t, func() { n.HandleInline("a", func(Message) error { return nil }) })
	assert.Panics(t, func() { n.Handle("b", nil) })
}

func TestInitHandler(t *testing.T) {
	h := newFakeHost()
	n := testNode(h)
	var got map[string]any
	n.Handle("init", func(m Message) error {
		require.NoError(t, json.Unmarshal(m.Body, &got))
		return n.Reply(m, MessageBody{Type: "init_ok"})
	})
	n.runInitHandler()
	assert.Equal(t, "n1", got["node_id"])
	assert.Equal(t, []any{"n0", "n1", "n2"}, got["node_ids"])
	assert.Empty(t, h.sent(), "the reply to the synthetic init goes nowhere")
}

func TestLogAndEmit(t *testing.T) {
	h := newFakeHost()
	n := testNode(h)
	n.Log("x=%d", 4)
	n.Logf(LevelError, "bad %s", "thing")
	n.Emit("decide", map[string]any{"txn": 7})
	n.Emit("s", "a\"b")
	n.Emit("i", 42)
	n.Emit("raw", json.RawMessage(`[1]`))
	n.SetState(struct {
		Locks []string `json:"locks"`
	}{[]string{"k4"}})
	assert.Equal(t, []string{"x=4", "bad thing"}, h.logs)
	assert.Equal(t, []string{`decide={"txn":7}`, `s="a\"b"`, `i=42`, `raw=[1]`, `state={"locks":["k4"]}`}, h.emits)
	h.clock = 1_500
	assert.Equal(t, int64(1_500), n.Now().UnixNano())
}

func TestNoHost(t *testing.T) {
	n := newNode(nil)
	assert.ErrorIs(t, n.Send("n0", MessageBody{Type: "x"}), errNoHost)
	_, _, err := n.Store().Get("k")
	assert.ErrorIs(t, err, errNoHost)
	assert.True(t, n.Now().IsZero())
	assert.EqualError(t, NewNode().Run(), "maelstrom: Run needs GOOS=wasip1 GOARCH=wasm")
}

func TestWorkerPool(t *testing.T) {
	n := testNode(newFakeHost())
	started := make(chan struct{}, 64)
	release := make(chan struct{})
	done := make(chan struct{}, 64)
	n.Handle("block", func(Message) error {
		started <- struct{}{}
		<-release
		done <- struct{}{}
		return nil
	})
	msg := []byte(`{"src":"c0","dest":"n1","body":{"type":"block"}}`)
	const k = maxIdleWorkers + 4
	for i := 0; i < k; i++ {
		assert.True(t, n.deliver(3, msg))
	}
	for i := 0; i < k; i++ {
		select {
		case <-started: // every handler runs at once: blocked ones do not hold up others
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d handlers started", i, k)
		}
	}
	close(release)
	for i := 0; i < k; i++ {
		<-done
	}
	idle := func() int {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.idleWorkers
	}
	assert.Eventually(t, func() bool { return idle() == maxIdleWorkers }, 5*time.Second, time.Millisecond,
		"finished workers park, at most maxIdleWorkers of them")

	hold := make(chan struct{})
	n.Handle("hold", func(Message) error {
		started <- struct{}{}
		<-hold
		return nil
	})
	assert.True(t, n.deliver(3, []byte(`{"src":"c0","dest":"n1","body":{"type":"hold"}}`)))
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("a parked worker did not take the job")
	}
	assert.Equal(t, maxIdleWorkers-1, idle(), "the job went to a parked worker")
	close(hold)
	assert.Eventually(t, func() bool { return idle() == maxIdleWorkers }, 5*time.Second, time.Millisecond)
}

// hostSpan packs where field lies in msg as on_envelope does.
func hostSpan(msg, field string) int64 {
	i := strings.Index(msg, field)
	return int64(i)<<32 | int64(len(field))
}

// TestDeliverRead: on_envelope's path uses what the host read (its ids,
// here a msg_id the envelope does not have, to tell the paths apart), and
// reads the envelope itself when a span does not fit the message.
func TestDeliverRead(t *testing.T) {
	const msg = `{"src":"c0","dest":"n1","body":{"type":"inline","msg_id":1}}`
	body, typ := hostSpan(msg, `{"type":"inline","msg_id":1}`), hostSpan(msg, "inline")
	tests := []struct {
		name             string
		src, dest, body  int64
		typ, msgID       int64
		wantInReplyTo    int
		wantHandlerCalls int
	}{
		{"the host's reading", hostSpan(msg, "c0"), hostSpan(msg, "n1"), body, typ, 9, 9, 1},
		{"type span past the end", 0, 0, body, int64(len(msg))<<32 | 1, 9, 1, 1},
		{"body span longer than the message", 0, 0, 1<<32 | int64(len(msg)), typ, 9, 1, 1},
		{"no body span", 0, 0, 0, typ, 9, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHost()
			n := testNode(h)
			calls := 0
			n.HandleInline("inline", func(m Message) error {
				calls++
				assert.Equal(t, "c0", m.Src)
				assert.Equal(t, "n1", m.Dest)
				return n.Reply(m, MessageBody{Type: "inline_ok"})
			})
			assert.False(t, n.deliverRead(3, []byte(msg), tt.src, tt.dest, tt.body, tt.typ, tt.msgID, 0))
			assert.Equal(t, tt.wantHandlerCalls, calls)
			m, _ := envelope(t, waitSent(t, h))
			assert.JSONEq(t, fmt.Sprintf(`{"type":"inline_ok","in_reply_to":%d}`, tt.wantInReplyTo), string(m.Body))
		})
	}
}

// TickInline arms a host timer per tick: each firing runs the function
// once and arms the next tick with the same interval; an unknown timer id
// runs nothing; a bad interval panics, and without a host it is an error.
func TestTickInline(t *testing.T) {
	h := newFakeHost()
	n := testNode(h)
	ticks := 0
	require.NoError(t, n.TickInline(100*time.Millisecond, func() { ticks++ }))
	require.Equal(t, []int64{int64(100 * time.Millisecond)}, h.timers)

	assert.False(t, n.fire(1), "an inline tick that starts no goroutine needs no idle point")
	assert.Equal(t, 1, ticks)
	require.Len(t, h.timers, 2, "the next tick is armed when one fires")
	assert.Equal(t, int64(100*time.Millisecond), h.timers[1])

	assert.False(t, n.fire(1), "a timer that fired already is not a ticker's any more")
	assert.Equal(t, 1, ticks)
	assert.False(t, n.fire(99))
	assert.Equal(t, 1, ticks)
	assert.False(t, n.fire(2))
	assert.Equal(t, 2, ticks)

	started := 0
	n.goroutines = func() int { return started }
	require.NoError(t, n.TickInline(time.Second, func() { started++ }))
	assert.True(t, n.fire(int64(len(h.timers))), "a tick that starts a goroutine waits for the idle point")

	assert.Panics(t, func() { _ = n.TickInline(0, func() {}) })
	assert.Panics(t, func() { _ = n.TickInline(time.Second, nil) })
	assert.ErrorIs(t, newNode(nil).TickInline(time.Second, func() {}), errNoHost)
}
