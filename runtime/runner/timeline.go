package runner

import (
	"slices"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
)

// Action is a fault applied by hand on a timeline, or a choice made by
// hand at a choice point. Fault pins a fault where it happened (its
// virtual time and the loop event it came before); Decision, when its Kind
// is set, is a choice instead (Cursor.Choose), exported in the scenario's
// schedule:. Seq is the trace's length just after it, so that a fork at
// event Seq keeps it.
type Action struct {
	Fault    scenario.Fault
	Decision schedule.Decision
	Seq      uint64
}

// IsChoice reports whether the action is a choice rather than a fault.
func (a Action) IsChoice() bool { return a.Decision.Kind != "" }

// Timeline is one history a run can take: a scenario, a seed and the
// actions applied by hand, each pinned to an event. It is an immutable
// value: With and Cut return new timelines and leave this one as it was.
// Since a run is a pure function of its modules, scenario and seed, a
// timeline replays to the same trace, event by event, every time.
type Timeline struct {
	scn     *scenario.Scenario
	seed    uint64
	actions []Action
}

// NewTimeline returns the timeline of scn run with seed and the given
// actions, in the order they were applied. The scenario is shared, not
// copied: it must not change afterwards.
func NewTimeline(scn *scenario.Scenario, seed uint64, actions ...Action) Timeline {
	return Timeline{scn: scn, seed: seed, actions: slices.Clip(slices.Clone(actions))}
}

// Scenario returns the scenario the timeline runs, without its actions.
func (t Timeline) Scenario() *scenario.Scenario { return t.scn }

// Seed returns the timeline's seed.
func (t Timeline) Seed() uint64 { return t.seed }

// Actions returns the actions applied by hand, in order.
func (t Timeline) Actions() []Action { return slices.Clone(t.actions) }

// With returns the timeline with a appended.
func (t Timeline) With(a Action) Timeline {
	t.actions = append(t.actions[:len(t.actions):len(t.actions)], a)
	return t
}

// Cut returns the timeline up to event seq: the actions applied at or
// before it. A fork starts from such a cut.
func (t Timeline) Cut(seq uint64) Timeline {
	var keep []Action
	for _, a := range t.actions {
		if a.Seq <= seq {
			keep = append(keep, a)
		}
	}
	t.actions = slices.Clip(keep)
	return t
}

// Export returns a scenario that replays the timeline: the scenario with
// the timeline's seed, its faults applied by hand appended to its faults,
// pinned where they happened, and its choices to its schedule:. `terrarium run` replays it to the same digest.
func (t Timeline) Export() *scenario.Scenario { return t.export(t.actions) }

// export is the scenario with only the given actions pinned.
func (t Timeline) export(acts []Action) *scenario.Scenario {
	c := *t.scn
	c.Faults = slices.Clone(t.scn.Faults)
	c.Schedule = slices.Clone(t.scn.Schedule)
	for _, a := range acts {
		if a.IsChoice() {
			c.Schedule = append(c.Schedule, a.Decision)
			continue
		}
		c.Faults = append(c.Faults, a.Fault)
	}
	c.Seed = t.seed
	return &c
}

// later reports whether an action of the timeline was applied after
// position p: a cursor at p is rewound, and acting there needs a fork.
func (t Timeline) later(p Position) bool {
	for _, a := range t.actions {
		if a.Seq > p.Seq || a.Fault.BeforeEvent > p.Steps+1 {
			return true
		}
	}
	return false
}
