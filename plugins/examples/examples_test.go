//go:build !wasip1

// Package examples_test builds the example nodes of plugins/examples (one in
// WebAssembly text, one in AssemblyScript; neither uses an SDK) and runs
// them against the echo workload and its check.
package examples_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/scenariotest"
	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

func build(t *testing.T, example string) []byte {
	t.Helper()
	var code []byte
	var err error
	switch example {
	case "wat":
		var src []byte
		src, err = os.ReadFile("wat/echo.wat")
		require.NoError(t, err)
		code, err = testguests.Wat2Wasm(src)
	case "assemblyscript":
		code, err = testguests.AssemblyScript("assemblyscript/echo.ts")
	}
	require.NoError(t, err)
	return code
}

// scenario is an echo run over a jittery network: three servers, two clients.
const scenario = `name: example
duration: 2s
modules:
  echo: {wasm: echo.wasm}
nodes:
  - {name: n, count: 3, module: echo}
network:
  latency: {min: 1ms, max: 5ms}
workload: {type: echo, clients: 2, interval: 10ms, timeout: 1s}
checks: [echo]
`

func TestExamplesPassTheEchoWorkload(t *testing.T) {
	for _, example := range []string{"wat", "assemblyscript"} {
		t.Run(example, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "echo.wasm"), build(t, example), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "scenario.yaml"), []byte(scenario), 0o644))
			res := scenariotest.Run(t, filepath.Join(dir, "scenario.yaml"), 3)
			assert.Empty(t, res.Crashes)
			c := res.Checks["echo"]
			assert.Equal(t, check.Valid, c.Verdict, c.Summary)
			assert.True(t, res.Valid)
			assert.Greater(t, res.Stats.Delivered, uint64(400), "hundreds of requests and their replies")
		})
	}
}

// AssemblyScript's default import env.abort is accepted, and a throw
// crashes the node with the message, file, line and column decoded.
func TestAssemblyScriptAbortCrashesWithItsMessage(t *testing.T) {
	s, err := sim.New(context.Background(), sim.NewConfig().WithEngine(sim.Engine{CacheDir: t.TempDir()}))
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.LoadModule("as", build(t, "assemblyscript")))
	_, err = s.AddNodes(sim.NodeSpec{Name: "n", Count: 2, Module: "as"})
	require.NoError(t, err)
	clients, err := s.AddClients(1)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	s.At(time.Millisecond, func() {
		require.NoError(t, clients[0].Call("n0", map[string]any{"type": "boom"}, 0, func(history.Reply) {}))
	})
	require.NoError(t, s.RunFor(10*time.Millisecond))
	n0 := s.Node("n0")
	require.Equal(t, nodes.Crashed, n0.State())
	t.Log(n0.CrashReason())
	assert.Regexp(t, `^abort: boom requested by c0 at assemblyscript/echo\.ts:\d+:\d+$`, n0.CrashReason())
	assert.Equal(t, nodes.Running, s.Node("n1").State())
}
