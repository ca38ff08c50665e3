package runner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// scripted names the bundled scenarios a timeline script may run.
var scripted = map[string]string{"broadcast": broadcastScenario}

// TestTimelineScripts drives cursors with the scripts in
// testdata/timeline (go test -rewrite refreshes their expected output).
// Commands, each on the current cursor unless it names one with c=NAME:
//
//	run scenario=NAME seed=N [c=NAME]  a cursor at the start of a timeline
//	step n=N                           run N loop events
//	seek event=N                       move to the trace's Nth event
//	apply KIND [node=N] [groups=a,b|c] apply a fault now and record it
//	fork as=NAME                       a new cursor where this one stands
//	suspend, resume                    drop the simulation, rebuild it
//	digest                             where the cursor stands, its digest
//	replay                             a fresh cursor rebuilt at this
//	                                   position: does its digest agree?
//	actions                            the timeline's actions
//
// Reference: DESIGN.md, "Time travel falls out of determinism".
func TestTimelineScripts(t *testing.T) {
	datadriven.Walk(t, "testdata/timeline", func(t *testing.T, path string) {
		s := &timelineScript{cursors: map[string]*runner.Cursor{}}
		defer s.close()
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			out, err := s.command(t, td)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return out + "\n"
		})
	})
}

type timelineScript struct {
	cursors map[string]*runner.Cursor
	current string
}

func (s *timelineScript) close() {
	for _, c := range s.cursors {
		c.Close()
	}
}

func (s *timelineScript) command(t *testing.T, td *datadriven.TestData) (string, error) {
	ctx := context.Background()
	name := s.current
	td.MaybeScanArgs(t, "c", &name)
	if td.Cmd == "run" {
		return s.run(t, td, name)
	}
	c := s.cursors[name]
	if c == nil {
		return "", fmt.Errorf("no cursor %q: start one with run", name)
	}
	s.current = name
	switch td.Cmd {
	case "step":
		var n int
		td.ScanArgs(t, "n", &n)
		err := c.Do(ctx, func(r *runner.Run) error {
			for range n {
				if _, err := r.Step(); err != nil {
					return err
				}
			}
			return nil
		})
		return where(c), err
	case "seek":
		var seq uint64
		td.ScanArgs(t, "event", &seq)
		err := c.Seek(ctx, seq)
		return where(c), err
	case "apply":
		f, err := scriptFault(td)
		if err != nil {
			return "", err
		}
		a, err := c.Apply(ctx, f)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s before event %d, trace at %d", a.Fault.Kind, a.Fault.BeforeEvent, a.Seq), nil
	case "fork":
		var to string
		td.ScanArgs(t, "as", &to)
		return s.fork(ctx, c, to)
	case "suspend":
		c.Suspend()
		return fmt.Sprintf("suspended at %s; loaded=%v", pos(c.Position()), c.Loaded()), nil
	case "resume":
		if err := c.Resume(ctx); err != nil {
			return "", err
		}
		return digest(ctx, c)
	case "digest":
		return digest(ctx, c)
	case "replay":
		return replay(ctx, c)
	case "actions":
		var b strings.Builder
		for _, a := range c.Timeline().Actions() {
			fmt.Fprintf(&b, "%s at %v before event %d, trace at %d\n", a.Fault.Kind, a.Fault.At, a.Fault.BeforeEvent, a.Seq)
		}
		return strings.TrimSuffix(b.String(), "\n"), nil
	}
	return "", fmt.Errorf("unknown command %q", td.Cmd)
}

// run starts a cursor at the start of a bundled scenario's timeline.
func (s *timelineScript) run(t *testing.T, td *datadriven.TestData, name string) (string, error) {
	var file string
	var seed uint64
	td.ScanArgs(t, "scenario", &file)
	td.ScanArgs(t, "seed", &seed)
	if name == "" {
		name = "main"
	}
	path, ok := scripted[file]
	if !ok {
		return "", fmt.Errorf("no bundled scenario %q", file)
	}
	scn, err := runner.Load(path, nil)
	if err != nil {
		return "", err
	}
	c := runner.NewCursor(runner.NewTimeline(scn, seed), runner.NewOptions())
	if err := c.Resume(context.Background()); err != nil {
		return "", err
	}
	if old := s.cursors[name]; old != nil {
		old.Close()
	}
	s.cursors[name], s.current = c, name
	return where(c), nil
}

// fork starts cursor to where c stands, on c's timeline cut there.
func (s *timelineScript) fork(ctx context.Context, c *runner.Cursor, to string) (string, error) {
	at := c.Position().Seq
	f := runner.NewCursor(c.Fork(), runner.NewOptions())
	if err := f.Seek(ctx, at); err != nil {
		f.Close()
		return "", err
	}
	if old := s.cursors[to]; old != nil {
		old.Close()
	}
	s.cursors[to], s.current = f, to
	return fmt.Sprintf("%s: %d actions, %s", to, len(f.Timeline().Actions()), where(f)), nil
}

// scriptFault reads `apply KIND [node=N] [groups=a,b|c,d]`.
func scriptFault(td *datadriven.TestData) (fault.Fault, error) {
	if len(td.CmdArgs) == 0 {
		return fault.Fault{}, fmt.Errorf("apply needs a fault kind")
	}
	f := fault.Fault{Kind: fault.Kind(td.CmdArgs[0].Key)}
	for _, a := range td.CmdArgs[1:] {
		switch a.Key {
		case "node":
			f.Node = strings.Join(a.Vals, ",")
		case "groups":
			for _, g := range strings.Split(strings.Join(a.Vals, ","), "|") {
				f.Groups = append(f.Groups, strings.Split(g, ","))
			}
		}
	}
	return f, nil
}

func pos(p runner.Position) string {
	return fmt.Sprintf("event %d (step %d, t=%v)", p.Seq, p.Steps, p.Now)
}

func where(c *runner.Cursor) string { return "at " + pos(c.Position()) }

func digest(ctx context.Context, c *runner.Cursor) (string, error) {
	var d string
	err := c.Do(ctx, func(r *runner.Run) error { d = r.Digest(); return nil })
	return fmt.Sprintf("%s digest %.16s", where(c), d), err
}

// replay rebuilds c's position on a fresh cursor from c's timeline alone
// and says whether the two digests agree.
func replay(ctx context.Context, c *runner.Cursor) (string, error) {
	fresh := runner.NewCursorAt(c.Timeline(), runner.NewOptions(), c.Position())
	defer fresh.Close()
	if err := fresh.Resume(ctx); err != nil {
		return "", err
	}
	var a, b string
	if err := c.Do(ctx, func(r *runner.Run) error { a = r.Digest(); return nil }); err != nil {
		return "", err
	}
	if err := fresh.Do(ctx, func(r *runner.Run) error { b = r.Digest(); return nil }); err != nil {
		return "", err
	}
	if a != b {
		return fmt.Sprintf("replayed to %s: digest %.16s, want %.16s", pos(fresh.Position()), b, a), nil
	}
	return "replayed to " + pos(fresh.Position()) + ": same digest", nil
}

func TestTimelineIsAnImmutableValue(t *testing.T) {
	scn := &scenario.Scenario{Name: "x", Faults: []scenario.Fault{{Fault: fault.Fault{Kind: fault.Repair}}}}
	a1 := runner.Action{Fault: scenario.Fault{BeforeEvent: 3, Fault: fault.Fault{Kind: fault.Crash, Node: "n1"}}, Seq: 4}
	a2 := runner.Action{Fault: scenario.Fault{BeforeEvent: 9, Fault: fault.Fault{Kind: fault.Restart, Node: "n1"}}, Seq: 11}
	base := runner.NewTimeline(scn, 7, a1)
	one := base.With(a2)
	two := base.With(a1)
	assert.Len(t, base.Actions(), 1, "With leaves the timeline it was called on as it was")
	assert.Equal(t, []runner.Action{a1, a2}, one.Actions())
	assert.Equal(t, []runner.Action{a1, a1}, two.Actions(), "two timelines from one base share nothing")
	assert.Equal(t, []runner.Action{a1}, one.Cut(10).Actions())
	assert.Empty(t, one.Cut(3).Actions())
	assert.Len(t, one.Actions(), 2, "Cut leaves the timeline as it was")

	exp := one.Export()
	assert.Equal(t, uint64(7), exp.Seed)
	require.Len(t, exp.Faults, 3)
	assert.Equal(t, uint64(9), exp.Faults[2].BeforeEvent)
	assert.Len(t, scn.Faults, 1, "Export leaves the scenario as it was")

	acts := one.Actions()
	acts[0].Seq = 99
	assert.Equal(t, uint64(4), one.Actions()[0].Seq, "Actions returns a copy")
}

func TestCursorDoNeedsASimulation(t *testing.T) {
	c := runner.NewCursor(runner.NewTimeline(load(t, broadcastScenario, nil), 1), runner.NewOptions())
	err := c.Do(context.Background(), func(*runner.Run) error { return nil })
	assert.ErrorIs(t, err, runner.ErrSuspended)
	assert.False(t, c.Loaded())
	assert.Equal(t, 0, c.Generation())
}

func TestCursorCallsMoveThroughTheCallFunction(t *testing.T) {
	ctx := context.Background()
	c := runner.NewCursor(runner.NewTimeline(load(t, broadcastScenario, nil), 1), runner.NewOptions())
	defer c.Close()
	calls := 0
	c.WithCall(func(ctx context.Context, fn func(*runner.Run) error) error {
		calls++
		return c.Do(ctx, fn)
	})
	require.NoError(t, c.Seek(ctx, 50))
	_, err := c.Apply(ctx, fault.Fault{Kind: fault.Crash, Node: "n1"})
	require.NoError(t, err)
	require.NoError(t, c.Seek(ctx, 10))
	c.Suspend()
	require.NoError(t, c.Resume(ctx))
	assert.Equal(t, 4, calls, "Seek, Apply, Seek back and Resume each move the run once")
	assert.Equal(t, 3, c.Generation(), "the first seek, the seek back and the resume built a simulation")
	assert.GreaterOrEqual(t, c.Position().Seq, uint64(10))
}

// A cursor's subscription sees the events of the simulation it holds and
// ends when the cursor suspends it; a suspended cursor has nothing to
// subscribe to.
func TestCursorSubscribe(t *testing.T) {
	ctx := context.Background()
	scn, err := runner.Load(broadcastScenario, nil)
	require.NoError(t, err)
	c := runner.NewCursor(runner.NewTimeline(scn, 1), runner.NewOptions())
	defer c.Close()
	assert.Nil(t, c.Subscribe(8), "suspended")

	require.NoError(t, c.Resume(ctx))
	sub := c.Subscribe(1 << 10)
	require.NotNil(t, sub)
	require.NoError(t, c.Seek(ctx, c.Position().Seq+5))
	first, ok := <-sub.C
	require.True(t, ok)
	assert.Positive(t, first.Seq)

	c.Suspend()
	for range sub.C {
	}
	assert.Nil(t, c.Subscribe(8), "suspended again")
}
