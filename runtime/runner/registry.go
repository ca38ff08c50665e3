package runner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Registry names the workloads and checkers a scenario may use. A new
// registry holds the core ones (runtime/workload, runtime/check); pattern
// plugins add theirs (plugins/patterns.Registry), and an embedding user
// adds their own checker and names it in a scenario's checks.
//
// A registry is filled before runs start and only read while they go, so
// one registry may serve many concurrent runs.
type Registry struct {
	workloads map[string]workload.Workload
	checks    map[string]check.Checker
	// invariants are the per-step predicates some checks have.
	invariants map[string]check.Invariant
}

// NewRegistry returns a registry with the core workloads and checkers.
func NewRegistry() *Registry {
	r := &Registry{workloads: map[string]workload.Workload{}, checks: map[string]check.Checker{}, invariants: map[string]check.Invariant{}}
	for _, name := range workload.Names() {
		if w, err := workload.Get(name); err == nil {
			r.workloads[name] = w
		}
	}
	for _, name := range check.Names() {
		if c, err := check.Get(name); err == nil {
			r.checks[name] = c
		}
	}
	return r
}

// AddWorkload registers a workload under name; a name already taken is an
// error.
func (r *Registry) AddWorkload(name string, w workload.Workload) error {
	if name == "" || w == nil {
		return fmt.Errorf("runner: registry: a workload needs a name and an implementation")
	}
	if _, dup := r.workloads[name]; dup || name == "none" {
		return fmt.Errorf("runner: registry: workload %q is already registered", name)
	}
	r.workloads[name] = w
	return nil
}

// AddCheck registers a checker under name; a name already taken is an
// error.
func (r *Registry) AddCheck(name string, c check.Checker) error {
	if name == "" || c == nil {
		return fmt.Errorf("runner: registry: a checker needs a name and a function")
	}
	if _, dup := r.checks[name]; dup {
		return fmt.Errorf("runner: registry: checker %q is already registered", name)
	}
	r.checks[name] = c
	return nil
}

// AddInvariant gives the checker registered under name a per-step
// predicate (check.Invariant): every run whose scenario names the check
// installs it. The checker must be registered first; a second predicate
// for one check is an error.
func (r *Registry) AddInvariant(name string, inv check.Invariant) error {
	if inv == nil {
		return fmt.Errorf("runner: registry: invariant %q needs a function", name)
	}
	if _, ok := r.checks[name]; !ok {
		return fmt.Errorf("runner: registry: invariant %q: no checker of that name is registered", name)
	}
	if _, dup := r.invariants[name]; dup {
		return fmt.Errorf("runner: registry: checker %q already has an invariant", name)
	}
	r.invariants[name] = inv
	return nil
}

// Invariant returns the per-step predicate of the check registered under
// name; false if it has none.
func (r *Registry) Invariant(name string) (check.Invariant, bool) {
	inv, ok := r.invariants[name]
	return inv, ok
}

// Workload returns the workload registered under name.
func (r *Registry) Workload(name string) (workload.Workload, error) {
	w, ok := r.workloads[name]
	if !ok {
		return nil, fmt.Errorf("unknown workload %q (known: %s)", name, strings.Join(r.WorkloadNames(), ", "))
	}
	return w, nil
}

// Check returns the checker registered under name.
func (r *Registry) Check(name string) (check.Checker, error) {
	c, ok := r.checks[name]
	if !ok {
		return nil, fmt.Errorf("unknown checker %q (known: %s)", name, strings.Join(r.CheckNames(), ", "))
	}
	return c, nil
}

// WorkloadNames lists the registered workloads (and "none"), sorted.
func (r *Registry) WorkloadNames() []string {
	names := []string{"none"}
	for n := range r.workloads {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CheckNames lists the registered checkers, sorted.
func (r *Registry) CheckNames() []string {
	names := make([]string, 0, len(r.checks))
	for n := range r.checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
