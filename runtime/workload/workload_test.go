package workload_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// fakeEnv is a tiny event loop: callbacks sorted by (time, order added).
type fakeEnv struct {
	now  time.Duration
	seq  int
	todo []fakeEvent
	hist []history.Op
}

type fakeEvent struct {
	at  time.Duration
	seq int
	fn  func()
}

func (e *fakeEnv) Now() time.Duration { return e.now }
func (e *fakeEnv) At(t time.Duration, fn func()) {
	e.seq++
	e.todo = append(e.todo, fakeEvent{at: max(t, e.now), seq: e.seq, fn: fn})
}
func (e *fakeEnv) After(d time.Duration, fn func()) { e.At(e.now+d, fn) }
func (e *fakeEnv) Index(name string) (int32, bool)  { return 0, name == "n0" }

func (e *fakeEnv) run(until time.Duration) {
	for len(e.todo) > 0 {
		sort.Slice(e.todo, func(i, j int) bool {
			a, b := e.todo[i], e.todo[j]
			return a.at < b.at || (a.at == b.at && a.seq < b.seq)
		})
		ev := e.todo[0]
		if ev.at > until {
			return
		}
		e.todo = e.todo[1:]
		e.now = ev.at
		ev.fn()
	}
}

// echoClient answers every echo request 1ms later, as a correct node would.
type echoClient struct {
	env  *fakeEnv
	name string
}

func (c echoClient) Name() string { return c.name }
func (c echoClient) Call(to string, body map[string]any, _ time.Duration, done func(history.Reply)) error {
	b, err := json.Marshal(map[string]any{"type": "echo_ok", "echo": body["echo"]})
	if err != nil {
		return err
	}
	c.env.After(time.Millisecond, func() { done(history.Reply{Body: b, Type: "echo_ok", Latency: time.Millisecond}) })
	return nil
}
func (c echoClient) Invoke(f string, value any, node string) int {
	return c.record(history.OpInvoke, f, value, node, "")
}
func (c echoClient) Complete(typ, f string, value any, node, errText string) int {
	return c.record(typ, f, value, node, errText)
}
func (c echoClient) record(typ, f string, value any, node, errText string) int {
	v, _ := json.Marshal(value)
	c.env.hist = append(c.env.hist, history.Op{Index: len(c.env.hist), Type: typ, F: f, Value: v, Node: node, Error: errText, Time: int64(c.env.now)})
	return len(c.env.hist) - 1
}

func TestEchoRunsOnAnyEnv(t *testing.T) {
	env := &fakeEnv{}
	w, err := workload.Get("echo")
	require.NoError(t, err)
	end, err := w.Start(env, workload.Spec{Clients: []workload.Client{echoClient{env, "c0"}}, Targets: []string{"n0"},
		Duration: 100 * time.Millisecond, Interval: 10 * time.Millisecond, Timeout: time.Second, Rand: rand.New(rand.NewPCG(1, 2))})
	require.NoError(t, err)
	assert.Equal(t, 1100*time.Millisecond, end, "duration plus one timeout")
	env.run(end)
	done, open := history.Pairs(env.hist)
	assert.Empty(t, open)
	require.Len(t, done, 10, "one operation every 11ms (1ms reply, 10ms interval) within 100ms")
	for _, p := range done {
		assert.Equal(t, history.OpOK, p[1].Type)
		assert.JSONEq(t, string(p[0].Value), string(p[1].Value))
	}
}

func TestGetUnknown(t *testing.T) {
	_, err := workload.Get("nope")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `workload: unknown workload "nope"`)
}

// Example runs the built-in echo workload on a hand-made environment: a
// workload sees only a clock, a scheduler and its clients.
func Example() {
	env := &fakeEnv{}
	w, err := workload.Get("echo")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = w.Start(env, workload.Spec{Clients: []workload.Client{echoClient{env, "c0"}}, Targets: []string{"n0"},
		Duration: 25 * time.Millisecond, Interval: 10 * time.Millisecond, Timeout: time.Second, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		fmt.Println(err)
		return
	}
	env.run(time.Second)
	for _, op := range env.hist {
		fmt.Println(time.Duration(op.Time), op.Type, op.F, string(op.Value))
	}
	// Output:
	// 0s invoke echo "c0-1"
	// 1ms ok echo "c0-1"
	// 11ms invoke echo "c0-2"
	// 12ms ok echo "c0-2"
	// 22ms invoke echo "c0-3"
	// 23ms ok echo "c0-3"
}

// A workload section's clients are c0 to c{Clients-1}, spelled exactly.
func TestSectionClients(t *testing.T) {
	w := &workload.Section{Type: "echo", Clients: 2}
	for name, want := range map[string]bool{"c0": true, "c1": true, "c2": false, "c01": false, "c-0": false, "n0": false, "c": false} {
		assert.Equal(t, want, w.HasClient(name), name)
	}
	assert.Equal(t, "clients: c0 to c1", w.ClientsHint())
	assert.False(t, (&workload.Section{Clients: 2}).HasClient("c0"), "no type: no section, no clients")
	assert.Equal(t, "no clients", (&workload.Section{}).ClientsHint())
}
