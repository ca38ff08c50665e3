// Package gatecheck is the host side of the Gatekeeper plugin
// (plugins/gatekeeper): the "gatekeeper" workload, whose clients sign
// their requests with a password that never crosses the network, and the
// security checkers every security pattern can use: security-unauthorised,
// security-injected, security-plaintext and security-availability.
package gatecheck

import (
	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Plugin returns the plugin's catalogue entry, workloads and checkers.
func Plugin() contract.Plugin {
	return contract.Plugin{
		Name:      "gatekeeper",
		Title:     "Gatekeeper",
		Category:  "security",
		Summary:   "A hardened front validates, authenticates, de-duplicates and rate-limits requests before a trusted back end that accepts only its MAC'd forwards",
		Workloads: map[string]workload.Workload{"gatekeeper": Workload{}},
		Checks: map[string]check.Checker{
			"security-unauthorised": Unauthorised,
			"security-injected":     Injected,
			"security-plaintext":    Plaintext,
			"security-availability": Availability,
		},
	}
}
