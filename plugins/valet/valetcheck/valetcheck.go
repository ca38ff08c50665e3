// Package valetcheck is the host side of the Valet Key plugin
// (plugins/valet): the "valet" workload, whose users get a scoped,
// short-lived key and write with it straight to storage, and the
// valet-leaked-keys checker, which measures how long a stolen key kept
// working. The other checks are plugins/gatekeeper/gatecheck's.
package valetcheck

import (
	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Plugin returns the plugin's catalogue entry, workload and checker.
func Plugin() contract.Plugin {
	return contract.Plugin{
		Name:      "valet",
		Title:     "Valet Key",
		Category:  "security",
		Summary:   "A key service issues short-lived, scoped, signed tokens; clients use them directly with a storage node that checks them",
		Workloads: map[string]workload.Workload{"valet": Workload{}},
		Checks:    map[string]check.Checker{"valet-leaked-keys": LeakedKeys},
	}
}
