package sweep

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// Merge joins sweep summaries: each argument is a sweep.json, or a
// directory searched (recursively) for files named sweep.json. The parts
// must be sweeps of the same scenario (file and module bytes) and no seed
// may appear in two parts. The merged summary's MissingShards lists the
// shards of a declared split (i/n) that no part ran, and MissingSeeds the
// seeds of the parts' full seed lists that no part ran. It is Interrupted
// only if a part was and the parts together still miss a seed.
func Merge(paths ...string) (*Summary, error) {
	files, err := findSummaries(paths)
	if err != nil {
		return nil, err
	}
	out := &Summary{Format: Format, Failing: []Failing{}}
	seen := map[uint64]string{}
	specs := map[string]Seeds{}
	type split struct {
		whole   bool
		present map[int]map[int]bool // count -> indices
	}
	splits := map[string]*split{}
	var first string
	interrupted := false
	for _, f := range files {
		s, err := ReadFile(f)
		if err != nil {
			return nil, err
		}
		if first == "" {
			first = f
			out.Scenario, out.Name, out.ScenarioSHA256, out.ModulesSHA256 = s.Scenario, s.Name, s.ScenarioSHA256, s.ModulesSHA256
		} else if s.Name != out.Name || s.ScenarioSHA256 != out.ScenarioSHA256 {
			return nil, fmt.Errorf("sweep: merge: %s is a sweep of %s (%s, scenario sha256 %s) but %s of %s (%s, scenario sha256 %s)",
				f, s.Scenario, s.Name, shortSHA(s.ScenarioSHA256), first, out.Scenario, out.Name, shortSHA(out.ScenarioSHA256))
		} else if !maps.Equal(s.ModulesSHA256, out.ModulesSHA256) {
			return nil, fmt.Errorf("sweep: merge: %s and %s ran different module bytes (%v vs %v): rebuilt with another toolchain or from other sources?",
				f, first, s.ModulesSHA256, out.ModulesSHA256)
		}
		for _, r := range s.Results {
			if prev, dup := seen[r.Seed]; dup {
				return nil, fmt.Errorf("sweep: merge: seed %d is in both %s and %s", r.Seed, prev, f)
			}
			seen[r.Seed] = f
			if r.Dir != "" && !filepath.IsAbs(r.Dir) {
				r.Dir = filepath.Join(filepath.Dir(f), r.Dir)
			}
			out.Results = append(out.Results, r)
		}
		spec := s.Seeds.String()
		specs[spec] = s.Seeds
		sp := splits[spec]
		if sp == nil {
			sp = &split{present: map[int]map[int]bool{}}
			splits[spec] = sp
		}
		if s.Shard == nil {
			sp.whole = true
		} else {
			if sp.present[s.Shard.Count] == nil {
				sp.present[s.Shard.Count] = map[int]bool{}
			}
			sp.present[s.Shard.Count][s.Shard.Index] = true
		}
		out.Stats.Add(s.Stats)
		out.ElapsedMS += s.ElapsedMS
		interrupted = interrupted || s.Interrupted
		out.Parts = append(out.Parts, Part{File: f, Seeds: s.Seeds, Shard: s.Shard, Runs: s.Runs, Parallel: s.Parallel, ElapsedMS: s.ElapsedMS})
	}

	for _, spec := range slices.Sorted(maps.Keys(splits)) {
		sp := splits[spec]
		if sp.whole {
			continue
		}
		for _, n := range slices.Sorted(maps.Keys(sp.present)) {
			for i := range n {
				if !sp.present[n][i] {
					out.MissingShards = append(out.MissingShards, Shard{Index: i, Count: n}.String())
				}
			}
		}
	}

	// The declared seeds: the union of the parts' full lists.
	if len(specs) == 1 {
		for _, s := range specs {
			out.Seeds = s
		}
	} else {
		set := map[uint64]bool{}
		for _, s := range specs {
			for _, v := range s.List() {
				set[v] = true
			}
		}
		out.Seeds = seedsOf(slices.Sorted(maps.Keys(set)))
	}
	var missing []uint64
	for _, v := range out.Seeds.List() {
		if _, ok := seen[v]; !ok {
			missing = append(missing, v)
		}
	}
	out.MissingSeeds = seedsOf(missing)
	// An interrupted part is made whole by parts that ran the rest: the
	// merge is interrupted only while some declared seed is still missing.
	out.Interrupted = interrupted && (len(missing) > 0 || len(out.MissingShards) > 0)
	out.tally()
	return out, nil
}

// findSummaries expands directories into the sweep.json files under them,
// in lexical order, and drops repeated files.
func findSummaries(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("sweep: merge: no sweep.json files or directories given")
	}
	var files []string
	have := map[string]bool{}
	add := func(f string) {
		abs, err := filepath.Abs(f)
		if err != nil {
			abs = f
		}
		if !have[abs] {
			have[abs] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("sweep: merge: %w", err)
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && d.Name() == FileName {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sweep: merge: %w", err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("sweep: merge: no %s under %s", FileName, p)
		}
		sort.Strings(found)
		for _, f := range found {
			add(f)
		}
	}
	return files, nil
}
