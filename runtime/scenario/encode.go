package scenario

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"go.yaml.in/yaml/v3"
)

// Encode writes s back as a scenario file that Load reads to the same
// scenario. Module paths are written relative to dir, the directory the
// file will be saved in. Node groups keep their shape; the workload's
// targets are written only if they differ from all nodes.
func Encode(s *Scenario, dir string) ([]byte, error) {
	type module struct {
		Go      string   `yaml:"go,omitempty"`
		Wasm    string   `yaml:"wasm,omitempty"`
		SHA256  string   `yaml:"sha256,omitempty"`
		LDFlags string   `yaml:"ldflags,omitempty"`
		Tags    []string `yaml:"tags,omitempty"`
		Roles   []string `yaml:"roles,omitempty"`
	}
	type group struct {
		Name    string `yaml:"name"`
		Count   int    `yaml:"count,omitempty"`
		Indexed bool   `yaml:"indexed,omitempty"`
		Module  string `yaml:"module"`
		Role    string `yaml:"role,omitempty"`
		Params  any    `yaml:"params,omitempty"`
	}
	type link struct {
		From      string   `yaml:"from"`
		To        string   `yaml:"to"`
		Latency   any      `yaml:"latency,omitempty"`
		Loss      *float64 `yaml:"loss,omitempty"`
		Duplicate *float64 `yaml:"duplicate,omitempty"`
		Reorder   *float64 `yaml:"reorder,omitempty"`
	}
	type network struct {
		Latency   any     `yaml:"latency"`
		Loss      float64 `yaml:"loss,omitempty"`
		Duplicate float64 `yaml:"duplicate,omitempty"`
		Reorder   float64 `yaml:"reorder,omitempty"`
		Links     []link  `yaml:"links,omitempty"`
	}
	type workload struct {
		Type     string   `yaml:"type"`
		Clients  int      `yaml:"clients"`
		Interval string   `yaml:"interval"`
		Start    string   `yaml:"start,omitempty"`
		Ops      int      `yaml:"ops,omitempty"`
		Timeout  string   `yaml:"timeout"`
		Targets  []string `yaml:"targets,omitempty"`
		Params   any      `yaml:"params,omitempty"`
	}
	type check struct {
		Name   string `yaml:"name"`
		Params any    `yaml:"params,omitempty"`
	}
	type disk struct {
		LoseUnsynced bool `yaml:"lose_unsynced"`
	}
	type faultEntry struct {
		At          string     `yaml:"at"`
		BeforeEvent uint64     `yaml:"before_event,omitempty"`
		Action      string     `yaml:"action"`
		Node        string     `yaml:"node,omitempty"`
		Groups      [][]string `yaml:"groups,omitempty"`
		From        any        `yaml:"from,omitempty"`
		To          any        `yaml:"to,omitempty"`
		By          string     `yaml:"by,omitempty"`
		PPM         int64      `yaml:"ppm,omitempty"`
	}
	type nemesis struct {
		Kinds    []string `yaml:"kinds"`
		Schedule string   `yaml:"schedule,omitempty"`
		Every    string   `yaml:"every"`
		Heal     string   `yaml:"heal,omitempty"`
		Start    string   `yaml:"start,omitempty"`
		Stop     string   `yaml:"stop,omitempty"`
		Targets  []string `yaml:"targets,omitempty"`
	}
	type file struct {
		Name        string            `yaml:"name"`
		Description string            `yaml:"description,omitempty"`
		Seed        uint64            `yaml:"seed,omitempty"`
		Duration    string            `yaml:"duration"`
		Modules     map[string]module `yaml:"modules"`
		Nodes       []group           `yaml:"nodes"`
		Network     network           `yaml:"network"`
		Workload    *workload         `yaml:"workload,omitempty"`
		Checks      []check           `yaml:"checks,omitempty"`
		Limits      *Limits           `yaml:"limits,omitempty"`
		Disk        *disk             `yaml:"disk,omitempty"`
		Faults      []faultEntry      `yaml:"faults,omitempty"`
		Nemesis     []nemesis         `yaml:"nemesis,omitempty"`
		Services    []string          `yaml:"services,omitempty"`
		Strict      bool              `yaml:"strict,omitempty"`
	}
	var err error
	params := func(raw json.RawMessage) any {
		if len(raw) == 0 || string(raw) == "{}" {
			return nil
		}
		var v any
		if e := json.Unmarshal(raw, &v); e != nil && err == nil {
			err = fmt.Errorf("scenario: encode params: %w", e)
		}
		return v
	}
	rel := func(p string) string {
		if p == "" || !filepath.IsAbs(p) || dir == "" {
			return p
		}
		if r, e := filepath.Rel(dir, p); e == nil {
			if r == "" {
				return "."
			}
			return filepath.ToSlash(r)
		}
		return p
	}
	dur := func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return d.String()
	}
	f := file{Name: s.Name, Description: s.Description, Seed: s.Seed, Duration: s.Duration.String(), Modules: map[string]module{}, Strict: s.Strict}
	for _, m := range s.Modules {
		f.Modules[m.Name] = module{Go: rel(m.Go), Wasm: rel(m.Wasm), SHA256: m.SHA256, LDFlags: m.LDFlags, Tags: m.Tags, Roles: m.Roles}
	}
	for _, g := range s.Groups {
		gr := group{Name: g.Name, Module: g.Module, Role: g.Role, Params: params(g.Params)}
		if g.Count > 1 {
			gr.Count = g.Count
		} else if g.Indexed {
			gr.Indexed = true
		}
		f.Nodes = append(f.Nodes, gr)
	}
	f.Network = network{Latency: encodeLatency(s.Network.Latency), Loss: s.Network.Loss, Duplicate: s.Network.Duplicate, Reorder: s.Network.Reorder}
	for _, l := range s.Network.Links {
		ln := link{From: l.From, To: l.To, Loss: l.Loss, Duplicate: l.Duplicate, Reorder: l.Reorder}
		if l.Latency != nil {
			ln.Latency = encodeLatency(*l.Latency)
		}
		f.Network.Links = append(f.Network.Links, ln)
	}
	if s.Workload.Type != "" && s.Workload.Type != WorkloadNone {
		w := &workload{Type: s.Workload.Type, Clients: s.Workload.Clients, Interval: s.Workload.Interval.String(),
			Start: dur(s.Workload.Start), Ops: s.Workload.Ops, Timeout: s.Workload.Timeout.String(), Params: params(s.Workload.Params)}
		if !slices.Equal(s.Workload.Targets, s.NodeNames()) {
			w.Targets = s.Workload.Targets
		}
		f.Workload = w
	}
	for _, c := range s.Checks {
		f.Checks = append(f.Checks, check{Name: c.Name, Params: params(c.Params)})
	}
	if s.Limits != (Limits{}) {
		l := s.Limits
		f.Limits = &l
	}
	if s.LoseUnsynced {
		f.Disk = &disk{LoseUnsynced: true}
	}
	for _, ft := range s.Faults {
		e := faultEntry{At: ft.At.String(), BeforeEvent: ft.BeforeEvent, Action: string(ft.Kind), Node: ft.Node, Groups: ft.Groups, By: dur(ft.By), PPM: ft.PPM}
		if ft.Kind == fault.Hold || ft.Kind == fault.Release {
			e.From, e.To = ft.From[0], ft.To[0]
		} else if len(ft.From) > 0 {
			e.From, e.To = ft.From, ft.To
		}
		f.Faults = append(f.Faults, e)
	}
	for _, nm := range s.Nemeses {
		e := nemesis{Kinds: nm.Kinds, Schedule: nm.Schedule, Every: nm.Every.String(), Heal: nm.Heal.String(),
			Start: dur(nm.Start), Stop: dur(nm.Stop), Targets: nm.Targets}
		if nm.Schedule == ScheduleJepsen {
			e.Heal = ""
		}
		f.Nemesis = append(f.Nemesis, e)
	}
	f.Services = s.Services
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("scenario: encode: %w", err)
	}
	return b, nil
}

func encodeLatency(l Latency) any {
	if l.Dist == "" && l.Min == l.Max {
		return l.Min.String()
	}
	m := map[string]string{}
	if l.Dist != "" {
		m["dist"] = l.Dist
	}
	for k, d := range map[string]time.Duration{"min": l.Min, "max": l.Max, "mean": l.Mean, "stddev": l.Stddev} {
		if d != 0 || (k == "min" && l.Dist == "") {
			m[k] = d.String()
		}
	}
	if l.Dist == "" && l.Max != 0 {
		m["max"] = l.Max.String()
	}
	return m
}
