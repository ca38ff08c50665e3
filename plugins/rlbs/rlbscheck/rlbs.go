// Package rlbscheck is the host side of the Replicated Load-Balanced
// Services plugin (plugins/rlbs): the "rlbs" workload, which sends work
// requests to the balancers, and the checkers "rlbs-availability" and
// "rlbs-latency".
package rlbscheck

import (
	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Plugin returns the plugin's catalogue entry, workloads and checkers.
func Plugin() contract.Plugin {
	return contract.Plugin{
		Name:      "rlbs",
		Title:     "Replicated Load-Balanced Services",
		Category:  "object communication",
		Summary:   "Identical stateless replicas behind a balancer (round-robin, least-outstanding, p2c) with health checks and retries",
		Workloads: map[string]workload.Workload{"rlbs": Workload{}},
		Checks: map[string]check.Checker{
			"rlbs-availability": Availability,
			"rlbs-latency":      Latency,
		},
	}
}
