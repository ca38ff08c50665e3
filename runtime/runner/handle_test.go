package runner_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

const broadcastScenario = "../../plugins/broadcast/scenario.yaml"

func load(t *testing.T, path string, reg *runner.Registry) *scenario.Scenario {
	t.Helper()
	scn, err := runner.Load(path, reg)
	require.NoError(t, err)
	return scn
}

// drive runs a broadcast scenario by hand: it advances, steps into the
// middle of an instant, and applies faults between events.
func drive(t *testing.T, r *runner.Run) {
	t.Helper()
	require.NoError(t, r.AdvanceTo(700*time.Millisecond))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Partition, Groups: [][]string{{"n0", "n1"}, {"n2", "n3", "n4"}}}))
	require.NoError(t, r.AdvanceTo(1200*time.Millisecond))
	for range 7 { // stop between two events, wherever that is
		ok, err := r.Step()
		require.NoError(t, err)
		require.True(t, ok)
	}
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Crash, Node: "n3"}))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Pause, Node: "n4"}))
	require.NoError(t, r.AdvanceTo(1800*time.Millisecond))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Repair}))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Resume, Node: "n4"}))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Restart, Node: "n3"}))
}

// Reference: DESIGN.md, "a session driven by clicks is itself a scenario".
func TestHandDrivenRunExportsAScenarioThatReplaysToTheSameDigest(t *testing.T) {
	ctx := context.Background()
	scn := load(t, broadcastScenario, nil)
	r, err := runner.Prepare(ctx, scn, runner.NewOptions().WithSeed(3))
	require.NoError(t, err)
	defer r.Close()
	drive(t, r)
	live, err := r.Finish()
	require.NoError(t, err)
	require.Len(t, live.Manual, 6)
	assert.Equal(t, uint64(1), live.Stats.Crashes, "the crash applied by hand is counted")

	// The hand-applied faults change the run: without them the digest differs.
	plain, err := runner.Execute(ctx, scn, runner.NewOptions().WithSeed(3))
	require.NoError(t, err)
	assert.NotEqual(t, plain.TraceSHA256, live.TraceSHA256)

	// Export, write, load and run it again from the file, in this process.
	dir := t.TempDir()
	file := filepath.Join(dir, "exported.yaml")
	b, err := scenario.Encode(r.Export(), dir)
	require.NoError(t, err)
	assert.Contains(t, string(b), "before_event:")
	require.NoError(t, os.WriteFile(file, b, 0o644))
	replay, err := runner.Execute(ctx, load(t, file, nil), runner.NewOptions())
	require.NoError(t, err)
	assert.Equal(t, live.TraceSHA256, replay.TraceSHA256, "the exported scenario replays to the same digest")
	replay.Stats.Wall = live.Stats.Wall
	assert.Equal(t, live.Stats, replay.Stats)
}

func TestAFaultAppliedByHandIsTracedLikeAScheduledOne(t *testing.T) {
	scn := load(t, broadcastScenario, nil)
	r, err := runner.Prepare(context.Background(), scn, runner.NewOptions())
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, r.AdvanceTo(time.Second))
	require.NoError(t, r.Apply(fault.Fault{Kind: fault.Crash, Node: "n2"}))
	evs := r.Events(int(r.Stats().Events)-2, 2)
	require.Len(t, evs, 2)
	assert.Equal(t, trace.KindFault, evs[0].Kind)
	assert.Equal(t, "crash", evs[0].Label)
	assert.JSONEq(t, `{"action":"crash","node":"n2"}`, string(evs[0].Data))
	assert.Equal(t, int64(time.Second), evs[0].Time)
	assert.Equal(t, trace.KindCrash, evs[1].Kind)
	assert.Equal(t, "crashed", r.Nodes()[2].State)

	err = r.Apply(fault.Fault{Kind: fault.Crash, Node: "n9"})
	require.ErrorIs(t, err, fault.ErrUnknownNode)
	assert.Contains(t, err.Error(), `"n9"`)
	require.Error(t, r.Apply(fault.Fault{Kind: fault.Crash}), "a crash names its node")
	assert.Len(t, r.Manual(), 1, "rejected faults are not recorded")
}

func TestSeekReplaysToAnEvent(t *testing.T) {
	ctx := context.Background()
	scn := load(t, broadcastScenario, nil)
	a, err := runner.Prepare(ctx, scn, runner.NewOptions())
	require.NoError(t, err)
	defer a.Close()
	require.NoError(t, a.AdvanceTo(time.Second))
	want := a.Events(0, 400)

	b, err := runner.Prepare(ctx, scn, runner.NewOptions())
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.StepTo(400))
	assert.GreaterOrEqual(t, b.Stats().Events, uint64(400))
	assert.Equal(t, want, b.Events(0, 400))
	assert.Less(t, b.Now(), time.Second)
}

// A cancelled context stops the run within one slice of work, and the
// result says unknown with the reason; no wall clock is involved: the
// cancel happens at a chosen event.
func TestCancelledRunIsUnknownAndSaysWhy(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scn := load(t, broadcastScenario, nil)
	dir := t.TempDir()
	r, err := runner.Prepare(ctx, scn, runner.NewOptions().WithOutDir(dir))
	require.NoError(t, err)
	defer r.Close()
	r.Observe(func(e trace.Event) {
		if e.Seq == 2000 {
			cancel()
		}
	})
	res, err := r.Finish()
	require.NoError(t, err)
	assert.Equal(t, check.Unknown, res.Verdict)
	assert.False(t, res.Valid)
	assert.Contains(t, res.Reason, "interrupted")
	assert.Less(t, res.Stats.Events, uint64(2000+5000), "stopped within a slice")
	assert.Less(t, res.Stats.Virtual, r.End())
	var onDisk runner.Result
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &onDisk))
	assert.Equal(t, check.Unknown, onDisk.Verdict)
	assert.Equal(t, res.TraceSHA256, onDisk.TraceSHA256)
	for name, c := range res.Checks {
		assert.Equal(t, check.Unknown, c.Verdict, name)
	}
}

func TestHandleServesManyGoroutinesAndBoundsSlowSubscribers(t *testing.T) {
	ctx := context.Background()
	h, err := runner.Start(ctx, load(t, broadcastScenario, nil), runner.NewOptions())
	require.NoError(t, err)
	slow := h.Subscribe(8)
	fast := h.Subscribe(1 << 16)
	var got []trace.Event
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for e := range fast.C {
			got = append(got, e)
		}
	}()
	var wg2 sync.WaitGroup
	for i := range 4 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			at := time.Duration(i+1) * 100 * time.Millisecond
			assert.NoError(t, h.Do(ctx, func(r *runner.Run) error { return r.AdvanceTo(at) }))
		}()
	}
	wg2.Wait()
	var now time.Duration
	var events uint64
	require.NoError(t, h.Do(ctx, func(r *runner.Run) error {
		now, events = r.Now(), r.Stats().Events
		return r.Apply(fault.Fault{Kind: fault.Crash, Node: "n1"})
	}))
	assert.Equal(t, 400*time.Millisecond, now, "requests ran one at a time; the last time wins")
	fast.Close()
	wg.Wait()
	assert.Len(t, got, int(events)+2, "a subscriber with room sees every event (plus the crash's two)")
	assert.Equal(t, uint64(0), fast.Lagged())
	assert.Positive(t, slow.Lagged(), "a full subscriber loses events instead of holding the run")
	h.Close()
	_, open := <-slow.C
	for open { // drain what it buffered; closing the handle closes the channel
		_, open = <-slow.C
	}
	assert.ErrorIs(t, h.Do(ctx, func(*runner.Run) error { return nil }), runner.ErrClosed)
}

func TestRegisteredCheckerIsUsedAndUnknownOnesAreNamed(t *testing.T) {
	reg := runner.NewRegistry()
	require.NoError(t, reg.AddCheck("no-crash-ever", func(in check.Input) check.Result {
		for _, e := range in.Events {
			if e.Kind == trace.KindCrash {
				return check.Result{Verdict: check.Invalid, Summary: "node " + in.Nodes[e.Node] + " crashed"}
			}
		}
		return check.Result{Verdict: check.Valid, Summary: "no crash"}
	}))
	require.Error(t, reg.AddCheck("no-crash-ever", func(check.Input) check.Result { return check.Result{} }), "names are unique")
	dir := t.TempDir()
	src, err := os.ReadFile(broadcastScenario)
	require.NoError(t, err)
	yaml := strings.Replace(string(src), "  - broadcast-set-full", "  - broadcast-set-full\n  - no-crash-ever", 1)
	yaml = strings.Replace(yaml, "go: ../maelstrom/broadcast", "go: "+mustAbs(t, filepath.Join(filepath.Dir(broadcastScenario), "..", "maelstrom", "broadcast")), 1)
	file := filepath.Join(dir, "custom.yaml")
	require.NoError(t, os.WriteFile(file, []byte(yaml+"faults:\n  - {at: 1s, action: crash, node: n2}\n"), 0o644))

	_, err = runner.Load(file, nil)
	require.Error(t, err, "without the registration the checker is unknown")
	assert.Contains(t, err.Error(), `"no-crash-ever"`)

	res, err := runner.Execute(context.Background(), load(t, file, reg), runner.NewOptions().WithRegistry(reg))
	require.NoError(t, err)
	assert.Equal(t, check.Invalid, res.Checks["no-crash-ever"].Verdict)
	assert.Equal(t, "node n2 crashed", res.Checks["no-crash-ever"].Summary)
}

func TestPersistIntoAUsedFolderIsRefused(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "stores", "n0"), 0o755))
	_, err := runner.Prepare(context.Background(), load(t, broadcastScenario, nil), runner.NewOptions().WithOutDir(dir).WithPersist(true))
	var ie *runner.InputError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, err.Error(), "already holds node stores")
}

// Reference: DESIGN.md layout: nothing under runtime/ imports plugins/.
func TestRuntimeDoesNotImportPlugins(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../...").Output()
	require.NoError(t, err)
	for _, pkg := range strings.Fields(string(out)) {
		assert.False(t, strings.HasPrefix(pkg, "github.com/terrarium-sim/terrarium/plugins"), "runtime depends on %s", pkg)
	}
	assert.Contains(t, string(out), "github.com/terrarium-sim/terrarium/runtime/runner", "the listing covers runtime/")
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	require.NoError(t, err)
	return a
}

// Reference: issue 7: a run-wide cap ends a run with a clear unknown verdict
// that names the cap, never with an out-of-memory.
func TestRunWideCapEndsTheRunAsUnknown(t *testing.T) {
	scn := load(t, broadcastScenario, nil)
	scn.Limits.MaxEvents = 1000
	res, err := runner.Execute(context.Background(), scn, runner.NewOptions())
	require.NoError(t, err)
	assert.Equal(t, check.Unknown, res.Verdict)
	assert.Contains(t, res.Reason, "limits.max_events = 1000")
	assert.LessOrEqual(t, res.Stats.Events, uint64(1010))
}

// Reference: issue 11: a batch run keeps in memory only what its checkers
// read, so its memory does not grow with every message; the digest and the
// trace file still cover every event.
func TestBatchRunKeepsOnlyTheCheckersEvents(t *testing.T) {
	scn := load(t, broadcastScenario, nil)
	var seen []trace.Event
	reg := runner.NewRegistry()
	require.NoError(t, reg.AddCheck("spy", func(in check.Input) check.Result {
		seen = in.Events
		return check.Result{Verdict: check.Valid}
	}))
	scn.Checks = append(scn.Checks, scenario.Check{Name: "spy"})
	lean, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithRegistry(reg))
	require.NoError(t, err)
	require.True(t, lean.Valid, "%+v", lean.Checks)
	kinds := map[trace.Kind]bool{}
	for _, e := range seen {
		kinds[e.Kind] = true
	}
	assert.True(t, kinds[trace.KindBoot])
	assert.False(t, kinds[trace.KindSend], "no messages kept")
	assert.Less(t, len(seen), int(lean.Stats.Events)/10)

	full, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithRegistry(reg).WithAllEvents(true))
	require.NoError(t, err)
	assert.Len(t, seen, int(full.Stats.Events))
	assert.Equal(t, lean.TraceSHA256, full.TraceSHA256, "what is kept does not change the run")
}
