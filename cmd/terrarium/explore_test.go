package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// terrarium explore finds the lease bug, writes the failing run as a
// scenario, and terrarium run replays that scenario to the same digest
// and verdict.
func TestExploreFindsAndRunReplays(t *testing.T) {
	found := filepath.Join(t.TempDir(), "found.yaml")
	code, out, errs := cli(t, "explore", filepath.Join("..", "..", "plugins", "zoo", "lease", "scenario.yaml"), "--quiet", "--out", found)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	assert.Contains(t, out, "first failing run: 5 (seed 1), WRONG (safety), ")
	assert.Contains(t, out, "  choice points: order ")
	assert.Contains(t, out, "  order ")
	assert.Contains(t, out, "check zoo-exclusive: event 17 (emit on server at 5ms): the lease went to c1 while c0 held it until 9ms")
	m := regexp.MustCompile(`replays to ([0-9a-f]{64}): true`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Equal(t, "FAIL ../../plugins/zoo/lease/scenario.yaml strategy=dfs: terrarium run "+found, lastLine(out))

	b, err := os.ReadFile(found)
	require.NoError(t, err)
	assert.Contains(t, string(b), "schedule:\n")
	code, out, _ = cli(t, "run", found)
	assert.Equal(t, 1, code)
	d := digestRE.FindStringSubmatch(lastLine(out))
	require.NotNil(t, d, out)
	assert.Equal(t, m[1], d[1], "the found scenario replays to the digest explore reported")
}

// --strategy bfs prunes by state hash and says how many states it hashed;
// with --prune=false it hashes none and finds the same schedule.
func TestExploreBFS(t *testing.T) {
	scn := filepath.Join("..", "..", "plugins", "zoo", "lease", "scenario.yaml")
	var schedules []string
	for _, prune := range []string{"--prune=true", "--prune=false"} {
		code, out, errs := cli(t, "explore", scn, "--strategy", "bfs", prune, "--quiet", "--out", filepath.Join(t.TempDir(), "found.yaml"))
		require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errs)
		assert.Equal(t, prune == "--prune=true", regexp.MustCompile(`hashed states [1-9]`).MatchString(out), out)
		m := regexp.MustCompile(`(?m)^  order .*$`).FindAllString(out, -1)
		require.NotEmpty(t, m, out)
		schedules = append(schedules, strings.Join(m, "\n"))
	}
	assert.Equal(t, schedules[0], schedules[1])
}

// Bad flags are bad input (exit 2) with a message.
func TestExploreBadInput(t *testing.T) {
	scn := filepath.Join("..", "..", "plugins", "zoo", "lease", "scenario.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explore"}, "terrarium explore: want one SCENARIO file, got 0 arguments\n"},
		{[]string{"explore", scn, "--budget", "soon"}, "terrarium explore: --budget: \"soon\" is neither a number of runs (1000, 1e6) nor a duration (30s, 10m)\n"},
		{[]string{"explore", scn, "--budget", "1.5"}, "terrarium explore: --budget: \"1.5\" is neither a number of runs (1000, 1e6) nor a duration (30s, 10m)\n"},
		{[]string{"explore", scn, "--strategy", "astar"}, "terrarium explore: --strategy \"astar\": want dfs, pct, random, bfs or sweep\n"},
		{[]string{"explore", scn, "--depth", "0"}, "terrarium explore: --bound and --crashes want 0 or more, --depth 1 or more\n"},
	} {
		code, _, errs := cli(t, tc.args...)
		assert.Equal(t, 2, code, tc.args)
		assert.Contains(t, errs, tc.want, tc.args)
	}
}

// A budget is a run count or a wall time.
func TestParseBudget(t *testing.T) {
	runs, wall, err := parseBudget("1e6")
	require.NoError(t, err)
	assert.Equal(t, 1_000_000, runs)
	assert.Zero(t, wall)
	runs, wall, err = parseBudget("10m")
	require.NoError(t, err)
	assert.Zero(t, runs)
	assert.Equal(t, "10m0s", wall.String())
	_, _, err = parseBudget("0")
	assert.Error(t, err)
}

// A bad --shard, --workers or a strategy that cannot split is bad input
// (exit 2), named before any run.
func TestExploreBadShardSpecs(t *testing.T) {
	lease := filepath.Join("..", "..", "plugins", "zoo", "lease", "scenario.yaml")
	for args, want := range map[string]string{
		"--shard 3/2":                "--shard: shard \"3/2\": index 3 must be from 0 to 1",
		"--shard x":                  "--shard: shard \"x\": want i/n",
		"--shard 0/0":                "count 0 must be at least 1",
		"--workers 0":                "--workers 0: want 1 or more",
		"--shard 0/2 --strategy bfs": "this strategy cannot be split (dfs, pct, random and sweep can)",
	} {
		code, _, errs := cli(t, append([]string{"explore", lease, "--quiet", "--budget", "1"}, strings.Fields(args)...)...)
		assert.Equal(t, 2, code, args)
		assert.Contains(t, errs, want, args)
	}
	code, _, errs := cli(t, "explore", "merge")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "want the parts' summary files")
	code, _, errs = cli(t, "explore", "merge", filepath.Join(t.TempDir(), "none.json"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "none.json: no such file")
}

// terrarium explore --shard i/n writes each part's summary; explore
// merge joins them to the unsplit search's first failure, and says which
// part is missing.
func TestExploreShardsAndMerge(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "plugins", "zoo", "stamp", "scenario.yaml"))
	require.NoError(t, err)
	scn := filepath.Join(dir, "stamp.yaml")
	require.NoError(t, os.WriteFile(scn, []byte(strings.Replace(string(src), "go: .", "go: "+filepath.Join(wd(t), "..", "..", "plugins", "zoo", "stamp"), 1)), 0o644))
	var parts []string
	for i := range 2 {
		sh := []string{"0/2", "1/2"}[i]
		code, out, errs := cli(t, "explore", scn, "--quiet", "--strategy", "dfs", "--shard", sh, "--budget", "20")
		require.Contains(t, []int{0, 1}, code, "%s\n%s", out, errs)
		assert.Contains(t, out, "shard="+sh)
		parts = append(parts, filepath.Join(dir, "stamp.explore-"+strings.Replace(sh, "/", "-of-", 1)+".json"))
	}
	code, out, errs := cli(t, "explore", "merge", parts[0], parts[1])
	require.Equal(t, 1, code, "%s\n%s", out, errs)
	assert.Contains(t, out, "first failing run: shard ")
	assert.Contains(t, lastLine(out), "FAIL "+scn+": terrarium run "+filepath.Join(dir, "stamp.found-"))
	code, out, _ = cli(t, "explore", "merge", parts[1])
	assert.Contains(t, []int{1, 2}, code)
	if code == 2 {
		assert.Contains(t, out, "shards 0/2 are missing")
	}
}

func wd(t *testing.T) string {
	d, err := os.Getwd()
	require.NoError(t, err)
	return d
}

// --state saves where a search stopped and the same command resumes it:
// the lease's dfs, stopped after 2 runs, goes on to the failure at the
// run an unstopped search finds it.
func TestExploreStateResumes(t *testing.T) {
	lease := filepath.Join("..", "..", "plugins", "zoo", "lease", "scenario.yaml")
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	code, out, errs := cli(t, "explore", lease, "--quiet", "--budget", "2", "--state", state, "--out", filepath.Join(dir, "a.yaml"))
	require.Equal(t, 0, code, "%s\n%s", out, errs)
	assert.FileExists(t, state)
	code, out, errs = cli(t, "explore", lease, "--quiet", "--budget", "100", "--state", state, "--out", filepath.Join(dir, "b.yaml"))
	require.Equal(t, 1, code, "%s\n%s", out, errs)
	assert.Contains(t, out, "resumed after 2 runs")
	_, whole, _ := cli(t, "explore", lease, "--quiet", "--budget", "100", "--out", filepath.Join(dir, "c.yaml"))
	first := regexp.MustCompile(`first failing run: \d+`)
	assert.Equal(t, first.FindString(whole), first.FindString(out))
	code, _, errs = cli(t, "explore", lease, "--quiet", "--budget", "100", "--state", state, "--strategy", "pct")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "the state is of the search")
}

// --snapshots=false replays every run from the start and finds what the
// default (branching dfs runs from snapshots) finds: the same failing run,
// schedule and digest; the default says how its runs were made.
func TestExploreSnapshotsFlag(t *testing.T) {
	scn := filepath.Join("..", "..", "plugins", "zoo", "lease", "scenario.yaml")
	var found []string
	for _, flag := range []string{"--snapshots=true", "--snapshots=false"} {
		code, out, errs := cli(t, "explore", scn, flag, "--quiet", "--out", filepath.Join(t.TempDir(), "found.yaml"))
		require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errs)
		assert.Equal(t, flag == "--snapshots=true", strings.Contains(out, "  snapshots: "), out)
		m := regexp.MustCompile(`(?s)first failing run: .*replays to [0-9a-f]{64}: true`).FindString(out)
		require.NotEmpty(t, m, out)
		found = append(found, regexp.MustCompile(`wrote \S+`).ReplaceAllString(m, "wrote FILE"))
	}
	assert.Equal(t, found[0], found[1])
}
