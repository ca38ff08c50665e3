package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// runScenario runs a bundled plugin's scenario with seed 7 into a fresh run
// folder.
func runScenario(t *testing.T, plugin string, persist bool) (string, *runner.Result) {
	t.Helper()
	scn, err := runner.Load(filepath.Join("..", "..", "plugins", plugin, "scenario.yaml"), patterns.Registry())
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "run")
	res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithRegistry(patterns.Registry()).WithOutDir(dir).WithSeed(7).WithPersist(persist))
	require.NoError(t, err)
	return dir, res
}

func TestInspectRunFolder(t *testing.T) {
	dir, res := runScenario(t, "echo", false)
	reports := []string{"lamport.html", "stats.json", "timeline.json", "shiviz.log"}
	for _, f := range reports { // whether or not the run wrote them
		require.NoError(t, os.RemoveAll(filepath.Join(dir, f)))
	}
	code, out, errs := cli(t, "inspect", dir)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "verdict   valid (PASS) · seed 7")
	assert.Contains(t, out, "digest    "+res.TraceSHA256)
	assert.Regexp(t, `(?m)^  echo\s+valid\s`, out)
	assert.Regexp(t, `(?m)^  echo_ok\s+\d+`, out)
	assert.Regexp(t, `(?m)^  n2\s+\|=+\| up throughout$`, out)
	assert.NotContains(t, out, "wrote")
	for _, f := range reports {
		_, err := os.Stat(filepath.Join(dir, f))
		assert.True(t, os.IsNotExist(err), "inspect without --write writes no %s", f)
	}

	code, out, errs = cli(t, "inspect", "--write", dir)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "wrote "+dir+": lamport.html (")
	for _, f := range reports {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.NotZero(t, st.Size(), f)
	}
}

func TestInspectNotARunFolder(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := cli(t, "inspect", dir)
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "not a run folder")
	assert.Contains(t, errs, "results.json")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "results.json"), []byte(`{"nodes":["n0"]}`), 0o644))
	code, _, errs = cli(t, "inspect", dir, "--write")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "trace.jsonl")

	code, _, errs = cli(t, "inspect", filepath.Join(dir, "missing"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "missing")

	code, _, errs = cli(t, "inspect")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "want one run folder DIR")
}

func TestKVPrintsAStore(t *testing.T) {
	dir := t.TempDir()
	st, err := nodes.OpenStore(filepath.Join(dir, "stores", "n1"))
	require.NoError(t, err)
	for k, v := range map[string][]byte{"greeting": []byte("hello world"), "bin": {0, 1, 0xff}, "user/2": []byte("bob"),
		"user/1": []byte("alice"), "multi": []byte("a\nb"), "hexlike": []byte("0x41")} {
		require.NoError(t, st.Put([]byte(k), v))
	}
	require.NoError(t, st.Sync())
	require.NoError(t, st.Close())

	code, out, errs := cli(t, "kv", dir, "n1")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "bin\t0x0001ff\ngreeting\thello world\nhexlike\t0x30783431\nmulti\t0x610a62\nuser/1\talice\nuser/2\tbob\n", out)
	assert.Contains(t, errs, "6 keys in ")

	code, out, errs = cli(t, "kv", dir, "n1", "--prefix", "user/")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "user/1\talice\nuser/2\tbob\n", out)

	code, out, errs = cli(t, "kv", dir, "n0")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, `node "n0" has no store`)
	assert.Contains(t, errs, "nodes with a store: n1")

	code, _, errs = cli(t, "kv", t.TempDir(), "n0")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--persist")

	code, _, _ = cli(t, "kv", dir)
	assert.Equal(t, 2, code)
}

func TestKVReadsAPersistedRun(t *testing.T) {
	dir, res := runScenario(t, "broadcast", true)
	require.True(t, res.Valid)
	code, out, errs := cli(t, "kv", dir, "n0")
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.NotEmpty(t, lines)
	for _, l := range lines {
		assert.Contains(t, l, "\t", "key<TAB>value: %q", l)
	}
	assert.Contains(t, errs, filepath.Join(dir, "stores", "n0"))

	code, _, errs = cli(t, "kv", dir, "c0")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "n0, n1, n2, n3, n4")
}

// Reference: issue 7: inspect checks trace.jsonl against the digest.
func TestInspectCatchesAnEditedTrace(t *testing.T) {
	dir, _ := runScenario(t, "echo", false)
	code, out, errs := cli(t, "inspect", dir)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `trace\s+\d+ events verified against trace_sha256`, out)

	path := filepath.Join(dir, "trace.jsonl")
	orig, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(orig), "\n")
	require.Greater(t, len(lines), 20)

	dropped := strings.Join(append(append([]string(nil), lines[:10]...), lines[11:]...), "")
	require.NoError(t, os.WriteFile(path, []byte(dropped), 0o644))
	code, _, errs = cli(t, "inspect", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "line 11: event seq 12 where 11 was due")

	edited := strings.Replace(string(orig), `"label":"echo"`, `"label":"echo_x"`, 1)
	require.NotEqual(t, string(orig), edited)
	require.NoError(t, os.WriteFile(path, []byte(edited), 0o644))
	code, _, errs = cli(t, "inspect", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "does not match the run's trace_sha256")

	require.NoError(t, os.WriteFile(path, orig, 0o644))
	code, _, errs = cli(t, "inspect", dir)
	assert.Equal(t, 0, code, errs)
}

// Reference: issue 7: `terrarium kv` only reads the store it prints.
func TestKVDoesNotChangeTheStore(t *testing.T) {
	dir, _ := runScenario(t, "broadcast", true)
	store := filepath.Join(dir, "stores", "n0")
	before := snapshot(t, store)
	code, _, errs := cli(t, "kv", dir, "n0")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, before, snapshot(t, store), "kv left the store's files as they were")
}

// snapshot maps every file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	}))
	return out
}
