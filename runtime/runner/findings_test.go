package runner_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// TestFindingsFailOnlyAStrictRun: a check's findings are listed in the
// result and in results.json, check by check; they leave the verdict to
// the checks unless the scenario says strict: true.
func TestFindingsFailOnlyAStrictRun(t *testing.T) {
	reg := runner.NewRegistry()
	require.NoError(t, reg.AddCheck("picky", func(in check.Input) check.Result {
		r := check.Result{Verdict: check.Valid, Summary: "fine by the reference"}
		r.Find("too-slow", []string{"op 3 took 4ms", "op 5 took 4ms"})
		return r
	}))
	echo := mustAbs(t, filepath.Join("..", "..", "plugins", "echo"))
	for _, strict := range []bool{false, true} {
		dir := t.TempDir()
		yaml := "duration: 200ms\nmodules: {echo: {go: " + echo + ", roles: [server]}}\nnodes: [{name: n, count: 1, module: echo}]\n" +
			"workload: {type: echo, clients: 1, interval: 20ms, timeout: 1s}\nchecks: [echo, picky]\n"
		if strict {
			yaml += "strict: true\n"
		}
		file := filepath.Join(dir, "s.yaml")
		require.NoError(t, os.WriteFile(file, []byte(yaml), 0o644))
		out := filepath.Join(dir, "out")
		res, err := runner.Execute(context.Background(), load(t, file, reg), runner.NewOptions().WithRegistry(reg).WithOutDir(out))
		require.NoError(t, err)
		assert.Equal(t, check.Valid, res.Checks["picky"].Verdict, "a finding never changes the check's verdict")
		assert.Empty(t, res.Checks["picky"].Findings, "listed once, in the run's findings")
		require.Len(t, res.Findings, 1)
		assert.Equal(t, "picky", res.Findings[0].Check)
		assert.Equal(t, "too-slow", res.Findings[0].Name)
		assert.Equal(t, "2 cases; first: op 3 took 4ms", res.Findings[0].Summary)
		assert.Equal(t, strict, res.Strict)
		if strict {
			assert.Equal(t, check.Invalid, res.Verdict)
			assert.False(t, res.Valid)
		} else {
			assert.Equal(t, check.Valid, res.Verdict)
			assert.True(t, res.Valid)
		}
		b, err := os.ReadFile(filepath.Join(out, "results.json"))
		require.NoError(t, err)
		var doc struct {
			Findings []map[string]any `json:"findings"`
			Strict   bool             `json:"strict"`
		}
		require.NoError(t, json.Unmarshal(b, &doc))
		require.Len(t, doc.Findings, 1)
		assert.Equal(t, map[string]any{"check": "picky", "name": "too-slow", "summary": "2 cases; first: op 3 took 4ms",
			"details": []any{"op 3 took 4ms", "op 5 took 4ms"}}, doc.Findings[0])
		assert.Equal(t, strict, doc.Strict)
	}
}
