package netsim

import "time"

// Spec describes a network by node names, as a scenario's network:
// section does: a default link and rules that override it for some pairs.
// The runner resolves it into a Network's per-index links with Settings.
type Spec struct {
	// Latency applies to every message unless a rule overrides it; a
	// scenario's default is 1 ms, constant.
	Latency Latency `yaml:"latency"`
	// Loss is the probability, in [0, 1], that a message is dropped.
	Loss float64 `yaml:"loss,omitempty"`
	// Duplicate is the probability that a message is delivered twice.
	Duplicate float64 `yaml:"duplicate,omitempty"`
	// Reorder is the probability that a message is held back so that later
	// ones overtake it.
	Reorder float64 `yaml:"reorder,omitempty"`
	// Links lists the rules in file order.
	Links []Rule `yaml:"links,omitempty"`
}

// Rule overrides some settings of messages from From to To, each a node
// name or "*" for any node; a nil setting is not overridden.
type Rule struct {
	From      string   `yaml:"from" check:"required"`
	To        string   `yaml:"to" check:"required"`
	Latency   *Latency `yaml:"latency,omitempty"`
	Loss      *float64 `yaml:"loss,omitempty"`
	Duplicate *float64 `yaml:"duplicate,omitempty"`
	Reorder   *float64 `yaml:"reorder,omitempty"`
	// Line is the line of the rule in its scenario file.
	Line int `yaml:"-" pos:"line"`
}

// Settings returns the link from one node to another: for each setting
// the most specific rule that sets it wins (from→to, then from→*, then
// *→to, then *→*); without one, the spec's default applies.
func (n *Spec) Settings(from, to string) Link {
	out := Link{Latency: n.Latency, Loss: n.Loss, Duplicate: n.Duplicate, Reorder: n.Reorder}
	var ranks [4]int
	for i := range n.Links {
		l := &n.Links[i]
		rank := l.rank(from, to)
		wins := func(k int, set bool) bool {
			if set && rank > ranks[k] {
				ranks[k] = rank
				return true
			}
			return false
		}
		if wins(0, l.Latency != nil) {
			out.Latency = *l.Latency
		}
		if wins(1, l.Loss != nil) {
			out.Loss = *l.Loss
		}
		if wins(2, l.Duplicate != nil) {
			out.Duplicate = *l.Duplicate
		}
		if wins(3, l.Reorder != nil) {
			out.Reorder = *l.Reorder
		}
	}
	return out
}

// rank is how specifically l matches from→to: 4 exactly, 0 not at all.
func (l *Rule) rank(from, to string) int {
	switch {
	case l.From == from && l.To == to:
		return 4
	case l.From == from && l.To == "*":
		return 3
	case l.From == "*" && l.To == to:
		return 2
	case l.From == "*" && l.To == "*":
		return 1
	}
	return 0
}

// MarshalYAML writes a latency as a scenario spells it: a bare duration
// when it is constant without a named distribution, else a mapping.
func (l Latency) MarshalYAML() (any, error) {
	if l.Dist == DistDefault && l.Min == l.Max {
		return l.Min.String(), nil
	}
	m := map[string]string{}
	if l.Dist != DistDefault {
		m["dist"] = string(l.Dist)
	}
	for k, d := range map[string]time.Duration{"min": l.Min, "max": l.Max, "mean": l.Mean, "stddev": l.Stddev} {
		if d != 0 || (k == "min" && l.Dist == DistDefault) {
			m[k] = d.String()
		}
	}
	if l.Dist == DistDefault && l.Max != 0 {
		m["max"] = l.Max.String()
	}
	return m, nil
}
