package scenario_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

const fullScenario = `name: echo-demo
description: three echo servers and a leader
seed: 42
duration: 1m30s
modules:
  echo:
    go: .
    roles: [server, client]
  leader:
    wasm: build/leader.wasm
nodes:
  - name: n
    count: 3
    module: echo
    params: {gossip_ms: 100, peers: [a, b], nested: {z: 1, a: 0x10}, ratio: 0.5, "x<y": null, on: true}
  - name: solo
    module: echo
    role: client
  - name: ldr
    indexed: true
    module: leader
network:
  latency: {min: 1ms, max: 10ms}
  loss: 0.01
  links:
    - {from: n0, to: "*", latency: 50ms}
    - {from: "*", to: n1, loss: 0.5}
    - from: n0
      to: n1
      latency: {min: 2ms, max: 3ms}
workload:
  type: echo
  clients: 2
  interval: 5ms
  ops: 100
  timeout: 250ms
  targets: [n0, n1]
  params: {size: 64}
checks:
  - echo
  - name: linearizable
    params: {model: kv}
limits:
  memory_pages: 1024
  fuel: 1e9
  max_message_bytes: 1_048_576
  fuel_per_byte: 500
  spin_fuel: 2e9
  sends_per_callback: 100
  send_bytes_per_callback: 150
  pending_timers: 200
  callbacks_per_instant: 300
  callbacks_per_second: 350
  log_line_bytes: 400
  log_bytes_per_callback: 5000
  log_bytes_per_run: 60000
  store_bytes: 1e6
  max_key_bytes: 64
  max_value_bytes: 4096
  fs_bytes: 70000
  in_flight_messages: 500
`

func TestParseFullScenario(t *testing.T) {
	s, err := scenario.Parse("plugins/echo/scenario.yaml", []byte(fullScenario))
	require.NoError(t, err)

	assert.Equal(t, "plugins/echo/scenario.yaml", s.File)
	assert.Empty(t, s.Dir)
	assert.Equal(t, "echo-demo", s.Name)
	assert.Equal(t, "three echo servers and a leader", s.Description)
	assert.Equal(t, uint64(42), s.Seed)
	assert.Equal(t, 90*time.Second, s.Duration)

	require.Len(t, s.Modules, 2)
	assert.Equal(t, &scenario.Module{Name: "echo", Go: ".", Roles: []string{"server", "client"}, Pos: scenario.Pos{Line: 7, Column: 9}}, s.Modules[0])
	assert.Equal(t, &scenario.Module{Name: "leader", Wasm: "build/leader.wasm", Roles: []string{"default"}, Pos: scenario.Pos{Line: 10, Column: 11}}, s.Modules[1])
	assert.Same(t, s.Modules[1], s.Module("leader"))
	assert.Nil(t, s.Module("nope"))
	assert.Equal(t, "build/leader.wasm", s.Modules[1].Path())

	assert.Equal(t, []string{"n0", "n1", "n2", "solo", "ldr0"}, s.NodeNames())
	require.Len(t, s.Groups, 3)
	params := `{"gossip_ms":100,"nested":{"a":16,"z":1},"on":true,"peers":["a","b"],"ratio":0.5,"x<y":null}`
	assert.Equal(t, &scenario.NodeGroup{Name: "n", Count: 3, Indexed: true, Module: "echo", Role: "server", Params: json.RawMessage(params), Line: 12}, s.Groups[0])
	assert.Equal(t, &scenario.NodeGroup{Name: "solo", Count: 1, Module: "echo", Role: "client", Params: json.RawMessage(`{}`), Line: 16}, s.Groups[1])
	assert.Equal(t, &scenario.NodeGroup{Name: "ldr", Count: 1, Indexed: true, Module: "leader", Role: "default", Params: json.RawMessage(`{}`), Line: 19}, s.Groups[2])
	assert.Equal(t, &scenario.Node{Name: "n2", Index: 2, Group: 0, Module: "echo", Role: "server", Params: json.RawMessage(params), Line: 12}, s.Nodes[2])
	assert.Equal(t, &scenario.Node{Name: "ldr0", Index: 4, Group: 2, Module: "leader", Role: "default", Params: json.RawMessage(`{}`), Line: 19}, s.Nodes[4])
	assert.Same(t, s.Nodes[3], s.Node("solo"))
	assert.True(t, json.Valid(s.Nodes[0].Params))

	ms := time.Millisecond
	assert.Equal(t, scenario.Latency{Min: ms, Max: 10 * ms}, s.Network.Latency)
	assert.Equal(t, 0.01, s.Network.Loss)
	half := 0.5
	assert.Equal(t, []scenario.Link{
		{From: "n0", To: "*", Latency: &scenario.Latency{Min: 50 * ms, Max: 50 * ms}, Line: 26},
		{From: "*", To: "n1", Loss: &half, Line: 27},
		{From: "n0", To: "n1", Latency: &scenario.Latency{Min: 2 * ms, Max: 3 * ms}, Line: 28},
	}, s.Network.Links)

	assert.Equal(t, scenario.Workload{
		Type: "echo", Clients: 2, Interval: 5 * ms, Ops: 100, Timeout: 250 * ms,
		Targets: []string{"n0", "n1"}, Params: json.RawMessage(`{"size":64}`), Line: 32,
	}, s.Workload)

	assert.Equal(t, []scenario.Check{
		{Name: "echo", Params: json.RawMessage(`{}`), Line: 40},
		{Name: "linearizable", Params: json.RawMessage(`{"model":"kv"}`), Line: 41},
	}, s.Checks)

	assert.Equal(t, scenario.Limits{MemoryPages: 1024, Fuel: 1_000_000_000, MaxMessageBytes: 1 << 20, FuelPerByte: 500, SpinFuel: 2_000_000_000,
		SendsPerCallback: 100, SendBytesPerCallback: 150, PendingTimers: 200, CallbacksPerInstant: 300, CallbacksPerSecond: 350, LogLineBytes: 400, LogBytesPerCallback: 5000,
		LogBytesPerRun: 60000, StoreBytes: 1_000_000, FSBytes: 70000, MaxKeyBytes: 64, MaxValueBytes: 4096, InFlightMessages: 500}, s.Limits)
}

func TestParseDefaults(t *testing.T) {
	src := "duration: 10s\nmodules:\n  echo: {wasm: echo.wasm}\nnodes:\n  - {name: a, module: echo}\n  - {name: b, module: echo, params: ~}\n"
	s, err := scenario.Parse("dir/my-run.yaml", []byte(src))
	require.NoError(t, err)

	assert.Equal(t, "my-run", s.Name)
	assert.Empty(t, s.Description)
	assert.Zero(t, s.Seed)
	assert.Equal(t, []string{"a", "b"}, s.NodeNames())
	assert.Equal(t, "default", s.Nodes[0].Role)
	assert.Equal(t, 1, s.Groups[0].Count)
	assert.False(t, s.Groups[0].Indexed)
	assert.JSONEq(t, `{}`, string(s.Nodes[1].Params))
	assert.Equal(t, scenario.Network{Latency: scenario.Latency{Min: time.Millisecond, Max: time.Millisecond}}, s.Network)
	assert.Equal(t, scenario.Workload{
		Type: "none", Interval: 10 * time.Millisecond, Timeout: time.Second,
		Targets: []string{"a", "b"}, Params: json.RawMessage(`{}`),
	}, s.Workload)
	assert.Empty(t, s.Checks)
	assert.Equal(t, scenario.Limits{}, s.Limits)
}

func TestParseWorkloadDefaults(t *testing.T) {
	src := "duration: 10s\nmodules:\n  echo: {wasm: echo.wasm}\nnodes:\n  - {name: n, count: 2, module: echo}\nworkload:\n  type: broadcast\n"
	s, err := scenario.Parse("s.yaml", []byte(src))
	require.NoError(t, err)
	assert.Equal(t, scenario.Workload{
		Type: "broadcast", Clients: 1, Interval: 10 * time.Millisecond, Timeout: time.Second,
		Targets: []string{"n0", "n1"}, Params: json.RawMessage(`{}`), Line: 7,
	}, s.Workload)
}

func TestParseValidVariants(t *testing.T) {
	const head = "duration: 10s\nmodules:\n  echo: {wasm: echo.wasm}\nnodes:\n  - {name: n, module: echo}\n"
	tests := []struct {
		name  string
		extra string
		check func(t *testing.T, s *scenario.Scenario)
	}{
		{"constant latency", "network: {latency: 5ms}\n", func(t *testing.T, s *scenario.Scenario) {
			assert.Equal(t, scenario.Latency{Min: 5 * time.Millisecond, Max: 5 * time.Millisecond}, s.Network.Latency)
		}},
		{"zero latency", "network: {latency: 0}\n", func(t *testing.T, s *scenario.Scenario) {
			assert.Equal(t, scenario.Latency{}, s.Network.Latency)
		}},
		{"integer loss", "network: {loss: 1}\n", func(t *testing.T, s *scenario.Scenario) {
			assert.Equal(t, 1.0, s.Network.Loss)
		}},
		{"large seed", "seed: 18446744073709551615\n", func(t *testing.T, s *scenario.Scenario) {
			assert.Equal(t, uint64(18446744073709551615), s.Seed)
		}},
		{"hex seed", "seed: 0xff\n", func(t *testing.T, s *scenario.Scenario) {
			assert.Equal(t, uint64(255), s.Seed)
		}},
		{"alias in params", "workload: {type: echo, params: {a: &x {k: [1, 2]}, b: *x}}\n", func(t *testing.T, s *scenario.Scenario) {
			assert.Equal(t, `{"a":{"k":[1,2]},"b":{"k":[1,2]}}`, string(s.Workload.Params))
		}},
		{"params keep strings and timestamps as text", "workload: {type: echo, params: {d: 2001-12-14, s: '007', h: '<&>'}}\n", func(t *testing.T, s *scenario.Scenario) {
			assert.Equal(t, `{"d":"2001-12-14","h":"<&>","s":"007"}`, string(s.Workload.Params))
		}},
		{"null sections are absent", "network:\nworkload:\nchecks:\nlimits:\ndescription:\n", func(t *testing.T, s *scenario.Scenario) {
			assert.Equal(t, "none", s.Workload.Type)
			assert.Empty(t, s.Checks)
		}},
		{"ops zero runs until duration", "workload: {type: echo, ops: 0}\n", func(t *testing.T, s *scenario.Scenario) {
			assert.Zero(t, s.Workload.Ops)
		}},
		{"comments and explicit document start", "# trailing comment\n", func(t *testing.T, s *scenario.Scenario) {
			assert.Equal(t, []string{"n"}, s.NodeNames())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := scenario.Parse("s.yaml", []byte(head+tt.extra))
			require.NoError(t, err)
			tt.check(t, s)
		})
	}
}

func TestParseWithRegistries(t *testing.T) {
	src := "duration: 10s\nmodules:\n  echo: {wasm: echo.wasm}\nnodes:\n  - {name: n, module: echo}\nworkload: {type: none}\nchecks: [echo]\n"
	opts := scenario.Options{Workloads: []string{"echo"}, Checks: []string{"echo"}}
	s, err := scenario.ParseWith("s.yaml", []byte(src), opts)
	require.NoError(t, err, "none is always a known workload")
	assert.Equal(t, "none", s.Workload.Type)
}

func TestNetworkLink(t *testing.T) {
	s, err := scenario.Parse("s.yaml", []byte(fullScenario))
	require.NoError(t, err)
	ms := time.Millisecond
	tests := []struct {
		name     string
		from, to string
		latency  scenario.Latency
		loss     float64
	}{
		{"exact link wins for latency, *->to for loss", "n0", "n1", scenario.Latency{Min: 2 * ms, Max: 3 * ms}, 0.5},
		{"from->* latency, default loss", "n0", "n2", scenario.Latency{Min: 50 * ms, Max: 50 * ms}, 0.01},
		{"*->to loss, default latency", "n2", "n1", scenario.Latency{Min: ms, Max: 10 * ms}, 0.5},
		{"defaults", "n2", "n0", scenario.Latency{Min: ms, Max: 10 * ms}, 0.01},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := s.Network.Settings(tt.from, tt.to)
			assert.Equal(t, tt.latency, l.Latency)
			assert.Equal(t, tt.loss, l.Loss)
		})
	}
}

func TestErrorRendering(t *testing.T) {
	tests := []struct {
		name string
		err  *scenario.Error
		want string
	}{
		{"full", &scenario.Error{File: "a.yaml", Line: 7, Column: 12, Field: "nodes[1].role", Msg: "bad"}, "a.yaml:7:12: nodes[1].role: bad"},
		{"no field", &scenario.Error{File: "a.yaml", Line: 3, Column: 1, Msg: "bad"}, "a.yaml:3:1: bad"},
		{"no column", &scenario.Error{File: "a.yaml", Line: 3, Field: "f", Msg: "bad"}, "a.yaml:3: f: bad"},
		{"no position", &scenario.Error{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{"column without line", &scenario.Error{File: "a.yaml", Column: 4, Field: "f", Msg: "bad"}, "a.yaml: f: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestErrorsUnwrapAndErrorAt(t *testing.T) {
	_, err := scenario.Parse("s.yaml", []byte("duration: 0s\nmodules: {}\nnodes: []\n"))
	require.Error(t, err)

	var errs scenario.Errors
	require.True(t, errors.As(err, &errs))
	require.Len(t, errs, 3)
	assert.Equal(t, "s.yaml:1:11: duration: must be greater than 0, got 0s\n"+
		"s.yaml:2:10: modules: must define at least one module\n"+
		"s.yaml:3:8: nodes: must list at least one node group", err.Error())

	var first *scenario.Error
	require.True(t, errors.As(err, &first))
	assert.Equal(t, "duration", first.Field)

	s, err := scenario.Parse("dir/s.yaml", []byte(fullScenario))
	require.NoError(t, err)
	e := s.ErrorAt(s.Checks[1].Line, "checks[1].params", "unknown model %q", "kv")
	assert.Equal(t, "dir/s.yaml:41: checks[1].params: unknown model \"kv\"", e.Error())
}
