// Package rlbscheck is the host side of the Replicated Load-Balanced
// Services plugin (plugins/rlbs): the "rlbs" workload, which sends work
// requests to the balancers, and the checkers "rlbs-availability" and
// "rlbs-latency".
package rlbscheck

import (
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// The pattern's catalogue entry.
const (
	Name     = "rlbs"
	Title    = "Replicated Load-Balanced Services"
	Category = "object communication"
	Summary  = "Identical stateless replicas behind a balancer (round-robin, least-outstanding, p2c) with health checks and retries"
)

// Workloads returns the plugin's workloads by name.
func Workloads() map[string]workload.Workload {
	return map[string]workload.Workload{"rlbs": Workload{}}
}

// Checks returns the plugin's checkers by name.
func Checks() map[string]check.Checker {
	return map[string]check.Checker{
		"rlbs-availability": Availability,
		"rlbs-latency":      Latency,
	}
}
