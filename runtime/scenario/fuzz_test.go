package scenario_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// FuzzParse checks that Parse never panics, that every failure is an Errors
// naming the file, and that every success satisfies the package's
// invariants.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fullScenario))
	f.Add([]byte(valid))
	f.Add([]byte(valid + "network: {latency: {min: 1ms, max: 2ms}, links: [{from: n, to: '*', loss: 0.5}]}\n"))
	f.Add([]byte(valid + "workload: {type: echo, params: {a: &x [1, {b: *x}]}}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("duration: 1s\nnodes: [{name: n, count: 3, module: m}]\nmodules: {m: {go: .}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := scenario.Parse("f.yaml", data)
		if err != nil {
			var errs scenario.Errors
			require.True(t, errors.As(err, &errs), "error is %T", err)
			require.NotEmpty(t, errs)
			for _, e := range errs {
				assert.Equal(t, "f.yaml", e.File)
				assert.NotEmpty(t, e.Msg)
			}
			return
		}
		assert.Positive(t, s.Duration)
		assert.NotEmpty(t, s.Modules)
		total := 0
		for _, g := range s.Groups {
			total += g.Count
			assert.True(t, json.Valid(g.Params))
			assert.NotNil(t, s.Module(g.Module))
			assert.True(t, s.Module(g.Module).HasRole(g.Role))
		}
		assert.Len(t, s.Nodes, total)
		seen := map[string]bool{}
		for i, n := range s.Nodes {
			assert.Equal(t, i, n.Index)
			assert.False(t, seen[n.Name], "duplicate node %q", n.Name)
			seen[n.Name] = true
		}
		assert.True(t, json.Valid(s.Workload.Params))
		for _, c := range s.Checks {
			assert.True(t, json.Valid(c.Params))
		}
		assert.LessOrEqual(t, s.Network.Latency.Min, s.Network.Latency.Max)
	})
}
