package runner

import (
	"math/rand/v2"
	"time"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// scheduleNemesis arranges a random fault every nm.Every, drawn from the
// run's fault stream, each healed nm.Heal later. Each fault it applies is
// reported to record.
func scheduleNemesis(s *sim.Sim, nm scenario.Nemesis, scn *scenario.Scenario, r *rand.Rand, record func(fault.Fault)) {
	if nm.Schedule == fault.ScheduleJepsen {
		scheduleJepsen(s, nm, scn, r, record)
		return
	}
	stop := nm.Stop
	if stop == 0 {
		stop = scn.Duration
	}
	targets := nm.Targets
	if len(targets) == 0 {
		targets = scn.NodeNames()
	}
	// Lazily: one strike queued at a time, in the order (and with the
	// sequence numbers) a loop of s.At calls would give, so the digests are
	// those of the eager schedule while a tiny every costs no memory.
	s.Repeat(nm.Start+nm.Every, nm.Every, stop, func() {
		heal := strike(s, nm.Kinds[r.IntN(len(nm.Kinds))], targets, r, record)
		if heal != nil {
			s.After(min(nm.Heal, max(stop-s.Now(), time.Nanosecond)), heal)
		}
	})
}

// strike applies one nemesis fault and returns how to heal it.
func strike(s *sim.Sim, kind string, targets []string, r *rand.Rand, record func(fault.Fault)) func() {
	shuffled := append([]string(nil), targets...)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if len(shuffled) == 0 {
		return nil
	}
	do := func(f fault.Fault) {
		record(f)
		_ = s.Apply(f) // targets are the scenario's validated node names
	}
	if k := fault.Kind(kind); k.Adversary() {
		return adversaryStrike(s, k, shuffled, r, do)
	}
	repair := func() { do(fault.Fault{Kind: fault.Repair}) }
	partition := func(a, b []string) func() {
		do(fault.Fault{Kind: fault.Partition, Groups: [][]string{a, b}})
		return repair
	}
	switch kind {
	case fault.NemesisPartitionHalves:
		if len(shuffled) < 2 {
			return nil
		}
		half := len(shuffled) / 2
		return partition(shuffled[:half], shuffled[half:])
	case fault.NemesisIsolate:
		if len(shuffled) < 2 {
			return nil
		}
		return partition(shuffled[:1], shuffled[1:])
	case fault.NemesisBridge:
		if len(shuffled) < 3 {
			return nil
		}
		// shuffled[0] is the bridge: it still talks to both sides.
		rest := shuffled[1:]
		half := len(rest) / 2
		return partition(rest[:half], rest[half:])
	case fault.NemesisCrash, fault.NemesisPause:
		act, undo := fault.Crash, fault.Restart
		if kind == fault.NemesisPause {
			act, undo = fault.Pause, fault.Resume
		}
		for _, name := range shuffled {
			if n := s.Node(name); n != nil && n.State() == nodes.Running && !n.Paused() {
				do(fault.Fault{Kind: act, Node: name})
				return func() { do(fault.Fault{Kind: undo, Node: name}) }
			}
		}
	}
	return nil
}
