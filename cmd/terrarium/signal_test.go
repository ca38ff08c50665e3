package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
)

func TestEverySubcommandHasHelpOnStdout(t *testing.T) {
	for _, c := range []string{"run", "sweep", "shrink", "inspect", "kv", "patterns", "build", "serve", "test"} {
		code, out, errs := cli(t, c, "--help")
		assert.Equal(t, 0, code, c)
		assert.Contains(t, out, "usage: terrarium "+c, c)
		assert.Empty(t, errs, c)
	}
	code, out, _ := cli(t, "help")
	assert.Equal(t, 0, code)
	for _, c := range []string{"run", "sweep", "shrink", "inspect", "kv", "patterns", "build", "serve", "test"} {
		assert.Contains(t, out, "terrarium "+c, "help lists %s", c)
	}
}

// buildCLI builds the terrarium binary for tests that need a real process.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "terrarium")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// waitFor polls until cond holds, failing if the process ends first or
// after a generous bound: it waits for something to happen, never to prove
// that nothing does.
func waitFor(t *testing.T, what string, exited <-chan struct{}, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		select {
		case <-exited:
			t.Fatalf("the process ended before %s", what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Reference: issue 7, "Interrupts": SIGINT and SIGTERM stop a run, write
// what exists with verdict unknown, and exit 130.
func TestSignalStopsARunWithVerdictUnknown(t *testing.T) {
	bin := buildCLI(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, "run", "testdata/long_echo.yaml", "--out", dir, "--seed", "4")
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			exited := make(chan struct{})
			var err error
			go func() { err = cmd.Wait(); close(exited) }()
			trace := filepath.Join(dir, "trace.jsonl")
			waitFor(t, "the run writes its trace", exited, func() bool {
				st, err := os.Stat(trace)
				return err == nil && st.Size() > 1<<20
			})
			require.NoError(t, cmd.Process.Signal(sig))
			<-exited
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "stderr: %s", stderr.String())
			assert.Equal(t, exitInterrupted, exit.ExitCode())
			last := lastLine(stdout.String())
			assert.Contains(t, last, "FAIL testdata/long_echo.yaml seed=4 verdict=unknown (interrupted")
			assert.Regexp(t, `trace_sha256=[0-9a-f]{64}`, last)
			var res struct {
				Verdict string `json:"verdict"`
				Reason  string `json:"reason"`
				Seed    uint64 `json:"seed"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "results.json"))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &res))
			assert.Equal(t, "unknown", res.Verdict)
			assert.Contains(t, res.Reason, "interrupted")
			assert.Equal(t, uint64(4), res.Seed)
		})
	}
}

// floodScenario writes a scenario whose one node floods itself (each
// message it gets, two more; selfflood.wat) with the per-node caps raised
// out of the way, so the run stays busy until the run-wide caps, writing a
// trace as fast as it can.
func floodScenario(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	wasm, err := testguests.Wasm("selfflood")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "flood.wasm"), wasm, 0o644))
	scn := filepath.Join(dir, "flood.yaml")
	require.NoError(t, os.WriteFile(scn, []byte(`name: flood
duration: 60s
modules:
  f: {wasm: flood.wasm}
nodes:
  - {name: n, module: f}
network:
  latency: {dist: normal, mean: 1ms, stddev: 200us, min: 500us}
limits: {in_flight_messages: 1000000000, callbacks_per_second: 1000000000}
`), 0o644))
	return scn
}

// Reference: issue 15, "CLI": SIGTERM ends a flooding run with a large
// trace within a second (here, generously, five): the report files, which
// would read the whole trace again, are not written, and results.json says
// so beside verdict unknown and the reason.
func TestSignalEndsAFloodingRunPromptly(t *testing.T) {
	bin := buildCLI(t)
	scn := floodScenario(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "run", scn, "--out", dir, "--workers", "2")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	var err error
	go func() { err = cmd.Wait(); close(exited) }()
	trace := filepath.Join(dir, "trace.jsonl")
	waitFor(t, "the flood writes 96 MiB of trace", exited, func() bool {
		st, err := os.Stat(trace)
		return err == nil && st.Size() > 96<<20
	})
	sent := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-exited:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("the run did not end within a minute of SIGTERM")
	}
	took := time.Since(sent)
	t.Logf("the run ended %v after SIGTERM", took)
	assert.Less(t, took, 5*time.Second, "SIGTERM ends the run promptly")
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "stderr: %s", stderr.String())
	assert.Equal(t, exitInterrupted, exit.ExitCode())
	var res struct {
		Verdict     string   `json:"verdict"`
		Reason      string   `json:"reason"`
		ReportNotes []string `json:"report_notes"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &res))
	assert.Equal(t, "unknown", res.Verdict)
	assert.Contains(t, res.Reason, "interrupted")
	assert.Equal(t, []string{"lamport.html, shiviz.log, stats.json, timeline.json: not written: the run was interrupted (terrarium inspect DIR --write writes them)"}, res.ReportNotes)
	assert.NoFileExists(t, filepath.Join(dir, "lamport.html"))
}
