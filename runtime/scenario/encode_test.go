package scenario_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// encodeAll sets every section, so that the exact output pins the key
// order of each mapping (exports and replays depend on it).
const encodeAll = "name: all\nseed: 7\nduration: 5s\nmodules:\n  e: {go: /x/e, ldflags: -s, tags: [t], roles: [a, b]}\n  w: {wasm: /y/w.wasm}\nnodes:\n  - {name: n, count: 2, module: e, role: b, params: {k: [1, 2]}}\n  - {name: s, indexed: true, module: w}\nnetwork:\n  latency: {dist: normal, mean: 5ms, stddev: 1ms}\n  loss: 0.1\n  links: [{from: n0, to: '*', loss: 0}, {from: '*', to: s0, latency: {min: 1ms, max: 2ms}}]\nworkload: {type: echo, clients: 2, start: 1s, targets: [n0], params: {size: 3}}\nchecks: [echo, {name: lin, params: {model: kv}}]\nlimits: {fuel: 5000, max_events: 9}\ndisk: {lose_unsynced: true}\nfaults:\n  - {at: 1s, before_event: 4, action: hold, from: n0, to: '*'}\n  - {at: 2s, action: partition, groups: [[n0], [n1, s0]]}\n  - {at: 3s, action: skew, node: n1, by: -5ms}\nnemesis:\n  - {kinds: [kill], every: 1s, stop: 4s}\n  - {kinds: [pause], schedule: jepsen, every: 2s}\nservices: [lin-kv]\nstrict: true\n"

func TestEncodeExact(t *testing.T) {
	s, err := scenario.Parse("/x/s.yaml", []byte(encodeAll))
	require.NoError(t, err)
	b, err := scenario.Encode(s, "/x")
	require.NoError(t, err)
	// Jepsen's kill is read as the crash kind, and written so.
	assert.Equal(t, "name: all\nseed: 7\nduration: 5s\nmodules:\n    e:\n        go: e\n        ldflags: -s\n        tags:\n            - t\n        roles:\n            - a\n            - b\n    w:\n        wasm: ../y/w.wasm\n        roles:\n            - default\nnodes:\n    - name: \"n\"\n      count: 2\n      module: e\n      role: b\n      params:\n        k:\n            - 1\n            - 2\n    - name: s\n      indexed: true\n      module: w\n      role: default\nnetwork:\n    latency:\n        dist: normal\n        mean: 5ms\n        stddev: 1ms\n    loss: 0.1\n    links:\n        - from: n0\n          to: '*'\n          loss: 0\n        - from: '*'\n          to: s0\n          latency:\n            max: 2ms\n            min: 1ms\nworkload:\n    type: echo\n    clients: 2\n    interval: 10ms\n    start: 1s\n    timeout: 1s\n    targets:\n        - n0\n    params:\n        size: 3\nchecks:\n    - name: echo\n    - name: lin\n      params:\n        model: kv\nlimits:\n    fuel: 5000\n    max_events: 9\ndisk:\n    lose_unsynced: true\nfaults:\n    - at: 1s\n      before_event: 4\n      action: hold\n      from: n0\n      to: '*'\n    - at: 2s\n      action: partition\n      groups:\n        - - n0\n        - - n1\n          - s0\n    - at: 3s\n      action: skew\n      node: n1\n      by: -5ms\nnemesis:\n    - kinds:\n        - crash\n      every: 1s\n      heal: 500ms\n      stop: 4s\n    - kinds:\n        - pause\n      schedule: jepsen\n      every: 2s\nservices:\n    - lin-kv\nstrict: true\n", string(b))

	back, err := scenario.Parse("/x/s.yaml", b)
	require.NoError(t, err)
	back.Modules[0].Go, back.Modules[1].Wasm = s.Modules[0].Go, s.Modules[1].Wasm // written relative to /x
	again, err := scenario.Encode(back, "/x")
	require.NoError(t, err)
	assert.Equal(t, string(b), string(again), "what Encode writes reads back to the same scenario")
}

func TestEncodeRefusesParamsThatAreNotJSON(t *testing.T) {
	s, err := scenario.Parse("s.yaml", []byte(valid))
	require.NoError(t, err)
	s.Groups[0].Params = json.RawMessage("{")
	_, err = scenario.Encode(s, "")
	assert.ErrorContains(t, err, "scenario: encode params: ")
}
