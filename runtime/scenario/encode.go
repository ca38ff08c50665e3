package scenario

import (
	"fmt"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"

	yc "github.com/terrarium-sim/terrarium/runtime/scenario/internal/yamlcheck"
)

// Encode writes s back as a scenario file that Load reads to the same
// scenario, through the same struct tags Parse reads. Module paths are
// written relative to dir, the directory the file will be saved in. Node
// groups keep their shape; the workload's targets are written only if
// they differ from all nodes.
func Encode(s *Scenario, dir string) ([]byte, error) {
	cp := *s
	modules := map[string]Module{}
	for _, m := range s.Modules {
		c := *m
		c.Go, c.Wasm = relative(dir, m.Go), relative(dir, m.Wasm)
		modules[m.Name] = c
	}
	cp.Groups = make([]*NodeGroup, len(s.Groups))
	for i, g := range s.Groups {
		c := *g
		c.Indexed = g.Indexed && g.Count == 1 // several nodes always are
		if g.Count == 1 {
			c.Count = 0 // the default, omitted
		}
		cp.Groups[i] = &c
	}
	if w := s.Workload; w.Type == "" || w.Type == WorkloadNone {
		cp.Workload = Workload{}
	} else if slices.Equal(w.Targets, s.NodeNames()) {
		cp.Workload.Targets = nil
	}
	root, err := yc.Encode(&cp)
	if err != nil { // only params that are not JSON can fail
		return nil, fmt.Errorf("scenario: encode params: %w", err)
	}
	mods, _ := yc.Encode(modules) // modules and disk hold no params: they cannot fail
	yc.Replace(root, "modules", mods)
	d, _ := yc.Encode(disk{LoseUnsynced: true})
	yc.Replace(root, "disk", d)
	for i, ft := range s.Faults {
		if ft.Kind.OneEnd() {
			for _, key := range []string{"from", "to"} {
				item := yc.Value(root, "faults").Content[i]
				if v := yc.Value(item, key); v != nil && len(v.Content) > 0 {
					yc.Replace(item, key, v.Content[0])
				}
			}
		}
	}
	b, err := yaml.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("scenario: encode: %w", err)
	}
	return b, nil
}

// relative writes the module path p relative to dir.
func relative(dir, p string) string {
	if p == "" || !filepath.IsAbs(p) || dir == "" {
		return p
	}
	r, err := filepath.Rel(dir, p)
	switch {
	case err != nil:
		return p
	case r == "":
		return "."
	}
	return filepath.ToSlash(r)
}
