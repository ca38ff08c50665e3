package mcheck

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

func TestWorkloadParamsAreValidated(t *testing.T) {
	for name, tc := range map[string]struct {
		workload, params, want string
	}{
		"settle":         {"g-set", `{"settle":"soon"}`, `workload g-set: params.settle "soon" is not a duration`},
		"counter settle": {"pn-counter", `{"settle":"-1s"}`, `workload pn-counter: params.settle "-1s" is not a duration`},
		"topology":       {"maelstrom-broadcast", `{"topology":"mesh"}`, `workload maelstrom-broadcast: params.topology: "mesh" is not one of grid`},
		"lin-kv clients": {"lin-kv", `{}`, "workload lin-kv: 1 clients for 1 nodes: Maelstrom's lin-kv runs each key with 2 clients (twice the nodes; jepsen.independent/concurrent-generator), so clients must be a multiple of 2 (terrarium test: --concurrency 2n)"},
		"kafka writes":   {"kafka", `{"max_writes_per_key":0}`, "workload kafka: params.max_writes_per_key must be at least 1, got 0"},
		"kafka keys":     {"kafka", `{"key_count":-2}`, "workload kafka: params.key_count must be at least 1, got -2"},
		"txn length":     {"txn-list-append", `{"max_txn_length":0}`, "workload txn-list-append: params.key_count, params.max_txn_length and params.max_writes_per_key must be at least 1"},
		"not an object":  {"unique-ids", `[1]`, ""},
		"wrong type":     {"g-counter", `{"settle":5}`, "workload g-counter: params: json: cannot unmarshal number"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := sim.New(context.Background(), sim.NewConfig())
			require.NoError(t, err)
			defer s.Close()
			_, err = s.AddNodes(sim.NodeSpec{Name: "n0", Native: func(abi.Host, int32, []byte) {}})
			require.NoError(t, err)
			cs, err := s.AddClients(1)
			require.NoError(t, err)
			_, err = Plugin().Workloads[tc.workload].Start(s, workload.Spec{Clients: asClients(cs), Targets: []string{"n0"}, Duration: time.Second,
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
		_, err = s.AddNodes(sim.NodeSpec{Name: []string{"n0", "n1", "n2", "n3"}[i], Native: func(h abi.Host, from int32, msg []byte) {
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
	end, err := broadcast{}.Start(s, workload.Spec{Clients: asClients(cs), Targets: []string{"n0", "n1", "n2", "n3"}, Duration: time.Second,
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

// nativeServer runs handle on every message a node gets and replies with
// what it returns (a body; nil: no reply).
func nativeServer(t *testing.T, s *sim.Sim, name string, handle func(body map[string]any) map[string]any) {
	t.Helper()
	_, err := s.AddNodes(sim.NodeSpec{Name: name, Native: func(h abi.Host, from int32, msg []byte) {
		var env struct {
			Src  string         `json:"src"`
			Dest string         `json:"dest"`
			Body map[string]any `json:"body"`
		}
		require.NoError(t, json.Unmarshal(msg, &env))
		out := handle(env.Body)
		if out == nil {
			return
		}
		out["in_reply_to"] = env.Body["msg_id"]
		reply, _ := json.Marshal(map[string]any{"src": env.Dest, "dest": env.Src, "body": out})
		h.Send(from, reply)
	}})
	require.NoError(t, err)
}

// TestLinKVGeneratorAsJepsens: clients work in groups of twice the
// nodes; the first half of a group only reads, the other half writes or
// cas (one to two); a group stays on one key until 20 processes have used
// it, and a client that timed out is a new process.
func TestLinKVGeneratorAsJepsens(t *testing.T) {
	run := func(answer bool) []history.Op {
		s, err := sim.New(context.Background(), sim.NewConfig())
		require.NoError(t, err)
		defer s.Close()
		for _, n := range []string{"n0", "n1"} {
			nativeServer(t, s, n, func(b map[string]any) map[string]any {
				if !answer {
					return nil
				}
				if b["type"] == "read" {
					return map[string]any{"type": "error", "code": 20}
				}
				return map[string]any{"type": b["type"].(string) + "_ok"}
			})
		}
		cs, err := s.AddClients(4)
		require.NoError(t, err)
		require.NoError(t, s.Start())
		end, err := linKV{}.Start(s, workload.Spec{Clients: asClients(cs), Targets: []string{"n0", "n1"}, Duration: 3 * time.Second,
			Interval: 10 * time.Millisecond, Timeout: 50 * time.Millisecond, Rand: sim.Stream(1, "workload")})
		require.NoError(t, err)
		require.NoError(t, s.RunUntil(end))
		return s.History()
	}
	fs := map[int]map[string]int{}
	keys := map[string]bool{}
	for _, op := range run(true) {
		if op.Type != history.OpInvoke {
			continue
		}
		if fs[op.Process] == nil {
			fs[op.Process] = map[string]int{}
		}
		fs[op.Process][op.F]++
		var v struct {
			Key string `json:"key"`
		}
		require.NoError(t, json.Unmarshal(op.Value, &v))
		keys[v.Key] = true
	}
	require.Len(t, fs, 4)
	procs := sortedProcs(fs)
	for _, p := range procs[:2] {
		assert.Equal(t, []string{"read"}, sortedKeys(fs[p]), "process %d is a reader", p)
	}
	for _, p := range procs[2:] {
		assert.Equal(t, []string{"cas", "write"}, sortedKeys(fs[p]), "process %d writes", p)
		assert.Greater(t, fs[p]["cas"], fs[p]["write"], "cas is twice as likely as write")
	}
	assert.Equal(t, map[string]bool{"0": true}, keys, "no process was replaced: one key all run")

	keys = map[string]bool{}
	for _, op := range run(false) {
		var v struct {
			Key string `json:"key"`
		}
		if op.Type == history.OpInvoke && json.Unmarshal(op.Value, &v) == nil {
			keys[v.Key] = true
		}
	}
	assert.Greater(t, len(keys), 2, "every timeout makes a new process, and 20 processes move the group to a new key")
}

func sortedProcs(m map[int]map[string]int) []int {
	var out []int
	for p := range m {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// TestKafkaClientPollsFromTheCommittedOffset: after an assign, a key the
// client did not hold is polled from the committed offset listed for it
// (Maelstrom's (or (offsets k) (committed k) 0)), not the one after it;
// a server that lists 0 for keys never committed loses nothing, and
// listing it is a finding, not a failure.
func TestKafkaClientPollsFromTheCommittedOffset(t *testing.T) {
	s, err := sim.New(context.Background(), sim.NewConfig())
	require.NoError(t, err)
	defer s.Close()
	logs := map[string][]any{}
	committed := map[string]float64{}
	nativeServer(t, s, "n0", func(b map[string]any) map[string]any {
		switch b["type"] {
		case "send":
			k := b["key"].(string)
			logs[k] = append(logs[k], b["msg"])
			return map[string]any{"type": "send_ok", "offset": len(logs[k]) - 1}
		case "poll":
			out := map[string]any{}
			for k, from := range b["offsets"].(map[string]any) {
				var ms [][2]any
				for o := int(from.(float64)); o < len(logs[k]); o++ {
					ms = append(ms, [2]any{o, logs[k][o]})
				}
				if len(ms) > 0 {
					out[k] = ms
				}
			}
			return map[string]any{"type": "poll_ok", "msgs": out}
		case "commit_offsets":
			for k, o := range b["offsets"].(map[string]any) {
				committed[k] = max(committed[k], o.(float64))
			}
			return map[string]any{"type": "commit_offsets_ok"}
		case "list_committed_offsets":
			out := map[string]any{}
			for _, k := range b["keys"].([]any) {
				out[k.(string)] = committed[k.(string)] // 0 for a key never committed
			}
			return map[string]any{"type": "list_committed_offsets_ok", "offsets": out}
		}
		return nil
	})
	cs, err := s.AddClients(3)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	end, err := kafka{}.Start(s, workload.Spec{Clients: asClients(cs), Targets: []string{"n0"}, Duration: 20 * time.Second,
		Interval: 10 * time.Millisecond, Timeout: 100 * time.Millisecond, Params: json.RawMessage(`{"key_count":2}`), Rand: sim.Stream(3, "workload")})
	require.NoError(t, err)
	require.NoError(t, s.RunUntil(end))
	h := s.History()
	r := Kafka(check.Input{History: h})
	require.Equal(t, check.Valid, r.Verdict, r.Summary)
	require.NotEmpty(t, r.Findings)
	assert.Equal(t, "phantom-commit", r.Findings[0].Name)

	// every assign that listed a key the client did not hold is followed,
	// on that client, by a poll asking for the listed offset itself
	checked := 0
	held := map[int]map[string]bool{}
	for i, op := range h {
		if op.Type != history.OpOK && op.Type != history.OpInfo {
			continue
		}
		if op.Type == history.OpInfo {
			held[op.Process] = nil
		}
		var v struct {
			Keys      []string       `json:"keys"`
			Committed map[string]int `json:"committed"`
		}
		if op.F != "assign" || op.Type != history.OpOK || json.Unmarshal(op.Value, &v) != nil {
			if op.F == "poll" && op.Type == history.OpOK {
				var p struct {
					Msgs map[string]json.RawMessage `json:"msgs"`
				}
				require.NoError(t, json.Unmarshal(op.Value, &p))
				for k := range p.Msgs {
					if held[op.Process] == nil {
						held[op.Process] = map[string]bool{}
					}
					held[op.Process][k] = true
				}
			}
			continue
		}
		for _, next := range h[i+1:] {
			if next.Process != op.Process || next.Type != history.OpInvoke {
				continue
			}
			if next.F == "poll" {
				var p struct {
					Offsets map[string]int `json:"offsets"`
				}
				require.NoError(t, json.Unmarshal(next.Value, &p))
				for _, k := range v.Keys {
					if c, ok := v.Committed[k]; ok && !held[op.Process][k] {
						assert.Equal(t, c, p.Offsets[k], "op %d polls key %s from its committed offset", next.Index, k)
						checked++
					}
				}
			}
			break
		}
		held[op.Process] = map[string]bool{}
		for _, k := range v.Keys {
			held[op.Process][k] = true
		}
	}
	assert.Positive(t, checked, "no assign was followed by a poll")
}

// counterNode is a native g-counter node that answers add and read; from
// silentFrom on, a node listed in silent answers nothing.
func counterNode(t *testing.T, name string, silent map[string]bool, silentFrom time.Duration) sim.NodeSpec {
	return sim.NodeSpec{Name: name, Native: func(h abi.Host, from int32, msg []byte) {
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
			end, err := counter{name: "g-counter"}.Start(s, workload.Spec{Clients: asClients(cs), Targets: []string{"n0", "n1"}, Duration: time.Second, Start: start,
				Interval: 40 * time.Millisecond, Timeout: 300 * time.Millisecond, Params: json.RawMessage(`{"settle":"10s"}`), Rand: sim.Stream(1, "workload")})
			require.NoError(t, err)
			require.NoError(t, s.RunUntil(end))
			var lastMain int64
			var finals []history.Op
			for _, op := range s.History() {
				if isFinal(op.Value) && op.Type == history.OpInvoke {
					finals = append(finals, op)
				}
			}
			require.Len(t, finals, 3, "one final read per client, no retry")
			for _, op := range s.History() {
				if op.Type != history.OpInvoke && op.Time < finals[0].Time {
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

// asClients hands a simulation's clients to a workload.
func asClients(cs []*sim.Client) []workload.Client {
	out := make([]workload.Client, len(cs))
	for i, c := range cs {
		out[i] = c
	}
	return out
}
