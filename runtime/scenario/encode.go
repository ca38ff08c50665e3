package scenario

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	yc "github.com/terrarium-sim/terrarium/runtime/scenario/internal/yamlcheck"
)

// Encode writes s back as a scenario file that Load reads to the same
// scenario. Module paths are written relative to dir, the directory the
// file will be saved in. Node groups keep their shape; the workload's
// targets are written only if they differ from all nodes.
func Encode(s *Scenario, dir string) ([]byte, error) {
	var err error
	params := func(raw json.RawMessage) yc.Params {
		var v any
		if len(raw) != 0 && string(raw) != "{}" && err == nil {
			if e := json.Unmarshal(raw, &v); e != nil {
				err = fmt.Errorf("scenario: encode params: %w", e)
			}
		}
		return yc.Params{V: raw}
	}
	rel := func(p string) yc.Name {
		if p == "" || !filepath.IsAbs(p) || dir == "" {
			return yc.Name{V: p}
		}
		if r, e := filepath.Rel(dir, p); e == nil {
			if r == "" {
				r = "."
			}
			return yc.Name{V: filepath.ToSlash(r)}
		}
		return yc.Name{V: p}
	}
	dur := func(d time.Duration) yc.Dur { return yc.Dur{V: d} }
	str := func(v string) yc.Name { return yc.Name{V: v} }
	f := fileWire{Name: str(s.Name), Description: yc.Str{V: s.Description}, Seed: yc.Uint{V: s.Seed}, Duration: dur(s.Duration),
		Modules: modulesWire{V: map[string]moduleWire{}}, Limits: limitsWire{V: s.Limits}, Services: yc.List{V: s.Services}, Strict: yc.Bool{V: s.Strict}}
	for _, m := range s.Modules {
		f.Modules.V[m.Name] = moduleWire{Go: rel(m.Go), Wasm: rel(m.Wasm), SHA256: str(m.SHA256), LDFlags: str(m.LDFlags), Tags: yc.List{V: m.Tags}, Roles: yc.List{V: m.Roles}}
	}
	for _, g := range s.Groups {
		gw := groupWire{Name: str(g.Name), Module: str(g.Module), Role: str(g.Role), Params: params(g.Params)}
		if g.Count > 1 {
			gw.Count.V = int64(g.Count)
		} else {
			gw.Indexed.V = g.Indexed
		}
		f.Nodes.V = append(f.Nodes.V, gw)
	}
	f.Network = encodeNetwork(s.Network)
	if w := s.Workload; w.Type != "" && w.Type != WorkloadNone {
		f.Workload = &workloadWire{Type: str(w.Type), Clients: yc.Int{V: int64(w.Clients)}, Interval: dur(w.Interval), Start: dur(w.Start),
			Ops: yc.Int{V: int64(w.Ops)}, Timeout: dur(w.Timeout), Params: params(w.Params)}
		if !slices.Equal(w.Targets, s.NodeNames()) {
			f.Workload.Targets.V = w.Targets
		}
	}
	for _, c := range s.Checks {
		f.Checks.V = append(f.Checks.V, checkWire{Name: str(c.Name), Params: params(c.Params)})
	}
	if s.LoseUnsynced {
		f.Disk = &diskWire{LoseUnsynced: yc.Bool{V: true}}
	}
	for _, ft := range s.Faults {
		one := ft.Kind == fault.Hold || ft.Kind == fault.Release || ft.Kind.Adversary()
		f.Faults.V = append(f.Faults.V, faultWire{Time: dur(ft.At), BeforeEvent: yc.Int{V: int64(ft.BeforeEvent)}, Action: str(string(ft.Kind)),
			Target: str(ft.Node), Groups: groupsWire{V: ft.Groups}, From: nodesWire{V: ft.From, One: one}, To: nodesWire{V: ft.To, One: one},
			By: dur(ft.By), PPM: yc.Int{V: ft.PPM}, Attacker: str(ft.Attacker), Body: yc.Str{V: ft.Body}})
	}
	for _, nm := range s.Nemeses {
		w := nemesisWire{Kinds: yc.List{V: nm.Kinds}, Schedule: yc.Str{V: nm.Schedule}, Every: dur(nm.Every), Start: dur(nm.Start), Stop: dur(nm.Stop), Targets: yc.List{V: nm.Targets}}
		if nm.Schedule != ScheduleJepsen {
			w.Heal = &yc.Dur{V: nm.Heal}
		}
		f.Nemesis.V = append(f.Nemesis.V, w)
	}
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("scenario: encode: %w", err)
	}
	return b, nil
}

// encodeNetwork fills the network section.
func encodeNetwork(n Network) networkWire {
	w := networkWire{Latency: latencyWire{V: n.Latency}, Loss: yc.Prob{V: n.Loss}, Duplicate: yc.Prob{V: n.Duplicate}, Reorder: yc.Prob{V: n.Reorder}}
	prob := func(p *float64) *yc.Prob {
		if p == nil {
			return nil
		}
		return &yc.Prob{V: *p}
	}
	for _, l := range n.Links {
		lw := linkWire{From: yc.Name{V: l.From}, To: yc.Name{V: l.To}, Loss: prob(l.Loss), Duplicate: prob(l.Duplicate), Reorder: prob(l.Reorder)}
		if l.Latency != nil {
			lw.Latency = &latencyWire{V: *l.Latency}
		}
		w.Links.V = append(w.Links.V, lw)
	}
	return w
}

// encodeLatency writes a latency as a duration when it is constant, else
// as a mapping.
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
