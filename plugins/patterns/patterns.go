// Package patterns is the catalogue of Terrarium's pattern plugins: their
// descriptions, and the workloads and checkers they add to the core ones
// (runtime/workload, runtime/check), by name.
package patterns

import (
	"fmt"
	"sort"
	"strings"

	"github.com/terrarium-sim/terrarium/plugins/cqrs/cqrscheck"
	"github.com/terrarium-sim/terrarium/plugins/rlbs/rlbscheck"
	"github.com/terrarium-sim/terrarium/plugins/saga/sagacheck"
	"github.com/terrarium-sim/terrarium/plugins/sharding/shardcheck"
	"github.com/terrarium-sim/terrarium/plugins/twopc/twopccheck"
	"github.com/terrarium-sim/terrarium/runtime/check"
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

// Workload returns a core or pattern workload by name.
func Workload(name string) (workload.Workload, error) {
	for _, p := range All() {
		if w, ok := p.Workloads[name]; ok {
			return w, nil
		}
	}
	w, err := workload.Get(name)
	if err != nil {
		return nil, fmt.Errorf("unknown workload %q (known: %s)", name, strings.Join(WorkloadNames(), ", "))
	}
	return w, nil
}

// Check returns a core or pattern checker by name.
func Check(name string) (check.Checker, error) {
	for _, p := range All() {
		if c, ok := p.Checks[name]; ok {
			return c, nil
		}
	}
	c, err := check.Get(name)
	if err != nil {
		return nil, fmt.Errorf("unknown checker %q (known: %s)", name, strings.Join(CheckNames(), ", "))
	}
	return c, nil
}

// WorkloadNames lists every workload name, sorted.
func WorkloadNames() []string {
	names := workload.Names()
	for _, p := range All() {
		for n := range p.Workloads {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// CheckNames lists every checker name, sorted.
func CheckNames() []string {
	names := check.Names()
	for _, p := range All() {
		for n := range p.Checks {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
