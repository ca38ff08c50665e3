package runner

import "github.com/terrarium-sim/terrarium/runtime/sim"

// Recorded returns the messages the run's adversary has recorded so far
// (eavesdrop faults and attacker nodes), in order.
func (r *Run) Recorded() []sim.RecordedMessage { return r.s.Recorded() }
