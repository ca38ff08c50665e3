// Package patterns is the catalogue of Terrarium's pattern plugins: their
// descriptions, and a runner registry with the workloads and checkers they
// add to the core ones (runtime/workload, runtime/check).
package patterns

import (
	"fmt"
	"sort"

	"github.com/terrarium-sim/terrarium/plugins/cqrs/cqrscheck"
	"github.com/terrarium-sim/terrarium/plugins/maelstrom/mcheck"
	"github.com/terrarium-sim/terrarium/plugins/rlbs/rlbscheck"
	"github.com/terrarium-sim/terrarium/plugins/saga/sagacheck"
	"github.com/terrarium-sim/terrarium/plugins/sharding/shardcheck"
	"github.com/terrarium-sim/terrarium/plugins/twopc/twopccheck"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Pattern describes one pattern plugin.
type Pattern struct {
	// Name is the plugin's folder under plugins/.
	Name string
	// Title is the pattern's usual name.
	Title string
	// Category is the lesson's grouping (object communication, security,
	// event-driven).
	Category string
	// Summary is one line.
	Summary string
	// Workloads and Checks are what the plugin adds, by name.
	Workloads map[string]workload.Workload
	Checks    map[string]check.Checker
}

// All returns the pattern plugins, by name.
func All() []Pattern {
	ps := []Pattern{
		{Name: sagacheck.Name, Title: sagacheck.Title, Category: sagacheck.Category, Summary: sagacheck.Summary, Workloads: sagacheck.Workloads(), Checks: sagacheck.Checks()},
		{Name: twopccheck.Name, Title: twopccheck.Title, Category: twopccheck.Category, Summary: twopccheck.Summary, Workloads: twopccheck.Workloads(), Checks: twopccheck.Checks()},
		{Name: shardcheck.Name, Title: shardcheck.Title, Category: shardcheck.Category, Summary: shardcheck.Summary, Workloads: shardcheck.Workloads(), Checks: shardcheck.Checks()},
		{Name: rlbscheck.Name, Title: rlbscheck.Title, Category: rlbscheck.Category, Summary: rlbscheck.Summary, Workloads: rlbscheck.Workloads(), Checks: rlbscheck.Checks()},
		{Name: cqrscheck.Name, Title: cqrscheck.Title, Category: cqrscheck.Category, Summary: cqrscheck.Summary, Workloads: cqrscheck.Workloads(), Checks: cqrscheck.Checks()},
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// Registry returns a new registry with the core workloads and checkers and
// every pattern plugin's, for runner.Options.WithRegistry. Add your own to
// it before the runs start.
func Registry() *runner.Registry {
	r := runner.NewRegistry()
	extra := Pattern{Name: "maelstrom", Workloads: mcheck.Workloads(), Checks: mcheck.Checks()} // Maelstrom's workloads: not a pattern
	for _, p := range append(All(), extra) {
		for _, name := range sortedKeys(p.Workloads) {
			if err := r.AddWorkload(name, p.Workloads[name]); err != nil {
				panic(fmt.Sprintf("patterns: %s: %v", p.Name, err)) // two plugins claim one name: a build defect
			}
		}
		for _, name := range sortedKeys(p.Checks) {
			if err := r.AddCheck(name, p.Checks[name]); err != nil {
				panic(fmt.Sprintf("patterns: %s: %v", p.Name, err))
			}
		}
	}
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
