package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

func TestServices(t *testing.T) {
	s, err := scenario.Parse("s.yaml", []byte(valid+"services: [lin-kv, seq-kv]\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"lin-kv", "seq-kv"}, s.Services)
	assert.Equal(t, []string{"n"}, s.NodeNames(), "services are not nodes")

	b, err := scenario.Encode(s, "")
	require.NoError(t, err)
	back, err := scenario.Parse("s.yaml", b)
	require.NoError(t, err)
	assert.Equal(t, s.Services, back.Services)
}

func TestServicesErrors(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"unknown":     {"services: [lin-kv, raft]\n", `s.yaml:4:20: services[1]: unknown service "raft" (known: lin-kv, lin-tso, lww-kv, seq-kv)`},
		"duplicate":   {"services: [seq-kv, seq-kv]\n", `s.yaml:4:20: services[1]: duplicate service "seq-kv" (first at line 4)`},
		"not a list":  {"services: lin-kv\n", `s.yaml:4:11: services: expected a sequence of services, got "lin-kv"`},
		"node's name": {"duration: 1s\nmodules: {echo: {wasm: e.wasm}}\nnodes: [{name: lin-kv, module: echo}]\nservices: [lin-kv]\n", `s.yaml:4:12: services[0]: service "lin-kv" has the name of a node`},
	} {
		t.Run(name, func(t *testing.T) {
			src := tc.src
			if name != "node's name" {
				src = valid + src
			}
			_, err := scenario.Parse("s.yaml", []byte(src))
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}
