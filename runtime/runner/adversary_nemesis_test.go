package runner_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// attacksOf reads a run folder's trace and returns its attack events.
func attacksOf(t *testing.T, dir string) []trace.Event {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, runfolder.TraceFile))
	require.NoError(t, err)
	defer f.Close()
	var out []trace.Event
	for r := trace.NewReader(f); ; {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		if e.Kind == trace.KindAttack {
			out = append(out, e)
		}
	}
}

// Reference: DESIGN.md, "An adversary in the network": every action the
// adversary takes is an attack event, the ground truth checkers judge
// against, whoever ordered it; a nemesis drawing the adversary's kinds is
// no exception. Each replay and forge it injects is one attack event at
// its instant; every eavesdrop and tamper event falls while one of its
// rules stands (between the strike and its secure); each kind acts in
// some run under either schedule.
func TestNemesisAttacksAreInTheTrace(t *testing.T) {
	kinds := []string{fault.NemesisEavesdrop, fault.NemesisTamper, fault.NemesisReplay, fault.NemesisForge}
	for _, schedule := range []string{fault.SchedulePeriodic, fault.ScheduleJepsen} {
		seen := map[string]int{}
		for seed := uint64(1); seed <= 3; seed++ {
			scn := load(t, broadcastScenario, nil)
			scn.Nemeses = []scenario.Nemesis{{Kinds: kinds, Schedule: schedule, Every: 60 * time.Millisecond, Heal: 40 * time.Millisecond}}
			if schedule == fault.ScheduleJepsen {
				scn.Nemeses[0].Heal = 0
			}
			dir := t.TempDir()
			res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithSeed(seed).WithOutDir(dir))
			require.NoError(t, err)
			attacks := attacksOf(t, dir)
			standing := map[fault.Kind][][2]time.Duration{} // windows of each standing kind
			for i, f := range res.Injected {
				switch f.Kind {
				case fault.Replay, fault.Forge:
					assert.True(t, hasAttack(attacks, string(f.Kind), f.At), "%s seed %d: the nemesis' %s at %v is not in the trace", schedule, seed, f.Kind, f.At)
				case fault.Eavesdrop, fault.Tamper:
					end := scn.Duration + time.Hour
					for _, g := range res.Injected[i+1:] {
						if g.Kind == fault.Secure {
							end = g.At
							break
						}
					}
					standing[f.Kind] = append(standing[f.Kind], [2]time.Duration{f.At, end})
				}
			}
			for _, a := range attacks {
				seen[a.Label]++
				if w, ok := standing[fault.Kind(a.Label)]; ok || a.Label == "eavesdrop" || a.Label == "tamper" {
					assert.True(t, within(w, time.Duration(a.Time)), "%s seed %d: a %s at %v with none of its rules standing", schedule, seed, a.Label, time.Duration(a.Time))
				}
			}
		}
		for _, k := range kinds {
			assert.Positive(t, seen[k], "%s: no %s attack in any run", schedule, k)
		}
	}
}

func hasAttack(attacks []trace.Event, label string, at time.Duration) bool {
	for _, a := range attacks {
		if a.Label == label && a.Node == -1 && time.Duration(a.Time) == at {
			return true
		}
	}
	return false
}

func within(windows [][2]time.Duration, t time.Duration) bool {
	for _, w := range windows {
		if t >= w[0] && t <= w[1] {
			return true
		}
	}
	return false
}
