package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/sweep"
)

func TestSweepFailingSeedsExit1WithReproduceCommandsAndRunFolders(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	code, out, errs := cli(t, "sweep", "testdata/badecho.yaml", "--seeds", "2,5", "--out", dir)
	require.Equal(t, 1, code, "%s\n%s", out, errs)
	assert.Equal(t, "FAIL testdata/badecho.yaml seeds=2,5 failed=2 first: terrarium run testdata/badecho.yaml --seed 2", lastLine(out))
	for _, seed := range []string{"2", "5"} {
		assert.Contains(t, out, "reproduce: terrarium run testdata/badecho.yaml --seed "+seed)
		assert.Contains(t, out, "run folder "+filepath.Join(dir, "seed-"+seed))
		var res map[string]any
		b, err := os.ReadFile(filepath.Join(dir, "seed-"+seed, "results.json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &res))
		assert.Equal(t, false, res["valid"])
		assert.Equal(t, "invalid", res["verdict"])
		for _, f := range []string{"trace.jsonl", "history.jsonl"} {
			assert.FileExists(t, filepath.Join(dir, "seed-"+seed, f))
		}
	}
	assert.Contains(t, out, `got "garbled" back`, "the failing check's summary")
	assert.Regexp(t, `failed +2\n`, out)
	assert.Regexp(t, `passed +0 +0\.0%`, out)
	assert.Empty(t, errs, "no progress bar when stderr is not a terminal")

	var sum map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "sweep.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &sum))
	assert.Equal(t, "2,5", sum["seeds"])
	assert.Equal(t, float64(2), sum["failed"])
	failing := sum["failing"].([]any)
	require.Len(t, failing, 2)
	assert.Equal(t, "terrarium run testdata/badecho.yaml --seed 2", failing[0].(map[string]any)["reproduce"])
}

func TestSweepShardsPassAndMerge(t *testing.T) {
	scn := filepath.Join("..", "..", "plugins", "echo", "scenario.yaml")
	root := t.TempDir()
	for _, i := range []string{"0", "1"} {
		code, out, errs := cli(t, "sweep", scn, "--seeds", "1..2", "--shard", i+"/2", "--out", filepath.Join(root, "shard-"+i), "--parallel", "1")
		require.Equal(t, 0, code, "%s\n%s", out, errs)
		assert.Equal(t, "PASS "+scn+" seeds=1..2 runs=1", lastLine(out))
		assert.Contains(t, out, "seeds=1..2 shard="+i+"/2")
		assert.Regexp(t, `runs/s +[0-9.]+\n`, out)
	}

	code, out, errs := cli(t, "sweep", "--merge", root)
	require.Equal(t, 0, code, "%s\n%s", out, errs)
	assert.Equal(t, "PASS "+scn+" seeds=1..2 runs=2", lastLine(out))
	assert.Regexp(t, `passed +2 +100\.0%`, out)

	code, out, _ = cli(t, "sweep", "--merge", filepath.Join(root, "shard-1", "sweep.json"), "--quiet")
	assert.Equal(t, 1, code, out)
	assert.Equal(t, "FAIL "+scn+" seeds=1..2 failed=0 missing=1\n", out)
	_, out, _ = cli(t, "sweep", "--merge", filepath.Join(root, "shard-1"))
	assert.Regexp(t, `missing shards +0/2\n`, out)

	code, _, errs = cli(t, "sweep", "--merge", root, filepath.Join(root, "shard-0", "sweep.json"), "testdata/badecho.yaml")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "testdata/badecho.yaml")
}

func TestSweepBadInputExits2(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"testdata/badecho.yaml", "--seeds", "5..1"}, []string{"--seeds", `"5..1"`, "before it starts"}},
		{[]string{"testdata/badecho.yaml", "--seeds", "1..3,x"}, []string{`part "x"`}},
		{[]string{"testdata/badecho.yaml", "--seeds", "1..3", "--shard", "2/2"}, []string{"--shard", `"2/2"`}},
		{[]string{"testdata/badecho.yaml", "--seeds", "1..3", "--shard", "1"}, []string{"--shard", "want i/n"}},
		{[]string{"testdata/badecho.yaml", "--seeds", "1", "--parallel", "-2"}, []string{"--parallel -2"}},
		{[]string{"testdata/badecho.yaml", "--seeds", "1", "--workers", "-3"}, []string{"--workers -3"}},
		{[]string{"--merge", "x", "--workers", "2"}, []string{"--workers does not go with --merge"}},
		{[]string{"testdata/badecho.yaml"}, []string{"--seeds is required"}},
		{[]string{"testdata/bad_unknown_field.yaml", "--seeds", "1..3"}, []string{"testdata/bad_unknown_field.yaml:5:", `unknown field "colour"`}},
		{[]string{"testdata/bad_wasm.yaml", "--seeds", "1..3"}, []string{"testdata/bad_wasm.yaml:3:", "modules.junk"}},
		{[]string{"a.yaml", "b.yaml", "--seeds", "1"}, []string{"want one SCENARIO file, got 2"}},
		{[]string{"--merge"}, []string{"want sweep.json files"}},
		{[]string{"--merge", "x", "--seeds", "1..3"}, []string{"--seeds does not go with --merge"}},
		{[]string{"--merge", "does-not-exist"}, []string{"does-not-exist"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := cli(t, append([]string{"sweep"}, tc.args...)...)
			assert.Equal(t, 2, code, out)
			for _, w := range tc.want {
				assert.Contains(t, errs, w)
			}
		})
	}
}

func TestSweepBarDrawsSeedsAndFailures(t *testing.T) {
	var b strings.Builder
	bar := sweepBar(&b, time.Now().Add(-time.Second))
	bar(1, 4, sweep.SeedResult{Seed: 1, Verdict: "valid"})
	bar(2, 4, sweep.SeedResult{Seed: 2, Verdict: "invalid"})
	assert.Contains(t, b.String(), "\r[###############...............]  50% 2/4 seeds, 1 failing")
	b.Reset()
	quiet := sweepBar(&b, time.Now())
	quiet(1, 4, sweep.SeedResult{Verdict: "valid"})
	assert.Empty(t, b.String(), "no bar in the first half second")
}
