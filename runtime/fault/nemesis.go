package fault

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Nemesis kinds of a nemesis: list. A node fault is spelled as its fault
// kind; a partition kind names the shape of the partition it makes.
const (
	NemesisPartitionHalves = "partition-halves"
	NemesisIsolate         = "isolate"
	NemesisBridge          = "bridge"
	// NemesisCrash crashes nodes and restarts them (Jepsen's kill, which a
	// scenario may write instead).
	NemesisCrash = string(Crash)
	// NemesisPause pauses nodes and resumes them.
	NemesisPause = string(Pause)
	// NemesisMinorityThird cuts off fewer than a third of the nodes
	// (Jepsen's :minority-third partition).
	NemesisMinorityThird = "minority-third"
	// NemesisMajoritiesRing lets every node see a majority, no two the
	// same one (Jepsen's :majorities-ring; some cuts are one-way).
	NemesisMajoritiesRing = "majorities-ring"
	// NemesisEavesdrop records every message to one target node until its
	// heal (a secure, which ends every standing eavesdrop and tamper).
	NemesisEavesdrop = string(Eavesdrop)
	// NemesisTamper flips a byte of every message to one target node until
	// its heal (a secure).
	NemesisTamper = string(Tamper)
	// NemesisReplay re-sends one message the adversary recorded to a target
	// node (none recorded: nothing happens); it has no heal.
	NemesisReplay = string(Replay)
	// NemesisForge re-sends the body of a message the adversary recorded to
	// a target node, claiming another target as its sender; it has no heal.
	NemesisForge = string(Forge)
)

// NemesisKinds lists the nemesis kinds in documentation order.
var NemesisKinds = []string{NemesisPartitionHalves, NemesisIsolate, NemesisBridge, NemesisCrash, NemesisPause, NemesisMinorityThird, NemesisMajoritiesRing,
	NemesisEavesdrop, NemesisTamper, NemesisReplay, NemesisForge}

// Nemesis schedules.
const (
	// SchedulePeriodic strikes every Every and heals after Heal.
	SchedulePeriodic = "periodic"
	// ScheduleJepsen is Jepsen's combined nemesis as Maelstrom runs it:
	// faults and their heals alternate, each after a uniform draw from
	// [0, 2×Every); everything is healed at Stop.
	ScheduleJepsen = "jepsen"
)

// Nemesis injects random faults drawn from Kinds with the run's fault
// stream: by default one every Every, healed after Heal; with Schedule
// ScheduleJepsen as Jepsen's combined nemesis does.
type Nemesis struct {
	Kinds []string `yaml:"kinds" item:"kind" check:"required"`
	// Schedule is SchedulePeriodic (also when empty) or ScheduleJepsen.
	Schedule string `yaml:"schedule,omitempty" check:"str,manual"`
	// Every is the time between two faults; Heal how long each lasts.
	Every time.Duration `yaml:"every" check:"required,positive" min:"1ms,scenario.MinNemesisEvery"`
	Heal  time.Duration `yaml:"heal,omitempty" check:"manual,positive"`
	// Start and Stop bound when faults start (Stop 0: the run's duration).
	Start time.Duration `yaml:"start,omitempty"`
	Stop  time.Duration `yaml:"stop,omitempty"`
	// Targets restricts the nodes it may hit (default: all).
	Targets []string `yaml:"targets,omitempty" check:"manual"`
	// Line is the line of the nemesis in its scenario file.
	Line int `yaml:"-" pos:"line"`
}

// nemesisAliases maps the spellings of Jepsen and Maelstrom that a
// scenario may write to the nemesis kinds they stand for.
var nemesisAliases = map[string]string{"kill": NemesisCrash}

// NemesisKind returns the kind a nemesis spelling stands for, and whether
// it is one.
func NemesisKind(spelling string) (string, bool) {
	if k, ok := nemesisAliases[spelling]; ok {
		return k, true
	}
	return spelling, slices.Contains(NemesisKinds, spelling)
}

// NemesisSpellings lists the nemesis kinds as users write them (an alias
// in place of its kind), for error messages.
func NemesisSpellings() string {
	out := slices.Clone(NemesisKinds)
	for alias, k := range nemesisAliases {
		out[slices.Index(out, k)] = alias
	}
	return strings.Join(out, ", ")
}

// Check judges the field of n that key (its yaml key) names, once it and
// the fields it depends on are read, and applies the field's default:
// the schedule is checked after every, heal after its own value. written
// says whether the field was written (kinds and schedule: and read
// without a problem). It returns the problem, which the scenario parser
// places at the field.
func (n *Nemesis) Check(key string, written bool) error {
	switch key {
	case "kinds":
		if written && len(n.Kinds) == 0 {
			return errors.New("must name at least one kind")
		}
	case "schedule":
		jepsen := n.Schedule == ScheduleJepsen
		if written && !jepsen && n.Schedule != SchedulePeriodic {
			return fmt.Errorf("%q is not %s or %s", n.Schedule, SchedulePeriodic, ScheduleJepsen)
		} else if !jepsen {
			n.Schedule = ""
		}
	case "heal":
		if !written {
			n.Heal = n.Every / 2
		}
		if n.Schedule == ScheduleJepsen {
			n.Heal = 0
			if written {
				return fmt.Errorf("not with schedule %s: each heal comes after its own draw from [0, 2×every)", ScheduleJepsen)
			}
		}
	case "stop":
		if written && n.Stop <= n.Start {
			return fmt.Errorf("must be after start (%s)", n.Start)
		}
	}
	return nil
}
