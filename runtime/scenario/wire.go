package scenario

import (
	yc "github.com/terrarium-sim/terrarium/runtime/scenario/internal/yamlcheck"
)

// The wire structs are the scenario file's schema, written once: Parse
// reads a file into them (their yaml tags are the allowed keys, listed in
// declaration order unless docafter says otherwise) and Encode writes
// them back with yaml.Marshal (in declaration order). Each field carries
// where it was written, for messages.

type fileWire struct {
	yc.At       `yaml:"-"`
	Name        yc.Name             `yaml:"name"`
	Description yc.Str              `yaml:"description,omitempty"`
	Seed        yc.Uint             `yaml:"seed,omitempty"`
	Duration    yc.Dur              `yaml:"duration"`
	Modules     modulesWire         `yaml:"modules"`
	Nodes       yc.Seq[groupWire]   `yaml:"nodes"`
	Network     networkWire         `yaml:"network"`
	Workload    *workloadWire       `yaml:"workload,omitempty"`
	Checks      yc.Seq[checkWire]   `yaml:"checks,omitempty"`
	Limits      limitsWire          `yaml:"limits,omitempty"`
	Disk        *diskWire           `yaml:"disk,omitempty"`
	Faults      yc.Seq[faultWire]   `yaml:"faults,omitempty"`
	Nemesis     yc.Seq[nemesisWire] `yaml:"nemesis,omitempty"`
	Services    yc.List             `yaml:"services,omitempty" item:"service"`
	Strict      yc.Bool             `yaml:"strict,omitempty"`
}

// modulesWire is the modules: mapping, read name by name (modules).
type modulesWire struct {
	V map[string]moduleWire
	yc.At
}

func (m modulesWire) MarshalYAML() (any, error) { return m.V, nil }

type moduleWire struct {
	yc.At   `yaml:"-"`
	Go      yc.Name `yaml:"go,omitempty"`
	Wasm    yc.Name `yaml:"wasm,omitempty"`
	SHA256  yc.Name `yaml:"sha256,omitempty"`
	LDFlags yc.Name `yaml:"ldflags,omitempty"`
	Tags    yc.List `yaml:"tags,omitempty" item:"tag"`
	Roles   yc.List `yaml:"roles,omitempty" item:"role" docafter:"sha256"`
}

type groupWire struct {
	yc.At   `yaml:"-"`
	Name    yc.Name   `yaml:"name"`
	Count   yc.Int    `yaml:"count,omitempty"`
	Indexed yc.Bool   `yaml:"indexed,omitempty"`
	Module  yc.Name   `yaml:"module"`
	Role    yc.Name   `yaml:"role,omitempty"`
	Params  yc.Params `yaml:"params,omitempty"`
}

type networkWire struct {
	yc.At     `yaml:"-"`
	Latency   latencyWire      `yaml:"latency"`
	Loss      yc.Prob          `yaml:"loss,omitempty"`
	Duplicate yc.Prob          `yaml:"duplicate,omitempty"`
	Reorder   yc.Prob          `yaml:"reorder,omitempty"`
	Links     yc.Seq[linkWire] `yaml:"links,omitempty"`
}

type linkWire struct {
	yc.At     `yaml:"-"`
	From      yc.Name      `yaml:"from"`
	To        yc.Name      `yaml:"to"`
	Latency   *latencyWire `yaml:"latency,omitempty"`
	Loss      *yc.Prob     `yaml:"loss,omitempty"`
	Duplicate *yc.Prob     `yaml:"duplicate,omitempty"`
	Reorder   *yc.Prob     `yaml:"reorder,omitempty"`
}

// latencyWire is a duration, or a mapping of latencyKeys (latency).
type latencyWire struct {
	V Latency
	yc.At
}

func (l latencyWire) MarshalYAML() (any, error) { return encodeLatency(l.V), nil }

// latencyKeys are the keys of a latency mapping; it is written back as a
// map (encodeLatency).
type latencyKeys struct {
	yc.At  `yaml:"-"`
	Dist   yc.Name `yaml:"dist"`
	Min    yc.Dur  `yaml:"min"`
	Max    yc.Dur  `yaml:"max"`
	Mean   yc.Dur  `yaml:"mean"`
	Stddev yc.Dur  `yaml:"stddev"`
}

type workloadWire struct {
	yc.At    `yaml:"-"`
	Type     yc.Name   `yaml:"type"`
	Clients  yc.Int    `yaml:"clients"`
	Interval yc.Dur    `yaml:"interval"`
	Start    yc.Dur    `yaml:"start,omitempty"`
	Ops      yc.Int    `yaml:"ops,omitempty"`
	Timeout  yc.Dur    `yaml:"timeout"`
	Targets  yc.List   `yaml:"targets,omitempty" item:"target"`
	Params   yc.Params `yaml:"params,omitempty"`
}

// checkWire is a check: a name, or a mapping with name and params.
type checkWire struct {
	yc.At  `yaml:"-"`
	Name   yc.Name   `yaml:"name"`
	Params yc.Params `yaml:"params,omitempty"`
}

// limitsWire is the limits: mapping, whose keys are limits.Limits' tags.
type limitsWire struct {
	V Limits
	yc.At
}

func (l limitsWire) MarshalYAML() (any, error) { return l.V, nil }

func (l limitsWire) IsZero() bool { return l.V == Limits{} }

type diskWire struct {
	yc.At        `yaml:"-"`
	LoseUnsynced yc.Bool `yaml:"lose_unsynced"`
}

// faultWire is one timed fault; the arguments an action takes
// (fault.Kind.Args) are read once the action is known.
type faultWire struct {
	yc.At       `yaml:"-"`
	Time        yc.Dur     `yaml:"at"`
	BeforeEvent yc.Int     `yaml:"before_event,omitempty"`
	Action      yc.Name    `yaml:"action" docafter:"at"`
	Target      yc.Name    `yaml:"node,omitempty"`
	Groups      groupsWire `yaml:"groups,omitempty"`
	From        nodesWire  `yaml:"from,omitempty"`
	To          nodesWire  `yaml:"to,omitempty"`
	By          yc.Dur     `yaml:"by,omitempty"`
	PPM         yc.Int     `yaml:"ppm,omitempty"`
	Attacker    yc.Name    `yaml:"attacker,omitempty"`
	Body        yc.Str     `yaml:"body,omitempty"`
}

// groupsWire is a partition's lists of nodes.
type groupsWire struct {
	V [][]string
	yc.At
}

func (g groupsWire) MarshalYAML() (any, error) { return g.V, nil }

func (g groupsWire) IsZero() bool { return len(g.V) == 0 }

// nodesWire is a list of nodes, or one node (One) for hold and release.
type nodesWire struct {
	V   []string
	One bool
	yc.At
}

func (n nodesWire) MarshalYAML() (any, error) {
	if n.One && len(n.V) > 0 {
		return n.V[0], nil
	}
	return n.V, nil
}

func (n nodesWire) IsZero() bool { return len(n.V) == 0 }

type nemesisWire struct {
	yc.At    `yaml:"-"`
	Kinds    yc.List `yaml:"kinds" item:"kind"`
	Schedule yc.Str  `yaml:"schedule,omitempty"`
	Every    yc.Dur  `yaml:"every"`
	Heal     *yc.Dur `yaml:"heal,omitempty"`
	Start    yc.Dur  `yaml:"start,omitempty"`
	Stop     yc.Dur  `yaml:"stop,omitempty"`
	Targets  yc.List `yaml:"targets,omitempty" item:"node"`
}
