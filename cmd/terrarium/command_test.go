package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stdioBin is one of our command-style programs: standard library only,
// built with plain GOOS=wasip1 GOARCH=wasm go build (docs/ABI.md,
// "Command guests").
func stdioBin(name string) string {
	return filepath.Join("..", "..", "plugins", "maelstrom", "stdio", name)
}

// verdictLines keeps what a test decides: the check lines, the operations
// line and the final verdict, without the digest.
func verdictLines(out string) []string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "check ") || strings.HasPrefix(l, "operations ") || strings.HasPrefix(l, "availability ") {
			keep = append(keep, l)
		}
		if strings.HasPrefix(l, "PASS ") || strings.HasPrefix(l, "FAIL ") {
			keep = append(keep, regexp.MustCompile(`trace_sha256=\S+ ?`).ReplaceAllString(l, ""))
		}
	}
	return keep
}

// The command-style echo and the SDK-style echo get the same verdicts,
// passing and failing alike.
func TestTestCommandEchoMatchesSDKEcho(t *testing.T) {
	sdk := filepath.Join("..", "..", "plugins", "echo")
	for _, flags := range [][]string{
		{"--time-limit", "5", "--nemesis", "partition", "--nemesis-interval", "1"},
		{"--time-limit", "5", "--nemesis", "kill", "--nemesis-interval", "1", "--availability", "total"},
	} {
		run := func(bin string) (int, []string) {
			code, out, errs := cli(t, append([]string{"test", "-w", "echo", "--bin", bin}, flags...)...)
			require.NotEqual(t, 2, code, "%s\n%s", out, errs)
			return code, verdictLines(strings.ReplaceAll(out, bin, "BIN"))
		}
		codeCmd, cmd := run(stdioBin("echo"))
		codeSDK, sdkLines := run(sdk)
		assert.Equal(t, codeSDK, codeCmd, "%v", flags)
		assert.Equal(t, sdkLines, cmd, "%v", flags)
		require.NotEmpty(t, cmd)
	}
}

// The command-style broadcast passes under partitions, and the run is a
// pure function of its seed.
func TestTestCommandBroadcastPasses(t *testing.T) {
	args := []string{"test", "-w", "broadcast", "--bin", stdioBin("broadcast"), "--node-count", "5", "--time-limit", "10",
		"--rate", "20", "--latency", "20", "--nemesis", "partition", "--nemesis-interval", "4"}
	code, out, errs := cli(t, args...)
	require.Equal(t, 0, code, "%s\n%s", out, errs)
	assert.True(t, strings.HasPrefix(lastLine(out), "PASS test -w broadcast seed=1"), lastLine(out))
	assert.Regexp(t, `dropped [1-9]`, out, "the partitions dropped messages")
	m := digestRE.FindStringSubmatch(lastLine(out))
	require.NotNil(t, m)
	_, again, _ := cli(t, args...)
	assert.Contains(t, lastLine(again), "trace_sha256="+m[1], "same seed, same digest")
}

// A broken command-style program fails: broadcast against the echo
// program, which answers every broadcast with an error.
func TestTestCommandBroadcastFailsWithEcho(t *testing.T) {
	code, out, _ := cli(t, "test", "-w", "broadcast", "--bin", stdioBin("echo"), "--time-limit", "3")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, lastLine(out), "FAIL test -w broadcast")
}

// rustEcho builds plugins/maelstrom/stdio/rust-echo with the first Rust
// toolchain here that has a WASI preview 1 target, or skips.
func rustEcho(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "plugins", "maelstrom", "stdio", "rust-echo", "main.rs")
	out := filepath.Join(t.TempDir(), "echo.wasm")
	var tried []string
	for _, rustc := range []string{"rustc", "/usr/bin/rustc"} {
		for _, target := range []string{"wasm32-wasip1", "wasm32-wasi"} {
			if b, err := exec.Command(rustc, "--target", target, "-O", "-o", out, src).CombinedOutput(); err == nil {
				return out
			} else {
				tried = append(tried, fmt.Sprintf("%s --target %s: %v %.200s", rustc, target, err, b))
			}
		}
	}
	t.Skipf("no Rust toolchain with a wasm32-wasip1 target:\n%s", strings.Join(tried, "\n"))
	return ""
}

// A Rust program (blocking reads on stdin) passes echo with the SDK echo's
// verdicts.
func TestTestRustEchoMatchesSDKEcho(t *testing.T) {
	bin := rustEcho(t)
	flags := []string{"-w", "echo", "--time-limit", "5", "--nemesis", "partition", "--nemesis-interval", "1"}
	code, out, errs := cli(t, append([]string{"test", "--bin", bin}, flags...)...)
	require.Equal(t, 0, code, "%s\n%s", out, errs)
	_, sdk, _ := cli(t, append([]string{"test", "--bin", filepath.Join("..", "..", "plugins", "echo")}, flags...)...)
	assert.Equal(t, verdictLines(sdk), verdictLines(out))
}
