package runner_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// rewriteScripts reports -rewrite, which datadriven defines for the
// scripts it drives: one flag refreshes the expected output of both.
func rewriteScripts() bool {
	f := flag.Lookup("rewrite")
	return f != nil && f.Value.String() == "true"
}

// TestScripts runs the data-driven scripts in testdata/scripts. Each block
// is a command, a line "----", and the output it must give; blocks are
// separated by a blank line. Commands:
//
//	scenario FILE [seed=N]   prepare a run (FILE relative to the script)
//	run D                    advance D of virtual time
//	step N                   run N events
//	partition a,b | c,d      and: repair, crash N, restart N, bounce N,
//	                         pause N, resume N, hold A B, release A B
//	nodes                    every node's state
//	kv-get NODE KEY          a key of a node's store now
//	kv-scan NODE [PREFIX]    the keys under a prefix
//	trace-tail N             the last N trace events
//	finish                   the rest of the run, then each check's verdict
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/scripts/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runScript(t, file) })
	}
}

type block struct{ cmd, want string }

func parseScript(t *testing.T, src string) []block {
	var out []block
	for _, chunk := range strings.Split(strings.TrimSpace(src), "\n\n") {
		cmd, want, ok := strings.Cut(chunk, "\n----")
		require.True(t, ok, "a block without ----: %q", chunk)
		out = append(out, block{cmd: strings.TrimSpace(cmd), want: strings.TrimPrefix(want, "\n")})
	}
	return out
}

func runScript(t *testing.T, file string) {
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	var r *runner.Run
	defer func() {
		if r != nil {
			r.Close()
		}
	}()
	var rewritten bytes.Buffer
	for i, b := range parseScript(t, string(src)) {
		got, err := scriptCommand(t, &r, filepath.Dir(file), b.cmd)
		if err != nil {
			got = "error: " + err.Error()
		}
		got = strings.TrimRight(got, "\n")
		if i > 0 {
			rewritten.WriteString("\n")
		}
		fmt.Fprintf(&rewritten, "%s\n----\n%s\n", b.cmd, got)
		if !rewriteScripts() {
			assert.Equal(t, strings.TrimRight(b.want, "\n"), got, "%s: %s", file, b.cmd)
		}
	}
	if rewriteScripts() {
		require.NoError(t, os.WriteFile(file, rewritten.Bytes(), 0o644))
	}
}

func nodeList(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func scriptCommand(t *testing.T, rp **runner.Run, dir, line string) (string, error) {
	args := strings.Fields(line)
	r := *rp
	if args[0] != "scenario" && r == nil {
		return "", fmt.Errorf("no scenario yet")
	}
	apply := func(f fault.Fault) (string, error) {
		if err := r.Apply(f); err != nil {
			return "", err
		}
		return fmt.Sprintf("%v at %v before event %d", f, r.Now(), r.Steps()+1), nil
	}
	switch args[0] {
	case "scenario":
		opts := runner.NewOptions()
		for _, a := range args[2:] {
			if v, ok := strings.CutPrefix(a, "seed="); ok {
				seed, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return "", err
				}
				opts = opts.WithSeed(seed)
			}
		}
		scn, err := runner.Load(filepath.Join(dir, args[1]), nil)
		if err != nil {
			return "", err
		}
		nr, err := runner.Prepare(context.Background(), scn, opts)
		if err != nil {
			return "", err
		}
		*rp = nr
		return fmt.Sprintf("%d nodes, seed %d, ends at %v", len(nr.Nodes()), nr.Seed(), nr.End()), nil
	case "run":
		d, err := time.ParseDuration(args[1])
		if err != nil {
			return "", err
		}
		if err := r.AdvanceTo(r.Now() + d); err != nil {
			return "", err
		}
		return fmt.Sprintf("t=%v events=%d", r.Now(), r.Stats().Events), nil
	case "step":
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return "", err
		}
		for range n {
			if _, err := r.Step(); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("t=%v events=%d", r.Now(), r.Stats().Events), nil
	case "partition":
		var groups [][]string
		for _, g := range strings.Split(strings.TrimPrefix(line, "partition"), "|") {
			groups = append(groups, nodeList(g))
		}
		return apply(fault.Fault{Kind: fault.Partition, Groups: groups})
	case "repair":
		return apply(fault.Fault{Kind: fault.Repair})
	case "crash", "restart", "bounce", "pause", "resume":
		return apply(fault.Fault{Kind: fault.Kind(args[0]), Node: args[1]})
	case "hold", "release":
		return apply(fault.Fault{Kind: fault.Kind(args[0]), From: []string{args[1]}, To: []string{args[2]}})
	case "nodes":
		var b strings.Builder
		for _, n := range r.Nodes() {
			fmt.Fprintf(&b, "%s %s incarnation=%d %s\n", n.Name, n.State, n.Incarnation, n.CrashReason)
		}
		return b.String(), nil
	case "kv-get", "kv-scan":
		kvs, err := r.Store(args[1])
		if err != nil {
			return "", err
		}
		var b strings.Builder
		for _, kv := range kvs {
			k := string(kv.Key)
			switch {
			case args[0] == "kv-get" && k == args[2]:
				return fmt.Sprintf("%s = %q", k, kv.Value), nil
			case args[0] == "kv-scan" && (len(args) < 3 || strings.HasPrefix(k, args[2])):
				fmt.Fprintf(&b, "%s\n", k)
			}
		}
		if args[0] == "kv-get" {
			return args[2] + " absent", nil
		}
		return b.String(), nil
	case "trace-tail":
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return "", err
		}
		total := int(r.Stats().Events)
		var b strings.Builder
		for _, e := range r.Events(max(0, total-n), n) {
			fmt.Fprintf(&b, "%d %v %s node=%d peer=%d %s\n", e.Seq, time.Duration(e.Time), e.Kind, e.Node, e.Peer, e.Label)
		}
		return b.String(), nil
	case "finish":
		res, err := r.Finish()
		if err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "verdict %s, %d events, %d crashes\n", res.Verdict, res.Stats.Events, res.Stats.Crashes)
		for _, name := range r.Scenario().Checks {
			fmt.Fprintf(&b, "%s: %s\n", name.Name, res.Checks[name.Name].Verdict)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("unknown command %q", args[0])
}
