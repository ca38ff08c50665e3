package sim

import "github.com/terrarium-sim/terrarium/runtime/limits"

// WithLimits returns c with the run-wide caps that l sets (max_events,
// max_trace_bytes, in_flight_bytes, in_flight_messages, init_names,
// shared_store_nodes, attack_budget) and the limits the guest engine enforces (memory,
// fuel, message size, spin window and the per-node quotas); unset (zero)
// fields keep c's values.
func (c Config) WithLimits(l limits.Limits) Config {
	c.wasm = c.wasm.WithLimits(l)
	if l.MaxEvents > 0 {
		c.maxEvents = uint64(l.MaxEvents)
	}
	if l.MaxTraceBytes > 0 {
		c.maxTrace = uint64(l.MaxTraceBytes)
	}
	if l.InFlightBytes > 0 {
		c.maxInFlight = l.InFlightBytes
	}
	if l.InFlightMessages > 0 {
		c.maxInFlightN = l.InFlightMessages
	}
	if l.InitNames > 0 {
		c.scale.initNames = l.InitNames
	}
	if l.SharedStoreNodes > 0 {
		c.scale.sharedStore = l.SharedStoreNodes
	}
	if l.AttackBudget > 0 {
		c.attackBudget = l.AttackBudget
	}
	return c
}
