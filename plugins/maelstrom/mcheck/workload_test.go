package mcheck

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/wasmhost"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

func TestWorkloadParamsAreValidated(t *testing.T) {
	for name, tc := range map[string]struct {
		workload, params, want string
	}{
		"settle":         {"g-set", `{"settle":"soon"}`, `workload g-set: params.settle "soon" is not a duration`},
		"counter settle": {"pn-counter", `{"settle":"-1s"}`, `workload pn-counter: params.settle "-1s" is not a duration`},
		"topology":       {"maelstrom-broadcast", `{"topology":"mesh"}`, `workload maelstrom-broadcast: params.topology: "mesh" is not one of grid`},
		"key count":      {"lin-kv", `{"key_count":0}`, "workload lin-kv: params.key_count must be at least 1, got 0"},
		"kafka keys":     {"kafka", `{"key_count":-2}`, "workload kafka: params.key_count must be at least 1, got -2"},
		"txn length":     {"txn-list-append", `{"max_txn_length":0}`, "workload txn-list-append: params.key_count and params.max_txn_length must be at least 1"},
		"not an object":  {"unique-ids", `[1]`, ""},
		"wrong type":     {"g-counter", `{"settle":5}`, "workload g-counter: params: json: cannot unmarshal number"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := sim.New(context.Background(), sim.NewConfig())
			require.NoError(t, err)
			defer s.Close()
			_, err = s.AddNodes(sim.NodeSpec{Name: "n0", Native: func(wasmhost.Host, int32, []byte) {}})
			require.NoError(t, err)
			cs, err := s.AddClients(1)
			require.NoError(t, err)
			_, err = Workloads()[tc.workload].Start(s, workload.Spec{Clients: cs, Targets: []string{"n0"}, Duration: time.Second,
				Interval: time.Millisecond, Timeout: time.Second, Params: json.RawMessage(tc.params), Rand: sim.Stream(1, "workload")})
			if tc.want == "" {
				assert.NoError(t, err, "unique-ids has no params to check")
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestBroadcastSendsTopologyFirst: every node answers its topology message
// before the first operation is invoked, and the topology is the grid.
func TestBroadcastSendsTopologyFirst(t *testing.T) {
	s, err := sim.New(context.Background(), sim.NewConfig())
	require.NoError(t, err)
	defer s.Close()
	var got []map[string][]string
	var firstOp time.Duration = -1
	for i := range 4 {
		_, err = s.AddNodes(sim.NodeSpec{Name: []string{"n0", "n1", "n2", "n3"}[i], Native: func(h wasmhost.Host, from int32, msg []byte) {
			var env struct {
				Src  string `json:"src"`
				Dest string `json:"dest"`
				Body struct {
					Type     string              `json:"type"`
					MsgID    int                 `json:"msg_id"`
					Topology map[string][]string `json:"topology"`
				} `json:"body"`
			}
			require.NoError(t, json.Unmarshal(msg, &env))
			if env.Body.Type == "topology" {
				got = append(got, env.Body.Topology)
			} else if firstOp < 0 {
				firstOp = time.Duration(h.Now())
				assert.Len(t, got, 4, "an operation came before every node had its topology")
			}
			reply, _ := json.Marshal(map[string]any{"src": env.Dest, "dest": env.Src, "body": map[string]any{"type": env.Body.Type + "_ok", "in_reply_to": env.Body.MsgID, "messages": []int{}}})
			h.Send(from, reply)
		}})
		require.NoError(t, err)
	}
	cs, err := s.AddClients(2)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	end, err := broadcast{}.Start(s, workload.Spec{Clients: cs, Targets: []string{"n0", "n1", "n2", "n3"}, Duration: time.Second,
		Interval: 10 * time.Millisecond, Timeout: 100 * time.Millisecond, Rand: sim.Stream(1, "workload")})
	require.NoError(t, err)
	require.NoError(t, s.RunUntil(end))
	require.Len(t, got, 4)
	assert.Equal(t, map[string][]string{"n0": {"n1", "n2"}, "n1": {"n0", "n3"}, "n2": {"n0", "n3"}, "n3": {"n1", "n2"}}, got[0])
	assert.Positive(t, firstOp)
	r := Broadcast(check.Input{History: s.History(), Nodes: []string{"n0", "n1", "n2", "n3"}})
	assert.Equal(t, check.Invalid, r.Verdict, "these nodes acknowledge and forget: every broadcast is lost")
	assert.Contains(t, r.Summary, "acknowledged messages lost")
}

// counterNode is a native g-counter node that answers add and read; from
// silentFrom on, a node listed in silent answers nothing.
func counterNode(t *testing.T, name string, silent map[string]bool, silentFrom time.Duration) sim.NodeSpec {
	return sim.NodeSpec{Name: name, Native: func(h wasmhost.Host, from int32, msg []byte) {
		if silent[name] && time.Duration(h.Now()) >= silentFrom {
			return
		}
		var env struct {
			Src, Dest string
			Body      struct {
				Type  string `json:"type"`
				MsgID int    `json:"msg_id"`
			} `json:"body"`
		}
		require.NoError(t, json.Unmarshal(msg, &env))
		reply, _ := json.Marshal(map[string]any{"src": env.Dest, "dest": env.Src, "body": map[string]any{"type": env.Body.Type + "_ok", "in_reply_to": env.Body.MsgID, "value": 0}})
		h.Send(from, reply)
	}}
}

// Reference: Maelstrom's final phase (src/maelstrom/core.clj,
// maelstrom-test): gen/phases waits for every operation in flight, then
// after the recovery sleep each client thread reads once
// (gen/each-thread), from the node Jepsen binds it to (worker i, node i
// mod n), and a read that times out is not retried.
func TestFinalPhase(t *testing.T) {
	for name, start := range map[string]time.Duration{"after operations": 0, "no operations (--rate 0)": time.Second} {
		t.Run(name, func(t *testing.T) {
			s, err := sim.New(context.Background(), sim.NewConfig())
			require.NoError(t, err)
			defer s.Close()
			silent := map[string]bool{"n1": true}
			for _, n := range []string{"n0", "n1"} {
				_, err = s.AddNodes(counterNode(t, n, silent, 950*time.Millisecond))
				require.NoError(t, err)
			}
			cs, err := s.AddClients(3)
			require.NoError(t, err)
			require.NoError(t, s.Start())
			const settle = 10 * time.Second
			end, err := counter{name: "g-counter"}.Start(s, workload.Spec{Clients: cs, Targets: []string{"n0", "n1"}, Duration: time.Second, Start: start,
				Interval: 40 * time.Millisecond, Timeout: 300 * time.Millisecond, Params: json.RawMessage(`{"settle":"10s"}`), Rand: sim.Stream(1, "workload")})
			require.NoError(t, err)
			require.NoError(t, s.RunUntil(end))
			var lastMain int64
			var finals []sim.Op
			for _, op := range s.History() {
				if isFinal(op.Value) && op.Type == sim.OpInvoke {
					finals = append(finals, op)
				}
			}
			require.Len(t, finals, 3, "one final read per client, no retry")
			for _, op := range s.History() {
				if op.Type != sim.OpInvoke && op.Time < finals[0].Time {
					lastMain = max(lastMain, op.Time)
				}
			}
			want := time.Duration(lastMain) + settle
			if start > 0 {
				assert.Zero(t, lastMain, "--rate 0 ran operations")
				want = time.Second + settle
			} else {
				assert.Greater(t, time.Duration(lastMain), time.Second, "an operation on the silent node was in flight at the limit")
			}
			for i, op := range finals {
				assert.Equal(t, want, time.Duration(op.Time), "final read %d", i)
				assert.Equal(t, []string{"n0", "n1", "n0"}[i], op.Node, "client %d reads its own node", i)
			}
			r := Counter(check.Input{History: s.History(), Nodes: []string{"n0", "n1"}})
			assert.Equal(t, 2, r.Details["final_reads"], "the silent node's final read timed out and does not count")
		})
	}
}
