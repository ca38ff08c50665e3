package scenario_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// valid is a minimal valid scenario that error cases extend; its lines are
// 1-3.
const valid = "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n"

const durationHint = " (use Go duration syntax such as 10s, 1m30s or 250ms; units: ns, us, ms, s, m, h)"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts scenario.Options
		want string // every problem, rendered, one per line
	}{
		// The file as a whole.
		{name: "empty file", src: "",
			want: `s.yaml:1:1: empty scenario: expected a mapping with duration, modules and nodes`},
		{name: "comments only", src: "# nothing\n",
			want: `s.yaml:1:1: empty scenario: expected a mapping with duration, modules and nodes`},
		{name: "null document", src: "~\n",
			want: `s.yaml:1:1: empty scenario: expected a mapping with duration, modules and nodes`},
		{name: "unclosed flow mapping", src: "duration: 1s\nmodules:\n  echo: {wasm: x.wasm\nnodes: []\n",
			want: `s.yaml:3: invalid YAML: did not find expected ',' or '}'`},
		{name: "bad indentation", src: "duration: 1s\nmodules:\n  echo: {}\n nodes: []\n",
			want: `s.yaml:4: invalid YAML: did not find expected key`},
		{name: "unclosed flow sequence at end of file", src: "duration: 1s\nnodes: [",
			want: `s.yaml:2: invalid YAML: did not find expected node content`},
		{name: "tab indentation", src: "duration: 1s\nmodules:\n\techo: {}\n",
			want: `s.yaml:3: invalid YAML: found character that cannot start any token`},
		{name: "mapping value in plain scalar", src: "duration: 1s\nname: x: y\n",
			want: `s.yaml:2: invalid YAML: mapping values are not allowed in this context`},
		{name: "unknown anchor", src: "duration: 1s\nnodes: *missing\n",
			want: `s.yaml:2:8: invalid YAML: unknown anchor 'missing' referenced`},
		{name: "top level sequence", src: "- duration: 1s\n",
			want: `s.yaml:1:1: expected a mapping of scenario fields, got a sequence`},
		{name: "second document", src: valid + "---\nduration: 2s\n",
			want: `s.yaml:5:1: a scenario file holds one YAML document; found another`},
		{name: "syntax error in second document", src: valid + "---\na: [\n",
			want: `s.yaml:5: invalid YAML: did not find expected node content`},
		{name: "several problems sorted by position",
			src: "limits: {fuel: 10}\nduration: soon\nmodules:\n  echo: {wasm: e.wasm, go: .}\nnodes:\n  - {name: n, module: echo, count: many}\n",
			want: "s.yaml:1:16: limits.fuel: must be at least 1000, got 10\n" +
				`s.yaml:2:11: duration: invalid duration "soon"` + durationHint + "\n" +
				"s.yaml:4:9: modules.echo: go and wasm are set; use exactly one of go, wasm or sha256\n" +
				`s.yaml:6:36: nodes[0].count: expected an integer, got "many"`},

		// Unknown, duplicate and unsupported keys at any depth.
		{name: "unknown top-level field", src: valid + "seeds: 3\n",
			want: `s.yaml:4:1: seeds: unknown field "seeds" (allowed: name, description, seed, duration, modules, nodes, network, workload, checks, limits, disk, faults, nemesis, services, strict)`},
		{name: "unknown node field", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - name: n\n    module: echo\n    rol: server\n",
			want: `s.yaml:6:5: nodes[0].rol: unknown field "rol" (allowed: name, count, indexed, module, role, params)`},
		{name: "unknown module field", src: "duration: 1s\nmodules:\n  echo:\n    wasm: e.wasm\n    path: x\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:5:5: modules.echo.path: unknown field "path" (allowed: go, wasm, sha256, roles, ldflags, tags)`},
		{name: "unknown latency field", src: valid + "network:\n  latency: {min: 1ms, mid: 2ms, max: 3ms}\n",
			want: `s.yaml:5:23: network.latency.mid: unknown field "mid" (allowed: dist, min, max, mean, stddev)`},
		{name: "unknown link field", src: valid + "network:\n  links:\n    - {from: n, to: \"*\", loss: 0.1, delay: 3ms}\n",
			want: `s.yaml:6:37: network.links[0].delay: unknown field "delay" (allowed: from, to, latency, loss, duplicate, reorder)`},
		{name: "unknown workload field", src: valid + "workload: {type: echo, client: 2}\n",
			want: `s.yaml:4:24: workload.client: unknown field "client" (allowed: type, clients, interval, start, ops, timeout, targets, params)`},
		{name: "unknown limits field", src: valid + "limits: {pages: 3}\n",
			want: `s.yaml:4:10: limits.pages: unknown field "pages" (allowed: memory_pages, fuel, max_message_bytes, fuel_per_byte, spin_fuel, sends_per_callback, send_bytes_per_callback, pending_timers, callbacks_per_instant, callbacks_per_second, log_line_bytes, log_bytes_per_callback, log_bytes_per_run, store_bytes, fs_bytes, max_key_bytes, max_value_bytes, max_events, max_trace_bytes, in_flight_bytes, in_flight_messages, init_names, shared_store_nodes)`},
		{name: "unknown check field", src: valid + "checks:\n  - {name: echo, args: {}}\n",
			want: `s.yaml:5:18: checks[0].args: unknown field "args" (allowed: name, params)`},
		{name: "duplicate field", src: valid + "duration: 2s\n",
			want: `s.yaml:4:1: duration: duplicate field "duration" (first at line 1)`},
		{name: "merge key", src: "duration: 1s\nmodules:\n  base: &b {wasm: e.wasm}\n  echo:\n    <<: *b\n    roles: [x]\nnodes: [{name: n, module: base}]\n",
			want: "s.yaml:5:5: modules.echo: merge keys (<<) are not supported\n" +
				"s.yaml:5:5: modules.echo: one of go, wasm or sha256 is required"},

		// Top-level scalars.
		{name: "missing duration", src: "modules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:1:1: duration: missing required field`},
		{name: "empty duration", src: "name: x\nduration:\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:2:1: duration: missing value`},
		{name: "bad duration", src: "duration: 10 seconds\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:1:11: duration: invalid duration "10 seconds"` + durationHint},
		{name: "duration without unit", src: "duration: 10\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:1:11: duration: duration 10 has no unit` + durationHint},
		{name: "zero duration", src: "duration: 0s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:1:11: duration: must be greater than 0, got 0s`},
		{name: "negative duration", src: "duration: -5s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:1:11: duration: must not be negative, got -5s`},
		{name: "duration as a sequence", src: "duration: [1s]\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:1:11: duration: expected a duration, got a sequence` + durationHint},
		{name: "negative seed", src: "seed: -1\n" + valid,
			want: `s.yaml:1:7: seed: must not be negative, got -1`},
		{name: "seed out of range", src: "seed: 18446744073709551616\n" + valid,
			want: `s.yaml:1:7: seed: integer 18446744073709551616 is out of range (max 18446744073709551615)`},
		{name: "seed inexact", src: "seed: 1e19\n" + valid,
			want: `s.yaml:1:7: seed: 1e19 is too large to be an exact integer in this notation; write the integer out in digits`},
		{name: "seed negative float", src: "seed: -1e3\n" + valid,
			want: `s.yaml:1:7: seed: must not be negative, got -1e3`},
		{name: "seed not a number", src: "seed: abc\n" + valid,
			want: `s.yaml:1:7: seed: expected a non-negative integer, got "abc"`},
		{name: "description not a string", src: "description: 42\n" + valid,
			want: `s.yaml:1:14: description: expected a string, got integer 42 (quote it to make it a string)`},
		{name: "empty name", src: "name: \"\"\n" + valid,
			want: `s.yaml:1:7: name: must not be empty`},

		// Modules.
		{name: "both go and wasm", src: "duration: 1s\nmodules:\n  echo:\n    go: ./echo\n    wasm: echo.wasm\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:4:5: modules.echo: go and wasm are set; use exactly one of go, wasm or sha256`},
		{name: "sha256 not hex", src: "duration: 1s\nmodules:\n  echo: {sha256: abc}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:3:18: modules.echo.sha256: "abc" is not a SHA-256 in hex (64 characters 0-9a-f)`},
		{name: "ldflags on a wasm module", src: "duration: 1s\nmodules:\n  echo: {wasm: e.wasm, ldflags: -s}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:3:33: modules.echo.ldflags: applies only to a go: module`},
		{name: "neither go nor wasm", src: "duration: 1s\nmodules:\n  echo:\n    roles: [server]\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:4:5: modules.echo: one of go, wasm or sha256 is required`},
		{name: "module without body", src: "duration: 1s\nmodules:\n  echo:\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:3:3: modules.echo: one of go, wasm or sha256 is required`},
		{name: "empty wasm path", src: "duration: 1s\nmodules:\n  echo: {wasm: \"\"}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:3:16: modules.echo.wasm: must not be empty`},
		{name: "go path not a string", src: "duration: 1s\nmodules:\n  echo: {go: [a]}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:3:14: modules.echo.go: expected a string, got a sequence`},
		{name: "module not a mapping", src: "duration: 1s\nmodules:\n  echo: echo.wasm\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:3:9: modules.echo: expected a mapping with go, wasm or sha256, and roles, got "echo.wasm"`},
		{name: "modules not a mapping", src: "duration: 1s\nmodules: [echo]\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:2:10: modules: expected a mapping of module names to modules, got a sequence`},
		{name: "no modules", src: "duration: 1s\nmodules: {}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:2:10: modules: must define at least one module`},
		{name: "missing modules", src: "duration: 1s\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:1:1: modules: missing required field`},
		{name: "duplicate module", src: "duration: 1s\nmodules:\n  echo: {wasm: a.wasm}\n  echo: {wasm: b.wasm}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:4:3: modules.echo: duplicate field "echo" (first at line 3)`},
		{name: "empty roles", src: "duration: 1s\nmodules:\n  echo: {wasm: e.wasm, roles: []}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:3:31: modules.echo.roles: must list at least one role (omit roles to get [default])`},
		{name: "duplicate role", src: "duration: 1s\nmodules:\n  echo: {wasm: e.wasm, roles: [server, server]}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:3:40: modules.echo.roles[1]: duplicate role "server" (first at line 3)`},
		{name: "roles not a list", src: "duration: 1s\nmodules:\n  echo: {wasm: e.wasm, roles: server}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:3:31: modules.echo.roles: expected a sequence of roles, got "server"`},

		// Nodes.
		{name: "unknown module", src: "duration: 1s\nmodules:\n  echo: {wasm: e.wasm}\n  kv: {wasm: kv.wasm}\nnodes:\n  - name: n\n    module: raft\n",
			want: `s.yaml:7:13: nodes[0].module: unknown module "raft" (modules: echo, kv)`},
		{name: "unknown role", src: "duration: 1s\nmodules:\n  echo: {wasm: e.wasm, roles: [server]}\nnodes:\n  - {name: n, count: 2, module: echo}\n  - name: l\n    module: echo\n    role: leader\n",
			want: `s.yaml:8:11: nodes[1].role: unknown role "leader" (module echo has roles: server)`},
		{name: "unknown default role", src: "duration: 1s\nmodules:\n  echo: {wasm: e.wasm}\nnodes:\n  - {name: n, module: echo, role: server}\n",
			want: `s.yaml:5:35: nodes[0].role: unknown role "server" (module echo has roles: default)`},
		{name: "missing node name", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - module: echo\n    count: 2\n",
			want: `s.yaml:4:5: nodes[0].name: missing required field`},
		{name: "missing node module", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - name: n\n    count: 2\n",
			want: `s.yaml:4:5: nodes[0].module: missing required field`},
		{name: "invalid node name", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: \"node one\", module: echo}\n",
			want: `s.yaml:4:12: nodes[0].name: invalid node name "node one": use letters, digits, '_', '-' and '.', starting with a letter, digit or '_'`},
		{name: "star is not a node name", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: \"*\", module: echo}\n",
			want: `s.yaml:4:12: nodes[0].name: invalid node name "*": use letters, digits, '_', '-' and '.', starting with a letter, digit or '_'`},
		{name: "duplicate node names", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - name: n\n    count: 3\n    module: echo\n  - name: n1\n    module: echo\n",
			want: `s.yaml:7:11: nodes[1].name: duplicate node name "n1": also produced by nodes[0] (line 4)`},
		{name: "duplicate indexed names", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: n0, module: echo}\n  - {name: n, indexed: true, module: echo}\n",
			want: `s.yaml:5:12: nodes[1].name: duplicate node name "n0": also produced by nodes[0] (line 4)`},
		{name: "count not a number", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - name: n\n    count: three\n    module: echo\n",
			want: `s.yaml:5:12: nodes[0].count: expected an integer, got "three"`},
		{name: "count fractional", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: n, count: 2.5, module: echo}\n",
			want: `s.yaml:4:22: nodes[0].count: expected an integer, got number 2.5`},
		{name: "count zero", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: n, count: 0, module: echo}\n",
			want: `s.yaml:4:22: nodes[0].count: must be at least 1, got 0`},
		{name: "count negative", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: n, count: -2, module: echo}\n",
			want: `s.yaml:4:22: nodes[0].count: must be at least 1, got -2`},
		{name: "count too large", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: n, count: 70000, module: echo}\n",
			want: `s.yaml:4:22: nodes[0].count: must be at most 65536, got 70000`},
		{name: "count out of range", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: n, count: 99999999999999999999, module: echo}\n",
			want: `s.yaml:4:22: nodes[0].count: integer 99999999999999999999 is out of range`},
		{name: "indexed not a boolean", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: n, indexed: yes, module: echo}\n",
			want: `s.yaml:4:24: nodes[0].indexed: expected true or false, got "yes"`},
		{name: "indexed false with count", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: n, count: 3, indexed: false, module: echo}\n",
			want: `s.yaml:4:34: nodes[0].indexed: cannot be false with count 3: names of several nodes carry an index`},
		{name: "nodes not a list", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: {name: n, module: echo}\n",
			want: `s.yaml:3:8: nodes: expected a sequence of node groups, got a mapping`},
		{name: "empty nodes", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: []\n",
			want: `s.yaml:3:8: nodes: must list at least one node group`},
		{name: "node not a mapping", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [n0]\n",
			want: `s.yaml:3:9: nodes[0]: expected a node group mapping, got "n0"`},
		{name: "params not a mapping", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - {name: n, module: echo, params: [1, 2]}\n",
			want: `s.yaml:4:37: nodes[0].params: expected a mapping, got a sequence`},
		{name: "params with infinity", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - name: n\n    module: echo\n    params: {x: {y: .inf}}\n",
			want: `s.yaml:6:21: nodes[0].params.x.y: .inf cannot be represented in JSON`},
		{name: "params with duplicate key", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes:\n  - name: n\n    module: echo\n    params:\n      a: 1\n      a: 2\n",
			want: `s.yaml:8:7: nodes[0].params.a: duplicate key "a" (first at line 7)`},
		{name: "params with recursive alias", src: valid + "workload: {type: echo, params: &y {a: *y}}\n",
			want: `s.yaml:4:39: workload.params.a: alias *y refers to a value that contains it`},
		{name: "params expanding aliases too much", src: valid + "workload:\n  type: echo\n  params:\n" +
			"    a: &a [1,2,3,4,5,6,7,8,9,10]\n    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
			"    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n" +
			"    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n",
			want: `s.yaml:12:33: aliases expand the scenario to more than 1048576 YAML nodes (scenario.MaxExpandedNodes); alias *e is where it passes that`},

		// Network.
		{name: "loss above one", src: valid + "network:\n  loss: 1.5\n",
			want: `s.yaml:5:9: network.loss: must be between 0 and 1, got 1.5`},
		{name: "loss negative", src: valid + "network:\n  loss: -0.1\n",
			want: `s.yaml:5:9: network.loss: must be between 0 and 1, got -0.1`},
		{name: "loss not a number", src: valid + "network:\n  loss: high\n",
			want: `s.yaml:5:9: network.loss: expected a probability between 0 and 1, got "high"`},
		{name: "loss NaN", src: valid + "network:\n  loss: .nan\n",
			want: `s.yaml:5:9: network.loss: must be between 0 and 1, got .nan`},
		{name: "bad constant latency", src: valid + "network:\n  latency: 5 ms\n",
			want: `s.yaml:5:12: network.latency: invalid duration "5 ms"` + durationHint},
		{name: "negative latency", src: valid + "network:\n  latency: {min: -1ms, max: 1ms}\n",
			want: `s.yaml:5:18: network.latency.min: must not be negative, got -1ms`},
		{name: "latency range reversed", src: valid + "network:\n  latency: {min: 10ms, max: 1ms}\n",
			want: `s.yaml:5:29: network.latency.max: must not be less than min (10ms), got 1ms`},
		{name: "latency range missing max", src: valid + "network:\n  latency:\n    min: 1ms\n",
			want: `s.yaml:6:5: network.latency.max: missing required field`},
		{name: "latency as a sequence", src: valid + "network:\n  latency: [1ms, 2ms]\n",
			want: `s.yaml:5:12: network.latency: expected a duration or a mapping with min and max, got a sequence`},
		{name: "network not a mapping", src: valid + "network: fast\n",
			want: `s.yaml:4:10: network: expected a network mapping, got "fast"`},
		{name: "bad link latency", src: valid + "network:\n  links:\n    - {from: n, to: n, latency: fast}\n",
			want: `s.yaml:6:33: network.links[0].latency: invalid duration "fast"` + durationHint},
		{name: "bad link loss", src: valid + "network:\n  links:\n    - {from: n, to: n, loss: 2}\n",
			want: `s.yaml:6:30: network.links[0].loss: must be between 0 and 1, got 2`},
		{name: "link to unknown node", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, count: 2, module: echo}]\nnetwork:\n  links:\n    - {from: n0, to: n2, loss: 0.1}\n",
			want: `s.yaml:6:22: network.links[0].to: unknown node "n2" (use a node name or "*")`},
		{name: "link missing from", src: valid + "network:\n  links:\n    - to: n\n      loss: 0.1\n",
			want: `s.yaml:6:7: network.links[0].from: missing required field`},
		{name: "link overrides nothing", src: valid + "network:\n  links:\n    - {from: n, to: \"*\"}\n",
			want: `s.yaml:6:7: network.links[0]: a link must override latency, loss, duplicate or reorder`},
		{name: "duplicate link", src: valid + "network:\n  links:\n    - {from: n, to: \"*\", loss: 0.1}\n    - {from: n, to: \"*\", loss: 0.2}\n",
			want: `s.yaml:7:7: network.links[1]: duplicate link from "n" to "*" (first at line 6)`},
		{name: "links not a list", src: valid + "network:\n  links: {from: n}\n",
			want: `s.yaml:5:10: network.links: expected a sequence of links, got a mapping`},

		// Workload.
		{name: "workload missing type", src: valid + "workload:\n  clients: 2\n",
			want: `s.yaml:5:3: workload.type: missing required field`},
		{name: "workload empty type", src: valid + "workload: {type: \"\"}\n",
			want: `s.yaml:4:18: workload.type: must not be empty`},
		{name: "unknown workload type", src: valid + "workload: {type: kafka}\n",
			opts: scenario.Options{Workloads: []string{"echo", "broadcast"}},
			want: `s.yaml:4:18: workload.type: unknown workload type "kafka" (known: broadcast, echo, none)`},
		{name: "workload clients zero", src: valid + "workload: {type: echo, clients: 0}\n",
			want: `s.yaml:4:33: workload.clients: must be at least 1, got 0`},
		{name: "workload clients not a number", src: valid + "workload: {type: echo, clients: two}\n",
			want: `s.yaml:4:33: workload.clients: expected an integer, got "two"`},
		{name: "workload start negative", src: valid + "workload: {type: echo, start: -1s}\n",
			want: `s.yaml:4:31: workload.start: must not be negative, got -1s`},
		{name: "workload interval zero", src: valid + "workload: {type: echo, interval: 0s}\n",
			want: `s.yaml:4:34: workload.interval: must be greater than 0, got 0s`},
		{name: "workload ops negative", src: valid + "workload: {type: echo, ops: -1}\n",
			want: `s.yaml:4:29: workload.ops: must be at least 0, got -1`},
		{name: "workload timeout bad", src: valid + "workload: {type: echo, timeout: 1 sec}\n",
			want: `s.yaml:4:33: workload.timeout: invalid duration "1 sec"` + durationHint},
		{name: "workload unknown target", src: "duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, count: 2, module: echo}]\nworkload:\n  type: echo\n  targets: [n0, n5]\n",
			want: `s.yaml:6:17: workload.targets[1]: unknown node "n5" (nodes: n0, n1)`},
		{name: "workload empty targets", src: valid + "workload:\n  type: echo\n  targets: []\n",
			want: `s.yaml:6:12: workload.targets: must list at least one node (omit targets to use every node)`},
		{name: "workload duplicate target", src: valid + "workload:\n  type: echo\n  targets: [n, n]\n",
			want: `s.yaml:6:16: workload.targets[1]: duplicate target "n" (first at line 6)`},
		{name: "workload params not a mapping", src: valid + "workload: {type: echo, params: 3}\n",
			want: `s.yaml:4:32: workload.params: expected a mapping, got integer 3`},

		// Checks.
		{name: "unknown check", src: valid + "checks:\n  - echo\n  - {name: linearizable}\n",
			opts: scenario.Options{Checks: []string{"echo"}},
			want: `s.yaml:6:12: checks[1].name: unknown check "linearizable" (known: echo)`},
		{name: "unknown check with empty registry", src: valid + "checks: [echo]\n",
			opts: scenario.Options{Checks: []string{}},
			want: `s.yaml:4:10: checks[0]: unknown check "echo" (none are registered)`},
		{name: "check not a name", src: valid + "checks:\n  - [echo]\n",
			want: `s.yaml:5:5: checks[0]: expected a check name or a mapping with name and params, got a sequence`},
		{name: "check name not a string", src: valid + "checks:\n  - 42\n",
			want: `s.yaml:5:5: checks[0]: expected a string, got integer 42 (quote it to make it a string)`},
		{name: "check missing name", src: valid + "checks:\n  - params: {a: 1}\n",
			want: `s.yaml:5:5: checks[0].name: missing required field`},
		{name: "check params not a mapping", src: valid + "checks:\n  - {name: echo, params: x}\n",
			want: `s.yaml:5:26: checks[0].params: expected a mapping, got "x"`},
		{name: "checks not a list", src: valid + "checks: echo\n",
			want: `s.yaml:4:9: checks: expected a sequence of checks, got "echo"`},

		// YAML errors the parser reports without a line.
		{name: "invalid UTF-8", src: valid + "description: ok\nname: \"a\xffb\"\n",
			want: `s.yaml:5:9: invalid YAML: invalid leading UTF-8 octet (byte 0xff)`},
		{name: "control character", src: valid + "name: a\x01b\n",
			want: `s.yaml:4:8: invalid YAML: control characters are not allowed (U+0001)`},
		{name: "unknown directive", src: "# c\n%FOO bar\n---\n" + valid,
			want: `s.yaml:2:1: invalid YAML: found unknown directive name %FOO (only %YAML and %TAG exist)`},
		{name: "nesting past the parser's limit", src: valid + "description: " + strings.Repeat("[", 10001) + "\n",
			want: `s.yaml:4: invalid YAML: exceeded max depth of 10000`},
		{name: "duration past the bound", src: "duration: 25h\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: n, module: echo}]\n",
			want: `s.yaml:1:11: duration: must be at most 24h0m0s (scenario.MaxDuration), got 25h`},
		{name: "larger than the bound", src: valid + "description: " + strings.Repeat("x", scenario.MaxBytes) + "\n",
			want: `s.yaml: the scenario is larger than 1048576 bytes (scenario.MaxBytes)`},

		// Limits.
		{name: "memory pages zero", src: valid + "limits: {memory_pages: 0}\n",
			want: `s.yaml:4:24: limits.memory_pages: must be at least 1, got 0`},
		{name: "memory pages too many", src: valid + "limits: {memory_pages: 65537}\n",
			want: `s.yaml:4:24: limits.memory_pages: must be at most 65536, got 65537`},
		{name: "fuel too small", src: valid + "limits: {fuel: 999}\n",
			want: `s.yaml:4:16: limits.fuel: must be at least 1000, got 999`},
		{name: "fuel fractional", src: valid + "limits: {fuel: 1500.5}\n",
			want: `s.yaml:4:16: limits.fuel: expected an integer, got number 1500.5`},
		{name: "max message bytes negative", src: valid + "limits: {max_message_bytes: -1}\n",
			want: `s.yaml:4:29: limits.max_message_bytes: must be at least 1, got -1`},
		{name: "max value bytes over the store's limit", src: valid + "limits: {max_value_bytes: 65537}\n",
			want: `s.yaml:4:27: limits.max_value_bytes: must be at most 65536, got 65537`},
		{name: "max key bytes over the store's limit", src: valid + "limits: {max_key_bytes: 1025}\n",
			want: `s.yaml:4:25: limits.max_key_bytes: must be at most 1024, got 1025`},
		{name: "quota zero", src: valid + "limits:\n  sends_per_callback: 0\n  callbacks_per_instant: many\n",
			want: "s.yaml:5:23: limits.sends_per_callback: must be at least 1, got 0\n" +
				`s.yaml:6:26: limits.callbacks_per_instant: expected an integer, got "many"`},
		{name: "store bytes negative", src: valid + "limits: {store_bytes: -5, log_bytes_per_run: 0}\n",
			want: "s.yaml:4:23: limits.store_bytes: must be at least 1, got -5\n" +
				`s.yaml:4:46: limits.log_bytes_per_run: must be at least 1, got 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := scenario.ParseWith("s.yaml", []byte(tt.src), tt.opts)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Equal(t, tt.want, err.Error())

			var errs scenario.Errors
			require.True(t, errors.As(err, &errs), "error is %T, want scenario.Errors", err)
			require.Len(t, errs, strings.Count(tt.want, "\n")+1)
			for _, e := range errs {
				assert.Equal(t, "s.yaml", e.File)
			}
		})
	}
}

func TestParseErrorFields(t *testing.T) {
	// The spec's example, checked field by field rather than rendered.
	src := "name: echo\nduration: 10s\nmodules:\n  echo: {go: ., roles: [server]}\nnodes:\n  - {name: a, module: echo}\n  - {name: b, role: leader, module: echo}\n"
	_, err := scenario.Parse("plugins/echo/scenario.yaml", []byte(src))
	var e *scenario.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, &scenario.Error{
		File: "plugins/echo/scenario.yaml", Line: 7, Column: 21,
		Field: "nodes[1].role", Msg: `unknown role "leader" (module echo has roles: server)`,
	}, e)
	assert.Equal(t, `plugins/echo/scenario.yaml:7:21: nodes[1].role: unknown role "leader" (module echo has roles: server)`, e.Error())
}
