package nodes_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/limits"
)

// fakeEngine makes fakeGuests: a node's lifecycle and quotas run without
// the Wasm engine.
type fakeEngine struct {
	quotas limits.Quotas
	made   []*fakeGuest
}

func (e *fakeEngine) Instantiate(_ context.Context, _ nodes.Module, host abi.Host, _ abi.Clock, _ func([]byte)) (nodes.Guest, error) {
	g := &fakeGuest{host: host}
	e.made = append(e.made, g)
	return g, nil
}

func (e *fakeEngine) Quotas() limits.Quotas { return e.quotas }

// fakeGuest remembers its init document; a message "timers" sets three
// timers, "boom" crashes it.
type fakeGuest struct {
	host   abi.Host
	init   []byte
	closed bool
}

func (g *fakeGuest) Init(doc []byte) error { g.init = doc; return nil }
func (g *fakeGuest) Message(_ int32, msg []byte) (err error) {
	// A host function ends the call with abi.Stop; a guest turns that
	// into its crash, as the Wasm instance does.
	defer func() {
		if r := recover(); r != nil {
			ce, ok := abi.Stopped(r)
			if !ok {
				panic(r)
			}
			err = ce
		}
	}()
	switch string(msg) {
	case "boom":
		return &abi.CrashError{Reason: "panic: boom"}
	case "timers":
		for range 3 {
			g.host.TimerSet(1000)
		}
	}
	return nil
}
func (g *fakeGuest) Timer(int64) error   { return nil }
func (g *fakeGuest) Wake() error         { return nil }
func (g *fakeGuest) Idle() (bool, int64) { return false, -1 }
func (g *fakeGuest) HasWake() bool       { return false }
func (g *fakeGuest) Close()              { g.closed = true }

func fakeNode(t *testing.T, q limits.Quotas) (*nodes.Node, *fakeEngine) {
	t.Helper()
	st, err := nodes.OpenStore("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	eng := &fakeEngine{quotas: q}
	n := nodes.New(nodes.Spec{Name: "n0", Peers: []string{"n0"}, Module: fakeModule("fake")}, &kernel{}, eng, st, rand.New(rand.NewPCG(1, 2)))
	return n, eng
}

func TestLifecycleWithAFakeGuest(t *testing.T) {
	n, eng := fakeNode(t, limits.DefaultQuotas())
	ctx := context.Background()
	require.NoError(t, n.Boot(ctx))
	assert.Equal(t, nodes.Running, n.State())
	require.Len(t, eng.made, 1)
	var doc struct {
		Restart bool `json:"restart"`
	}
	require.NoError(t, json.Unmarshal(eng.made[0].init, &doc))
	assert.False(t, doc.Restart)

	require.NoError(t, n.Deliver(1, []byte("boom")), "a guest's crash is the node's, not an error")
	assert.Equal(t, nodes.Crashed, n.State())
	assert.Equal(t, "panic: boom", n.CrashReason())
	assert.True(t, eng.made[0].closed, "a crash destroys the instance")

	require.NoError(t, n.Boot(ctx))
	require.Len(t, eng.made, 2, "a restart builds a fresh guest")
	require.NoError(t, json.Unmarshal(eng.made[1].init, &doc))
	assert.True(t, doc.Restart)
	assert.Equal(t, 2, n.Incarnation())
}

func TestPendingTimersQuotaWithAFakeGuest(t *testing.T) {
	q := limits.DefaultQuotas()
	q.PendingTimers = 2
	n, _ := fakeNode(t, q)
	require.NoError(t, n.Boot(context.Background()))
	require.NoError(t, n.Deliver(1, []byte("timers")))
	assert.Equal(t, nodes.Crashed, n.State(), "the third timer is over the engine's quota")
	assert.Contains(t, n.CrashReason(), "pending_timers")
}

// fakeModule is a module only the fake engine understands.
type fakeModule string

func (m fakeModule) Name() string { return string(m) }
