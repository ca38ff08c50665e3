// Package contract is the contract a plugin's host side fills in: one Plugin
// value naming the plugin, its catalogue entry and the workloads and
// checkers it adds. It is a leaf: a plugin's host package imports it, and
// plugins/patterns lists the values and registers them.
package contract

import (
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Plugin describes one plugin's host side.
type Plugin struct {
	// Name is the plugin's folder under plugins/.
	Name string
	// Title is the pattern's usual name; empty for a plugin that is not a
	// pattern (Maelstrom's workloads), which the catalogue does not list.
	Title string
	// Category is the lesson's grouping (object communication, security,
	// event-driven).
	Category string
	// Summary is one line.
	Summary string
	// Workloads and Checks are what the plugin adds, by registry name.
	Workloads map[string]workload.Workload
	Checks    map[string]check.Checker
	// Invariants are per-step predicates of some of Checks, by the
	// check's name (check.Invariant).
	Invariants map[string]check.Invariant
}

// Pattern reports whether the plugin is a pattern the catalogue lists.
func (p Plugin) Pattern() bool { return p.Title != "" }
