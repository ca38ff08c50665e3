// Package patterns is the catalogue of Terrarium's plugins: the pattern
// plugins' descriptions, and a runner registry with the workloads and
// checkers every plugin adds to the core ones (runtime/workload,
// runtime/check). Each plugin's host package fills in one contract.Plugin
// value; this package lists them and registers them in one place.
package patterns

import (
	"fmt"
	"sort"

	"github.com/terrarium-sim/terrarium/plugins/contract"
	"github.com/terrarium-sim/terrarium/plugins/cqrs/cqrscheck"
	"github.com/terrarium-sim/terrarium/plugins/fedid/fedcheck"
	"github.com/terrarium-sim/terrarium/plugins/gatekeeper/gatecheck"
	"github.com/terrarium-sim/terrarium/plugins/maelstrom/mcheck"
	"github.com/terrarium-sim/terrarium/plugins/rlbs/rlbscheck"
	"github.com/terrarium-sim/terrarium/plugins/saga/sagacheck"
	"github.com/terrarium-sim/terrarium/plugins/sharding/shardcheck"
	"github.com/terrarium-sim/terrarium/plugins/twopc/twopccheck"
	"github.com/terrarium-sim/terrarium/plugins/valet/valetcheck"
	"github.com/terrarium-sim/terrarium/plugins/zoo/zoocheck"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// plugins returns every plugin's host side, patterns and others alike.
func plugins() []contract.Plugin {
	return []contract.Plugin{
		sagacheck.Plugin(),
		twopccheck.Plugin(),
		shardcheck.Plugin(),
		rlbscheck.Plugin(),
		cqrscheck.Plugin(),
		gatecheck.Plugin(),
		fedcheck.Plugin(),
		valetcheck.Plugin(),
		mcheck.Plugin(),
		zoocheck.Plugin(),
	}
}

// All returns the pattern plugins, by name.
func All() []contract.Plugin {
	var ps []contract.Plugin
	for _, p := range plugins() {
		if p.Pattern() {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// Registry returns a new registry with the core workloads and checkers and
// every plugin's, for runner.Options.WithRegistry. Add your own to it
// before the runs start.
func Registry() *runner.Registry {
	r := runner.NewRegistry()
	for _, p := range plugins() {
		if err := register(r, p); err != nil {
			panic(err.Error()) // two plugins claim one name: a build defect
		}
	}
	return r
}

// register adds one plugin's workloads and checkers to r, in name order.
func register(r *runner.Registry, p contract.Plugin) error {
	for _, name := range sortedKeys(p.Workloads) {
		if err := r.AddWorkload(name, p.Workloads[name]); err != nil {
			return fmt.Errorf("patterns: %s: %w", p.Name, err)
		}
	}
	for _, name := range sortedKeys(p.Checks) {
		if err := r.AddCheck(name, p.Checks[name]); err != nil {
			return fmt.Errorf("patterns: %s: %w", p.Name, err)
		}
	}
	for _, name := range sortedKeys(p.Invariants) {
		if err := r.AddInvariant(name, p.Invariants[name]); err != nil {
			return fmt.Errorf("patterns: %s: %w", p.Name, err)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
