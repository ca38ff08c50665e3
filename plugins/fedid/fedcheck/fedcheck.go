// Package fedcheck is the host side of the Federated Identity plugin
// (plugins/fedid): the "fedid" workload, whose users log in to the
// identity provider and spend its tokens at a service. Its checks are the
// security checkers of plugins/gatekeeper/gatecheck.
package fedcheck

import (
	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Plugin returns the plugin's catalogue entry and workload.
func Plugin() contract.Plugin {
	return contract.Plugin{
		Name:      "fedid",
		Title:     "Federated Identity",
		Category:  "security",
		Summary:   "An identity provider signs short-lived tokens that services verify; service-to-ledger messages carry MACs, nonces and a replay window",
		Workloads: map[string]workload.Workload{"fedid": Workload{}},
	}
}
