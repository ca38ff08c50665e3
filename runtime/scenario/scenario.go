package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	yc "github.com/terrarium-sim/terrarium/runtime/scenario/internal/yamlcheck"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Defaults applied to fields a scenario leaves out.
const (
	// DefaultRole is the role of a module that does not list any.
	DefaultRole = "default"
	// DefaultLatency is the constant network latency when none is given.
	DefaultLatency = time.Millisecond
	// DefaultInterval is the time between a client's operations.
	DefaultInterval = 10 * time.Millisecond
	// DefaultTimeout is the per-request timeout of a workload.
	DefaultTimeout = time.Second
	// WorkloadNone is the workload type that runs no operations. It is the
	// type of a scenario without a workload section and is always accepted,
	// whatever Options.Workloads lists.
	WorkloadNone = "none"
	// MaxNodes bounds the number of node instances (and of workload clients)
	// one scenario may describe.
	MaxNodes = 1 << 16
	// MaxBytes bounds the size of a scenario file: Load reads no more.
	MaxBytes = 1 << 20
	// MaxDuration bounds a scenario's virtual duration.
	MaxDuration = 24 * time.Hour
	// MinNemesisEvery is the shortest nemesis period: a fault every
	// millisecond is already far denser than any system heals from, and a
	// floor keeps a tiny every from turning a short file into billions of
	// scheduled strikes.
	MinNemesisEvery = time.Millisecond
	// MaxProblems bounds the problems one parse lists; past it the last
	// line says how many more there were.
	MaxProblems = 100
	// MaxExpandedNodes bounds the YAML nodes of a scenario with every alias
	// expanded (a 1 MiB file without aliases has well under this many).
	MaxExpandedNodes = 1 << 20
)

// Scenario is a validated scenario file with every default applied.
type Scenario struct {
	// File is the name given to Parse, or the path given to Load; errors
	// about the scenario name it.
	File string `yaml:"-"`
	// Dir is the absolute directory module paths were resolved against by
	// Load; it is empty after Parse.
	Dir string `yaml:"-"`
	// Name is the scenario's name; by default File's base name without its
	// extension.
	Name string `yaml:"name"`
	// Description is free text, empty if absent.
	Description string `yaml:"description,omitempty" check:"str"`
	// Seed is the scenario's default random seed, 0 if absent. A seed given
	// on the command line takes precedence.
	Seed uint64 `yaml:"seed,omitempty"`
	// Duration is the virtual length of the run; always > 0.
	Duration time.Duration `yaml:"duration" check:"required,positive" max:"24h,scenario.MaxDuration"`
	// Modules lists the modules in file order.
	Modules []*Module `yaml:"modules"`
	// Groups lists the node groups (the items of nodes:) in file order.
	Groups []*NodeGroup `yaml:"nodes"`
	// Nodes lists every node instance in index order: the groups' instances
	// one group after the other.
	Nodes []*Node `yaml:"-"`
	// Network describes the simulated network.
	Network Network `yaml:"network"`
	// Workload describes the clients' workload.
	Workload Workload `yaml:"workload,omitempty"`
	// Checks lists the checks to apply to the run, in file order.
	Checks []Check `yaml:"checks,omitempty"`
	// Limits holds the resource limits.
	Limits Limits `yaml:"limits,omitempty"`
	// LoseUnsynced makes crashes lose writes since a node's last kv_sync
	// (disk: {lose_unsynced: true}).
	LoseUnsynced bool `yaml:"disk,omitempty" check:"manual"`
	// Faults lists timed fault actions in file order.
	Faults []Fault `yaml:"faults,omitempty"`
	// Nemeses lists random fault generators.
	Nemeses []Nemesis `yaml:"nemesis,omitempty"`
	// Services lists the host-side services to run (services:, Maelstrom's
	// names such as lin-kv), in file order. They are reachable by name
	// but are not among the nodes.
	Services []string `yaml:"services,omitempty" item:"service"`
	// Strict makes the checks' findings (what Terrarium checks beyond
	// the reference tool, e.g. Maelstrom) fail the run (strict: true);
	// without it findings are reported and the verdict is the checks'.
	Strict bool `yaml:"strict,omitempty"`
	// Schedule lists the decisions a run takes at its choice points
	// (schedule:, one "order STEP PICK", "drop MSG", ... a line; see
	// runtime/schedule): what `terrarium explore` found, replayed.
	Schedule schedule.Schedule `yaml:"schedule,omitempty" check:"manual"`
}

// disk is the disk: section, which Scenario holds as LoseUnsynced.
type disk struct {
	LoseUnsynced bool `yaml:"lose_unsynced"`
}

// Fault is one timed fault action of a faults: list.
type Fault = fault.Timed

// Nemesis is one item of a nemesis: list: random faults drawn from its
// kinds (fault.NemesisKinds).
type Nemesis = fault.Nemesis

// Module is one WebAssembly module of a scenario: exactly one of Go, Wasm
// and SHA256 is set.
type Module struct {
	// Name is the module's key under modules:.
	Name string `yaml:"-"`
	// Go is the directory of a Go main package to build for wasip1. Parse
	// keeps it as written; Load makes it absolute.
	Go string `yaml:"go,omitempty" oneof:"path"`
	// Wasm is the path of a ready WebAssembly module. Parse keeps it as
	// written; Load makes it absolute.
	Wasm string `yaml:"wasm,omitempty" oneof:"path"`
	// SHA256 names a module by the hex SHA-256 of its bytes, for a module
	// store (the server's uploads) to provide.
	SHA256 string `yaml:"sha256,omitempty" oneof:"path"`
	// LDFlags and Tags are go build's -ldflags and -tags for a go: module.
	LDFlags string   `yaml:"ldflags,omitempty" check:"manual"`
	Tags    []string `yaml:"tags,omitempty" item:"tag" check:"manual"`
	// Roles lists the roles the module can play, never empty; by default
	// [DefaultRole].
	Roles []string `yaml:"roles,omitempty" item:"role" docafter:"sha256"`
	// Pos is where the module's go:, wasm: or sha256: value is written,
	// where a failure to build or load the module is best reported.
	Pos Pos `yaml:"-" pos:"go,wasm,sha256"`
}

// Pos is where a value is written in a scenario file: its 1-based line
// and column.
type Pos struct{ Line, Column int }

// Path returns whichever of Go, Wasm and SHA256 is set.
func (m *Module) Path() string {
	switch {
	case m.Go != "":
		return m.Go
	case m.Wasm != "":
		return m.Wasm
	}
	return "sha256:" + m.SHA256
}

// HasRole reports whether role is one of the module's roles.
func (m *Module) HasRole(role string) bool { return slices.Contains(m.Roles, role) }

// NodeGroup is one item of nodes:, describing Count nodes that run the same
// module in the same role with the same params.
type NodeGroup struct {
	// Name is the name as written; see Node.Name for the instances' names.
	Name string `yaml:"name" check:"required"`
	// Count is the number of instances, 1..MaxNodes.
	Count int `yaml:"count,omitempty" range:"1,65536"`
	// Indexed reports whether instance names carry an index: true when
	// Count > 1 or when the file says indexed: true.
	Indexed bool `yaml:"indexed,omitempty"`
	// Module names one of the scenario's modules.
	Module string `yaml:"module" check:"required"`
	// Role is one of the module's roles; by default its first.
	Role string `yaml:"role,omitempty"`
	// Params is the group's params mapping as a JSON object with keys in
	// sorted order; "{}" when absent. Callers must not modify it.
	Params json.RawMessage `yaml:"params,omitempty"`
	// Line is the line of the group's mapping.
	Line int `yaml:"-" pos:"line"`
}

// Node is one node instance.
type Node struct {
	// Name is the instance's name: the group's name followed by the
	// instance's index within the group when the group is indexed (n0, n1,
	// ...), else the group's name.
	Name string
	// Index is the node's index among all the scenario's nodes.
	Index int
	// Group is the index of the node's group in Scenario.Groups.
	Group int
	// Module, Role and Params are the group's; Params is shared with the
	// group and must not be modified.
	Module string
	Role   string
	Params json.RawMessage
	// Line is the line of the group's mapping.
	Line int
}

// Latency is a message delay distribution (network.latency, a link's
// latency): a bare duration, {min, max}, or {dist, ...}.
type Latency = netsim.Latency

// Network is the network: section. Its Settings resolve what one node's
// messages to another get.
type Network = netsim.Spec

// Link is one item of network.links: settings that override the
// network's for messages from From to To (node names or "*").
type Link = netsim.Rule

// Workload is the workload: section.
type Workload = workload.Section

// Check is one check to apply to the run.
type Check struct {
	// Name names the check (required); a check without params may be
	// written as its name alone.
	Name string `yaml:"name" check:"required" short:""`
	// Params is the check's params as a JSON object with sorted keys; "{}"
	// when absent.
	Params json.RawMessage `yaml:"params,omitempty"`
	// Line is the line of the check's item.
	Line int `yaml:"-" pos:"line"`
}

// Limits holds the resource limits of a limits: section; a zero field was
// absent and means the runtime's default.
type Limits = limits.Limits

// NodeNames returns the names of all node instances in index order.
func (s *Scenario) NodeNames() []string {
	names := make([]string, len(s.Nodes))
	for i, n := range s.Nodes {
		names[i] = n.Name
	}
	return names
}

// Module returns the module called name, or nil.
func (s *Scenario) Module(name string) *Module {
	for _, m := range s.Modules {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// moduleNames returns the names of the modules in file order.
func (s *Scenario) moduleNames() []string {
	names := make([]string, len(s.Modules))
	for i, m := range s.Modules {
		names[i] = m.Name
	}
	return names
}

// Node returns the node instance called name, or nil.
func (s *Scenario) Node(name string) *Node {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Options extends validation with registries known to the caller.
type Options struct {
	// Workloads lists the known workload types. When nil, workload.type is
	// not checked against a registry; otherwise it must be WorkloadNone or
	// one of these.
	Workloads []string
	// Checks lists the known check names. When nil, check names are not
	// checked against a registry; otherwise each must be one of these.
	Checks []string
}

// Parse parses and validates a scenario held in data, with name used in
// errors and as the default scenario name. It does not touch the disk:
// module paths are kept as written and are not checked for existence.
// Workload types and check names are not checked against a registry.
func Parse(name string, data []byte) (*Scenario, error) {
	return ParseWith(name, data, Options{})
}

// ParseWith is Parse with workload types and check names validated against
// opts.
func ParseWith(name string, data []byte, opts Options) (*Scenario, error) {
	if len(data) > MaxBytes {
		return nil, Errors{&Error{File: name, Msg: fmt.Sprintf("the scenario is larger than %d bytes (scenario.MaxBytes)", MaxBytes)}}
	}
	p := &parser{Reader: yc.Reader{Checker: yc.Checker{Max: MaxProblems}}, file: name, opts: opts, rolesUnknown: map[string]bool{}}
	s := p.parse(data)
	if errs := p.problems(); errs != nil {
		return nil, errs
	}
	return s, nil
}

// Load reads, parses and validates the scenario file at path. Module paths
// are resolved relative to the file's directory and made absolute; a go:
// path must be a directory holding .go files and a wasm: path a file.
// Workload types and check names are not checked against a registry.
func Load(path string) (*Scenario, error) {
	return LoadWith(path, Options{})
}

// LoadWith is Load with workload types and check names validated against
// opts.
func LoadWith(path string, opts Options) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1)) // /dev/zero ends here
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	s, err := ParseWith(path, data, opts)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	s.Dir = dir
	var errs Errors
	for _, m := range s.Modules {
		if m.SHA256 != "" {
			continue
		}
		if e := resolveModule(s, m); e != nil {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, errs
	}
	return s, nil
}

// resolveModule makes m's path absolute relative to s.Dir and checks that it
// exists and has the right kind.
func resolveModule(s *Scenario, m *Module) *Error {
	key, kind, path := "wasm", "file", &m.Wasm
	if m.Go != "" {
		key, kind, path = "go", "directory", &m.Go
	}
	written, abs := *path, filepath.FromSlash(*path)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(s.Dir, abs)
	}
	*path = filepath.Clean(abs)
	where := ""
	if *path != written {
		where = fmt.Sprintf(" (resolved to %s)", *path)
	}
	var msg string
	info, err := os.Stat(*path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg = fmt.Sprintf("%s %q does not exist%s", kind, written, where)
	case err != nil:
		msg = fmt.Sprintf("cannot access %q: %v", written, err)
	case key == "wasm" && info.IsDir():
		msg = fmt.Sprintf("%q is a directory%s, not a WebAssembly file", written, where)
	case key == "go" && !info.IsDir():
		msg = fmt.Sprintf("%q is not a directory%s: go: names a Go main package directory", written, where)
	case key == "go":
		entries, err := os.ReadDir(*path)
		if err != nil {
			msg = fmt.Sprintf("cannot read directory %q: %v", written, err)
		} else if !slices.ContainsFunc(entries, func(e fs.DirEntry) bool {
			n := e.Name()
			return !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go")
		}) {
			msg = fmt.Sprintf("directory %q holds no .go files%s", written, where)
		}
	}
	if msg == "" {
		return nil
	}
	return &Error{File: s.File, Line: m.Pos.Line, Column: m.Pos.Column, Field: "modules." + m.Name + "." + key, Msg: msg}
}
