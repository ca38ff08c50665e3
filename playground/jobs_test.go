package playground_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// brokenBroadcast is runtime/shrink's fixture with its module named from
// the plugins folder: every seed fails, and shrinking keeps one fault.
func brokenBroadcast(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "runtime", "shrink", "testdata", "broken_schedule.yaml"))
	require.NoError(t, err)
	return strings.Replace(string(b), "go: ../../../plugins/maelstrom/broadcast", "go: maelstrom/broadcast", 1)
}

// zooLease is the bug zoo's lease, its module named from the plugins folder.
func zooLease(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "plugins", "zoo", "lease", "scenario.yaml"))
	require.NoError(t, err)
	return strings.Replace(string(b), "go: .", "go: zoo/lease", 1)
}

// jobStatus decodes a job.
func jobStatus(t *testing.T, r resp) playground.JobStatus {
	t.Helper()
	var st playground.JobStatus
	require.NoError(t, json.Unmarshal(r.Body, &st), "body: %s", r.Body)
	return st
}

// awaitJob polls a job until it is no longer running.
func awaitJob(t *testing.T, base, id string) playground.JobStatus {
	t.Helper()
	for {
		r := get(t, base+"/api/v1/jobs/"+id)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		if st := jobStatus(t, r); st.State != "running" {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Bad input gets 400 naming the field; an unknown job 404; a scenario
// that does not parse 422 with its line.
func TestJobsRefuseBadInput(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithPreload(false).WithJobLimits(2, 10, 50, 20, time.Minute))
	url := hs.URL + "/api/v1/jobs"
	lease := zooLease(t)
	neg, big := -1, 99
	for _, c := range []struct {
		req   playground.JobRequest
		field string
	}{
		{playground.JobRequest{Scenario: lease}, "kind"},
		{playground.JobRequest{Kind: "fuzz", Scenario: lease}, "kind"},
		{playground.JobRequest{Kind: "sweep"}, "scenario"},
		{playground.JobRequest{Kind: "sweep", Scenario: lease}, "seeds"},
		{playground.JobRequest{Kind: "sweep", Scenario: lease, Seeds: "9..1"}, "seeds"},
		{playground.JobRequest{Kind: "sweep", Scenario: lease, Seeds: "1..11"}, "seeds"},
		{playground.JobRequest{Kind: "shrink", Scenario: lease}, "seed"},
		{playground.JobRequest{Kind: "shrink", Scenario: lease, Seed: new(uint64), MaxRuns: 21}, "max_runs"},
		{playground.JobRequest{Kind: "explore", Scenario: lease, Strategy: "zigzag"}, "strategy"},
		{playground.JobRequest{Kind: "explore", Scenario: lease, Budget: 51}, "budget"},
		{playground.JobRequest{Kind: "explore", Scenario: lease, Bound: &neg}, "bound"},
		{playground.JobRequest{Kind: "explore", Scenario: lease, Depth: &big}, "depth"},
		{playground.JobRequest{Kind: "explore", Scenario: lease, Crashes: -2}, "crashes"},
		{playground.JobRequest{Kind: "sweep", Pattern: "twopc", Name: "nope.yaml", Seeds: "1"}, "name"},
	} {
		r := postJSON(t, url, c.req)
		require.Equal(t, http.StatusBadRequest, r.Status, "%+v: %s", c.req, r.Body)
		e := r.apiError(t)
		assert.True(t, strings.HasPrefix(e["message"].(string), c.field+": "), "%+v: %s", c.req, r.Body)
		assert.Equal(t, c.field, e["problems"].([]any)[0].(map[string]any)["field"])
	}
	r := postJSON(t, url, playground.JobRequest{Kind: "sweep", Seeds: "1", Scenario: "name: x\nnodes: [\n"})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	r = postJSON(t, url, map[string]any{"kind": "sweep", "colour": "red"})
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.apiError(t)["message"], "colour")
	assert.Equal(t, http.StatusNotFound, get(t, url+"/nope").Status)
	assert.Equal(t, http.StatusNotFound, do(t, http.MethodDelete, url+"/nope", "", nil).Status)
}

// A sweep of a broken scenario finds its failing seeds; a second job past
// the cap gets 429 naming what to do; DELETE cancels a job and frees its
// slot; the server answers other requests while a job runs.
func TestJobSweepFindsFailingSeedsCapsAndCancels(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithPreload(false).WithJobLimits(1, 1000, 50, 20, time.Minute))
	url := hs.URL + "/api/v1/jobs"
	scn := brokenBroadcast(t)
	r := postJSON(t, url, playground.JobRequest{Kind: "sweep", Scenario: scn, Seeds: "1..3"})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	st := jobStatus(t, r)
	assert.Equal(t, "running", st.State)
	assert.Equal(t, 3, st.Total)

	busy := postJSON(t, url, playground.JobRequest{Kind: "sweep", Scenario: scn, Seeds: "1..2"})
	assert.Equal(t, http.StatusTooManyRequests, busy.Status)
	assert.Contains(t, busy.apiError(t)["message"], "maximum of 1 jobs at once")
	assert.NotEmpty(t, busy.Header.Get("Retry-After"))
	assert.Equal(t, http.StatusOK, get(t, hs.URL+"/api/v1/health").Status, "the server answers while a job runs")

	st = awaitJob(t, hs.URL, st.ID)
	require.Equal(t, "done", st.State, st.Error)
	assert.Equal(t, 3, st.Done)
	assert.Equal(t, 3, st.Failed)
	require.Len(t, st.Failures, 3)
	assert.Equal(t, uint64(1), st.Failures[0].Seed)
	assert.Equal(t, "invalid", st.Failures[0].Verdict)
	assert.Contains(t, st.Failures[0].Summary, "broadcast-set-full: ")
	assert.Equal(t, scn, st.Scenario, "the job keeps the text a failing seed opens with")

	// A long sweep, cancelled: it stops and is forgotten, and its slot
	// takes a new job.
	r = postJSON(t, url, playground.JobRequest{Kind: "sweep", Scenario: scn, Seeds: "1..1000"})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	long := jobStatus(t, r)
	assert.Equal(t, http.StatusNoContent, do(t, http.MethodDelete, url+"/"+long.ID, "", nil).Status)
	assert.Equal(t, http.StatusNotFound, get(t, url+"/"+long.ID).Status)
	r = postJSON(t, url, playground.JobRequest{Kind: "graph", Scenario: zooLease(t)})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	g := awaitJob(t, hs.URL, jobStatus(t, r).ID)
	require.Equal(t, "done", g.State, g.Error)
	assert.Equal(t, "valid", g.Result.Graph.Verdict, "the lease's default order passes")

	list := get(t, url).json(t)
	assert.Len(t, list["jobs"], 2)
	assert.Equal(t, float64(1), list["limits"].(map[string]any)["concurrent"])
}

// Explore from HTTP finds the zoo lease's bug; the found scenario, saved
// as a file, replays through the CLI's code path (runner.Load, then
// runner.Execute) to the digest the job reported, and the job's graph
// names each decision's event.
func TestJobExploreFindsTheLeaseAndReplaysInTheCLI(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithPreload(false))
	r := postJSON(t, hs.URL+"/api/v1/jobs", playground.JobRequest{Kind: "explore", Scenario: zooLease(t), Strategy: "dfs", Budget: 200})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	st := awaitJob(t, hs.URL, jobStatus(t, r).ID)
	require.Equal(t, "done", st.State, st.Error)
	require.NotNil(t, st.Result)
	require.NotNil(t, st.Stats)
	assert.Positive(t, st.Stats.Runs)
	assert.Less(t, st.Stats.Runs, 200)
	assert.True(t, st.Result.Replayed)
	assert.Contains(t, st.Result.Checks, "zoo-exclusive")
	assert.Contains(t, st.Result.Scenario, "schedule:\n")
	assert.Contains(t, st.Result.Scenario, "go: zoo/lease")
	require.NotEmpty(t, st.Result.Schedule)
	require.NotNil(t, st.Result.Graph)
	require.Len(t, st.Result.Graph.Decisions, len(st.Result.Schedule))
	assert.Equal(t, "invalid", st.Result.Graph.Verdict)

	// The file beside a plugins folder, as a user saves it.
	dir := t.TempDir()
	abs, err := filepath.Abs(filepath.Join("..", "plugins", "zoo"))
	require.NoError(t, err)
	require.NoError(t, os.Symlink(abs, filepath.Join(dir, "zoo")))
	path := filepath.Join(dir, "found.yaml")
	require.NoError(t, os.WriteFile(path, []byte(st.Result.Scenario), 0o644))
	reg := patterns.Registry()
	scn, err := runner.Load(path, reg)
	require.NoError(t, err)
	res, err := runner.Execute(t.Context(), scn, runner.NewOptions().WithRegistry(reg))
	require.NoError(t, err)
	assert.Equal(t, st.Result.Digest, res.TraceSHA256)
	assert.Equal(t, "invalid", string(res.Verdict))

	// It opens as a run in the playground, which finishes to that digest.
	r = postJSON(t, hs.URL+"/api/v1/runs", map[string]any{"scenario": st.Result.Scenario, "seed": st.Result.Seed})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	id := r.json(t)["id"].(string)
	r = postJSON(t, hs.URL+"/api/v1/runs/"+id+"/control", map[string]any{"action": "finish"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, st.Result.Digest, r.json(t)["digest"])
}

// A shrink of a failing seed hands back the minimal scenario, which
// opens as a run and still fails; a seed that passes is the job's error.
func TestJobShrinkOpensTheMinimalScenario(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithPreload(false))
	seed := uint64(1)
	r := postJSON(t, hs.URL+"/api/v1/jobs", playground.JobRequest{Kind: "shrink", Scenario: brokenBroadcast(t), Seed: &seed})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	st := awaitJob(t, hs.URL, jobStatus(t, r).ID)
	require.Equal(t, "done", st.State, st.Error)
	assert.Positive(t, st.Done)
	min := st.Result.Scenario
	assert.Contains(t, min, "partition")
	assert.NotContains(t, min, "skew")
	assert.Contains(t, st.Result.Checks, "broadcast-set-full")

	r = postJSON(t, hs.URL+"/api/v1/runs", map[string]any{"scenario": min, "seed": seed})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	id := r.json(t)["id"].(string)
	r = postJSON(t, hs.URL+"/api/v1/runs/"+id+"/control", map[string]any{"action": "finish"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, st.Result.Digest, r.json(t)["digest"])
	assert.Equal(t, "invalid", r.json(t)["verdict"])

	r = postJSON(t, hs.URL+"/api/v1/jobs", playground.JobRequest{Kind: "shrink", Scenario: zooLease(t), Seed: &seed})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	st = awaitJob(t, hs.URL, jobStatus(t, r).ID)
	assert.Equal(t, "failed", st.State)
	assert.Equal(t, "seed 1 passes: nothing to shrink", st.Error)
}

// A server with worker processes runs uploaded modules only in them:
// a job, which runs in the server's process, over an upload is refused
// naming the module; the plugins folder's modules are taken.
func TestJobsRefuseUploadsWithWorkers(t *testing.T) {
	_, hs := newServer(t, runConfig().WithWorkers(terrariumBin(t)).WithWorkerLimits(1<<30, 300, 1024, 1<<30, false))
	sha := uploaded(t, hs.URL, wasmOf(t, "echo"))
	scn := "name: up\nduration: 1s\nmodules:\n  e: {sha256: " + sha + ", roles: [server]}\nnodes:\n  - {name: n0, module: e, role: server}\n"
	r := postJSON(t, hs.URL+"/api/v1/jobs", playground.JobRequest{Kind: "sweep", Scenario: scn, Seeds: "1..2"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	e := r.apiError(t)
	assert.Contains(t, e["message"], "module e is an upload")
	assert.Equal(t, "modules.e.sha256", e["problems"].([]any)[0].(map[string]any)["field"])

	r = postJSON(t, hs.URL+"/api/v1/jobs", playground.JobRequest{Kind: "graph", Scenario: zooLease(t)})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	assert.Equal(t, http.StatusNoContent, do(t, http.MethodDelete, hs.URL+"/api/v1/jobs/"+jobStatus(t, r).ID, "", nil).Status)
}
