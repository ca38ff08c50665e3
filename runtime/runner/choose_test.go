package runner_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
)

// tiedBroadcast is the broadcast scenario on a network of constant
// latency (the default's), where messages sent at one instant arrive at
// one instant.
func tiedBroadcast(t *testing.T) *scenario.Scenario {
	scn := load(t, broadcastScenario, nil)
	scn.Network.Latency = scenario.Latency{Min: time.Millisecond, Max: time.Millisecond}
	return scn
}

// stepToTie steps c until at least two messages are due at one instant,
// and returns how many events are due there.
func stepToTie(t *testing.T, c *runner.Cursor) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	require.NoError(t, c.Resume(ctx))
	for range 5000 {
		require.NoError(t, c.Do(ctx, func(r *runner.Run) error {
			deliveries := 0
			for _, o := range r.Due() {
				if strings.HasPrefix(o.Label, "deliver ") {
					deliveries++
				}
			}
			if deliveries >= 2 {
				n = len(r.Due())
				return nil
			}
			_, err := r.Step()
			return err
		}))
		if n > 0 {
			return n
		}
	}
	t.Fatal("no instant with two messages due in 5000 events")
	return 0
}

func digestOf(t *testing.T, c *runner.Cursor) string {
	t.Helper()
	var d string
	require.NoError(t, c.Do(context.Background(), func(r *runner.Run) error { d = r.Digest(); return nil }))
	return d
}

// Reference: DESIGN.md, "A schedule (the list of decisions) replays
// exactly": a message chosen by hand is a schedule decision on the
// timeline, and the export replays it to the same digest.
func TestAMessageChosenByHandIsAScheduleDecisionThatReplays(t *testing.T) {
	ctx := context.Background()
	scn := tiedBroadcast(t)
	c := runner.NewCursor(runner.NewTimeline(scn, 5), runner.NewOptions())
	defer c.Close()
	due := stepToTie(t, c)
	before := c.Position()

	// The loop's own order: a fresh cursor stepping once.
	plain := runner.NewCursorAt(runner.NewTimeline(scn, 5), runner.NewOptions(), before)
	defer plain.Close()
	require.NoError(t, plain.Resume(ctx))
	require.NoError(t, plain.Do(ctx, func(r *runner.Run) error { _, err := r.Step(); return err }))

	a, err := c.Choose(ctx, due-1)
	require.NoError(t, err)
	assert.True(t, a.IsChoice())
	assert.Equal(t, schedule.Decision{Kind: schedule.Order, Step: before.Steps + 1, Pick: due - 1}, a.Decision)
	assert.Equal(t, []runner.Action{a}, c.Timeline().Actions())
	assert.NotEqual(t, digestOf(t, plain), digestOf(t, c), "the pick changed which event ran")

	// Run on, then replay the exported scenario from a file to the same event.
	require.NoError(t, c.Seek(ctx, c.Position().Seq+500))
	want := digestOf(t, c)
	dir := t.TempDir()
	file := filepath.Join(dir, "exported.yaml")
	b, err := scenario.Encode(c.Timeline().Export(), dir)
	require.NoError(t, err)
	assert.Contains(t, string(b), a.Decision.String())
	require.NoError(t, os.WriteFile(file, b, 0o644))
	again := runner.NewCursor(runner.NewTimeline(load(t, file, nil), 5), runner.NewOptions())
	defer again.Close()
	require.NoError(t, again.Seek(ctx, c.Position().Seq))
	assert.Equal(t, want, digestOf(t, again), "the export replays the choice")

	// Suspend and resume rebuild the run with the choice too.
	c.Suspend()
	require.NoError(t, c.Resume(ctx))
	assert.Equal(t, want, digestOf(t, c))
}

func TestChoosingAnEventThatIsNotDueFails(t *testing.T) {
	ctx := context.Background()
	c := runner.NewCursor(runner.NewTimeline(tiedBroadcast(t), 5), runner.NewOptions())
	defer c.Close()
	due := stepToTie(t, c)
	before := c.Position()
	for _, pick := range []int{-1, due} {
		_, err := c.Choose(ctx, pick)
		var refused *runner.ActionError
		require.ErrorAs(t, err, &refused, "pick %d", pick)
		assert.Contains(t, err.Error(), "events are due next")
	}
	assert.Equal(t, before, c.Position(), "nothing ran")
	assert.Empty(t, c.Timeline().Actions())

	// Pick 0 is the loop's own order: it runs, and records nothing.
	a, err := c.Choose(ctx, 0)
	require.NoError(t, err)
	assert.False(t, a.IsChoice())
	assert.Empty(t, c.Timeline().Actions())
	assert.Equal(t, before.Steps+1, c.Position().Steps)

	// Rewound behind a choice, choosing again needs a fork.
	_, err = c.Choose(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, c.Seek(ctx, before.Seq))
	_, err = c.Choose(ctx, 1)
	assert.ErrorContains(t, err, "fork to choose here")
}
