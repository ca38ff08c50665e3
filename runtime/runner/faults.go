package runner

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// applyFault carries out one timed fault action of a scenario.
func applyFault(s *sim.Sim, f scenario.Fault) error {
	switch f.Action {
	case scenario.FaultPartition:
		for i := range f.Groups {
			for j := i + 1; j < len(f.Groups); j++ {
				if err := s.Partition(f.Groups[i], f.Groups[j]); err != nil {
					return err
				}
			}
		}
		return nil
	case scenario.FaultPartitionOneWay:
		return s.PartitionOneWay(f.From, f.To)
	case scenario.FaultRepair:
		s.Repair()
		return nil
	case scenario.FaultCrash:
		return s.Crash(f.Node, "fault schedule")
	case scenario.FaultRestart:
		return s.Restart(f.Node)
	case scenario.FaultBounce:
		return s.Bounce(f.Node)
	case scenario.FaultPause:
		return s.Pause(f.Node)
	case scenario.FaultResume:
		return s.Resume(f.Node)
	case scenario.FaultHold:
		return s.Hold(f.From[0], f.To[0])
	case scenario.FaultRelease:
		return s.Release(f.From[0], f.To[0])
	case scenario.FaultSkew:
		return s.SetClockSkew(f.Node, f.By)
	case scenario.FaultDrift:
		return s.SetClockDrift(f.Node, f.PPM)
	}
	return fmt.Errorf("unknown fault action %q", f.Action)
}

// scheduleNemesis arranges a random fault every nm.Every, drawn from the
// run's fault stream, each healed nm.Heal later.
// Each fault it injects is reported to record as the equivalent timed fault.
func scheduleNemesis(s *sim.Sim, nm scenario.Nemesis, scn *scenario.Scenario, r *rand.Rand, record func(scenario.Fault)) {
	stop := nm.Stop
	if stop == 0 {
		stop = scn.Duration
	}
	targets := nm.Targets
	if len(targets) == 0 {
		targets = scn.NodeNames()
	}
	for t := nm.Start + nm.Every; t < stop; t += nm.Every {
		s.At(t, func() {
			heal := strike(s, nm.Kinds[r.IntN(len(nm.Kinds))], targets, r, record)
			if heal != nil {
				s.After(min(nm.Heal, max(stop-s.Now(), time.Nanosecond)), heal)
			}
		})
	}
}

// strike applies one nemesis fault and returns how to heal it.
func strike(s *sim.Sim, kind string, targets []string, r *rand.Rand, record func(scenario.Fault)) func() {
	shuffled := append([]string(nil), targets...)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if len(shuffled) == 0 {
		return nil
	}
	do := func(f scenario.Fault) {
		f.At = s.Now()
		record(f)
		_ = applyFault(s, f)
	}
	repair := func() { do(scenario.Fault{Action: scenario.FaultRepair}) }
	partition := func(a, b []string) func() {
		do(scenario.Fault{Action: scenario.FaultPartition, Groups: [][]string{a, b}})
		return repair
	}
	switch kind {
	case scenario.NemesisPartitionHalves:
		if len(shuffled) < 2 {
			return nil
		}
		half := len(shuffled) / 2
		return partition(shuffled[:half], shuffled[half:])
	case scenario.NemesisIsolate:
		if len(shuffled) < 2 {
			return nil
		}
		return partition(shuffled[:1], shuffled[1:])
	case scenario.NemesisBridge:
		if len(shuffled) < 3 {
			return nil
		}
		// shuffled[0] is the bridge: it still talks to both sides.
		rest := shuffled[1:]
		half := len(rest) / 2
		return partition(rest[:half], rest[half:])
	case scenario.NemesisKill, scenario.NemesisPause:
		act, undo := scenario.FaultCrash, scenario.FaultRestart
		if kind == scenario.NemesisPause {
			act, undo = scenario.FaultPause, scenario.FaultResume
		}
		for _, name := range shuffled {
			if n := s.Node(name); n != nil && n.State() == nodes.Running && !s.Paused(name) {
				do(scenario.Fault{Action: act, Node: name})
				return func() { do(scenario.Fault{Action: undo, Node: name}) }
			}
		}
	}
	return nil
}
