package explore

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/sweep"
)

// SummaryFormat is the version of the Summary file format.
const SummaryFormat = 1

// Summary is a search's outcome as a file: what a shard of a split
// search writes (terrarium explore --shard i/n --result FILE) and what
// MergeShards makes of the shards'.
type Summary struct {
	Format int `json:"format"`
	// Scenario is the scenario's path and ScenarioSHA256 its bytes' hash:
	// the parts of one search must agree on it, on Spec and on Budget.
	Scenario       string      `json:"scenario"`
	ScenarioSHA256 string      `json:"scenario_sha256"`
	Spec           string      `json:"spec"`
	Budget         string      `json:"budget"`
	Shard          sweep.Shard `json:"shard"`
	Stats          Stats       `json:"stats"`
	// Failure is the part's first failure (for a merge the search's),
	// nil if none.
	Failure *FailureSummary `json:"failure,omitempty"`
	// Parts are the merged files, and MissingShards the parts of the
	// split that none of them was (a merge only).
	Parts         []string `json:"parts,omitempty"`
	MissingShards []string `json:"missing_shards,omitempty"`
}

// FailureSummary is a Failure as a Summary keeps it.
type FailureSummary struct {
	Shard    string            `json:"shard,omitempty"`
	Index    []int             `json:"index"`
	Run      int               `json:"run"`
	Seed     uint64            `json:"seed"`
	Schedule []string          `json:"schedule"`
	Found    int               `json:"found"`
	Digest   string            `json:"digest"`
	Replayed bool              `json:"replayed"`
	Checks   map[string]string `json:"checks"`
	// Kind is Failure.Kind: safety (wrong) or liveness (stuck).
	Kind string `json:"kind,omitempty"`
	// File is the scenario the failure was written to, if it was.
	File string `json:"file,omitempty"`
}

// Summarize makes a Summary of a search's result.
func Summarize(res *Result, scn, sha, spec, budget string, shard sweep.Shard, file string) *Summary {
	s := &Summary{Format: SummaryFormat, Scenario: scn, ScenarioSHA256: sha, Spec: spec, Budget: budget, Shard: shard, Stats: res.Stats}
	if f := res.Failure; f != nil {
		s.Failure = &FailureSummary{Shard: shard.String(), Index: f.Index, Run: f.Run, Seed: f.Seed, Schedule: f.Schedule.Strings(),
			Found: len(f.Found), Digest: f.Digest, Replayed: f.Replayed, Checks: f.Checks, Kind: f.Kind, File: file}
	}
	return s
}

// ReadSummary reads a Summary file.
func ReadSummary(path string) (*Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("explore: merge: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("explore: merge: %s: %w", path, err)
	}
	if s.Format != SummaryFormat {
		return nil, fmt.Errorf("explore: merge: %s: format %d, want %d", path, s.Format, SummaryFormat)
	}
	return &s, nil
}

// WriteSummary writes s to path.
func WriteSummary(path string, s *Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("explore: summary: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("explore: summary: %w", err)
	}
	return nil
}

// MergeShards joins the Summaries of a split search's parts (read from
// paths): they must be of one scenario, search and budget, each part at
// most once. The merged first failure is the least by Index of the parts'
// (the one the unsplit search meets first; ties go to the lower part);
// runs, states and choice points add up, depth and deviations are the
// most, Elapsed the longest part's, Distinct the parts' sum (an upper
// bound: parts may see one prefix each), and the search is exhausted
// when every part is. MissingShards lists the parts of the split absent.
func MergeShards(paths ...string) (*Summary, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("explore: merge: no summary files")
	}
	var out *Summary
	seen := map[int]string{}
	for _, p := range paths {
		s, err := ReadSummary(p)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &Summary{Format: SummaryFormat, Scenario: s.Scenario, ScenarioSHA256: s.ScenarioSHA256, Spec: s.Spec, Budget: s.Budget,
				Shard: sweep.Shard{Count: s.Shard.Count}, Stats: Stats{Exhausted: true}}
		}
		if err := out.agrees(s, p, paths[0], seen); err != nil {
			return nil, err
		}
		seen[s.Shard.Index] = p
		out.Parts = append(out.Parts, p)
		out.Stats.merge(s.Stats)
		if f := s.Failure; f != nil && (out.Failure == nil || slices.Compare(f.Index, out.Failure.Index) < 0) {
			out.Failure = f
		}
	}
	for i := range max(out.Shard.Count, 1) {
		if _, ok := seen[i]; !ok {
			out.MissingShards = append(out.MissingShards, sweep.Shard{Index: i, Count: out.Shard.Count}.String())
		}
	}
	return out, nil
}

// agrees checks that part s (from file p) belongs to the merge.
func (out *Summary) agrees(s *Summary, p, first string, seen map[int]string) error {
	switch {
	case s.ScenarioSHA256 != out.ScenarioSHA256:
		return fmt.Errorf("explore: merge: %s searched %s (sha256 %.12s) but %s searched %s (sha256 %.12s)",
			p, s.Scenario, s.ScenarioSHA256, first, out.Scenario, out.ScenarioSHA256)
	case s.Spec != out.Spec || s.Budget != out.Budget:
		return fmt.Errorf("explore: merge: %s is the search %q budget %s but %s is %q budget %s", p, s.Spec, s.Budget, first, out.Spec, out.Budget)
	case s.Shard.Count != out.Shard.Count:
		return fmt.Errorf("explore: merge: %s is shard %s but %s is of a split into %d", p, s.Shard, first, out.Shard.Count)
	}
	if prev, dup := seen[s.Shard.Index]; dup {
		return fmt.Errorf("explore: merge: shard %s is both %s and %s", s.Shard, prev, p)
	}
	return nil
}

// merge adds a part's numbers to a merge's.
func (s *Stats) merge(p Stats) {
	s.Runs += p.Runs
	s.States += p.States
	s.Distinct += p.Distinct
	s.Depth = max(s.Depth, p.Depth)
	s.Deviations = max(s.Deviations, p.Deviations)
	s.Points.Order += p.Points.Order
	s.Points.Fate += p.Points.Fate
	s.Points.Fault += p.Points.Fault
	for t, c := range p.Points.Types {
		if s.Points.Types == nil {
			s.Points.Types = map[string]TypeCover{}
		}
		sc := s.Points.Types[t]
		sc.Offered += c.Offered
		sc.Taken += c.Taken
		s.Points.Types[t] = sc
	}
	s.Elapsed = time.Duration(max(int64(s.Elapsed), int64(p.Elapsed)))
	s.Hashed += p.Hashed
	s.Pruned += p.Pruned
	s.Branched += p.Branched
	s.Replayed += p.Replayed
	s.Refused += p.Refused
	if s.Refusal == "" {
		s.Refusal = p.Refusal
	}
	s.Exhausted = s.Exhausted && p.Exhausted
}
