// Package sweep runs one scenario over many seeds: in parallel on one
// machine, or split into shards (--shard i/n) that an existing batch engine
// runs on many machines and Merge joins again.
//
// Every run is a pure function of (modules, scenario, seed), so a sweep's
// per-seed trace digests do not depend on its parallelism or sharding, and
// every failing seed is reproduced by `terrarium run SCENARIO --seed N`.
package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Format names the layout of sweep.json.
const Format = "terrarium-sweep/1"

// FileName is the summary's file name in Options.OutDir.
const FileName = "sweep.json"

// Verdicts of a seed beyond the checkers' valid, invalid and unknown: the
// run itself failed (a guest trapped the host, the context ended, ...).
const VerdictError = "error"

// Options tune a sweep.
type Options struct {
	// Seeds is the full seed list; with Shard set, only the shard's part
	// of it runs, but sweep.json records the full list.
	Seeds Seeds
	// Parallel is the number of runs at once; 0 means DefaultParallel().
	Parallel int
	// Shard selects part of Seeds; the zero value selects all of them.
	Shard Shard
	// OutDir, if set, receives sweep.json and, for each failing seed, its
	// run folder OutDir/seed-N (results.json, trace.jsonl, history.jsonl).
	OutDir string
	// Runner holds per-run options (interpreter, cache, watchdog, registry,
	// modules). The seed, out folder, persistence and progress are set by
	// the sweep.
	Runner runner.Options
	// Progress, if set, is called after each seed's run, from one goroutine
	// at a time, with the number of runs done, the number to do and the
	// run's result.
	Progress func(done, total int, r SeedResult)
}

// DefaultParallel is half the usable CPUs (GOMAXPROCS), at least 1. A run
// keeps a little more than one core busy (Wasm execution, then the garbage
// collector and the kernel mapping each node's memory), and each run in
// flight holds its nodes' linear memories, up to limits.memory_pages each.
// Half the CPUs leaves the machine to its other users (a CI runner, a
// laptop) and bounds memory; on an idle machine, --parallel equal to the
// number of CPUs is faster (on 2 cores, --parallel 2 ran echo seeds about
// 1.5 times as fast as --parallel 1).
func DefaultParallel() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// SeedResult is one seed's outcome.
type SeedResult struct {
	Seed uint64 `json:"seed"`
	// Verdict is valid, invalid, unknown or error.
	Verdict     string `json:"verdict"`
	TraceSHA256 string `json:"trace_sha256,omitempty"`
	WallMS      int64  `json:"wall_ms"`
	// Failures are the checks that did not hold, by name.
	Failures []CheckFailure `json:"failures,omitempty"`
	// Error is the run's error (verdict error), or a note on the failing
	// seed's run folder.
	Error string `json:"error,omitempty"`
	// Dir is the failing seed's run folder, relative to sweep.json's
	// directory as written; after Merge, relative to the working directory.
	Dir string `json:"dir,omitempty"`

	stats Totals // this run's statistics; sweep.json keeps only the sum
}

// Passed reports whether every check held.
func (r SeedResult) Passed() bool { return r.Verdict == string(check.Valid) }

// CheckFailure is a check that answered invalid or unknown.
type CheckFailure struct {
	Check   string `json:"check"`
	Verdict string `json:"verdict"`
	Summary string `json:"summary"`
}

// Failing is a seed that did not pass, with the command that reproduces it.
type Failing struct {
	Seed      uint64 `json:"seed"`
	Verdict   string `json:"verdict"`
	Reproduce string `json:"reproduce"`
	Dir       string `json:"dir,omitempty"`
}

// Totals sums the runs' statistics (Wall: the runs' own wall times).
type Totals = trace.Stats

// Part is one summary that Merge joined.
type Part struct {
	File      string `json:"file"`
	Seeds     Seeds  `json:"seeds"`
	Shard     *Shard `json:"shard,omitempty"`
	Runs      int    `json:"runs"`
	Parallel  int    `json:"parallel"`
	ElapsedMS int64  `json:"elapsed_ms"`
}

// Summary is a sweep's outcome, and the content of sweep.json.
type Summary struct {
	Format string `json:"format"`
	// Scenario is the scenario's path as given; reproduce commands use it.
	Scenario string `json:"scenario"`
	Name     string `json:"name"`
	// ScenarioSHA256 and ModulesSHA256 identify what ran: Merge joins only
	// sweeps of the same scenario file and module bytes.
	ScenarioSHA256 string            `json:"scenario_sha256"`
	ModulesSHA256  map[string]string `json:"modules_sha256"`
	// Seeds is the full seed list; Shard, if set, the part of it that ran.
	Seeds    Seeds  `json:"seeds"`
	Shard    *Shard `json:"shard,omitempty"`
	Parallel int    `json:"parallel,omitempty"`

	Runs    int `json:"runs"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Unknown int `json:"unknown"`
	Errors  int `json:"errors"`
	// ElapsedMS is the sweep's wall time; for a merged summary, the sum of
	// its parts' (machine time, not the time the whole batch took).
	ElapsedMS int64 `json:"elapsed_ms"`
	// Interrupted is set when the sweep stopped early (its context ended).
	Interrupted bool `json:"interrupted,omitempty"`

	// Failing lists the seeds that did not pass, in seed order.
	Failing []Failing `json:"failing"`
	Stats   Totals    `json:"stats"`

	// Merged summaries only: the joined parts, the shards of a declared
	// split that are absent, and the declared seeds no part ran.
	Parts         []Part   `json:"parts,omitempty"`
	MissingShards []string `json:"missing_shards,omitempty"`
	MissingSeeds  Seeds    `json:"missing_seeds,omitzero"`

	// Results holds one entry per seed run, in seed order.
	Results []SeedResult `json:"results"`
}

// OK reports whether every seed that was to run ran and passed. (A shard
// may select no seeds at all, when there are more shards than seeds.)
func (s *Summary) OK() bool {
	return s.Passed == s.Runs && !s.Interrupted && s.MissingSeeds.Len() == 0 && len(s.MissingShards) == 0
}

// RunsPerSecond is Runs over ElapsedMS.
func (s *Summary) RunsPerSecond() float64 {
	if s.ElapsedMS <= 0 {
		return 0
	}
	return float64(s.Runs) / (float64(s.ElapsedMS) / 1000)
}

// Reproduce returns the command that reruns one seed of a scenario.
func Reproduce(path string, seed uint64) string {
	return fmt.Sprintf("terrarium run %s --seed %d", path, seed)
}

// Run runs the scenario scn, loaded from path, once for each seed of
// opts.Seeds that opts.Shard selects. Modules given as Go packages are
// built once for the whole sweep. A problem with the scenario or its
// modules is a *runner.InputError and stops the sweep; a run that fails
// otherwise counts as an error verdict. If ctx ends, Run returns the runs
// that finished (Interrupted set) with ctx's error.
func Run(ctx context.Context, path string, scn *scenario.Scenario, opts Options) (*Summary, error) {
	start := time.Now()
	if opts.Seeds.Len() == 0 {
		return nil, &runner.InputError{Err: errors.New("sweep: no seeds")}
	}
	if opts.Parallel < 0 {
		return nil, &runner.InputError{Err: fmt.Errorf("sweep: parallel %d must be at least 0", opts.Parallel)}
	}
	if !opts.Shard.IsZero() && (opts.Shard.Count < 1 || opts.Shard.Index < 0 || opts.Shard.Index >= opts.Shard.Count) {
		return nil, &runner.InputError{Err: fmt.Errorf("sweep: bad shard %d/%d", opts.Shard.Index, opts.Shard.Count)}
	}
	if opts.OutDir != "" {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return nil, &runner.InputError{Err: fmt.Errorf("sweep: %w", err)}
		}
	}
	seeds := opts.Shard.Select(opts.Seeds)
	par := opts.Parallel
	if par == 0 {
		par = DefaultParallel()
	}
	par = max(1, min(par, len(seeds)))

	sum := &Summary{Format: Format, Scenario: path, Name: scn.Name, Seeds: opts.Seeds, Parallel: par, ModulesSHA256: map[string]string{}}
	if !opts.Shard.IsZero() {
		sh := opts.Shard
		sum.Shard = &sh
	}
	src, err := os.ReadFile(scn.File)
	if err != nil {
		return nil, &runner.InputError{Err: fmt.Errorf("sweep: %w", err)}
	}
	sum.ScenarioSHA256 = hexSHA(src)
	mods := opts.Runner.Modules()
	if mods == nil {
		mods = runner.NewModules()
	}
	opts.Runner = opts.Runner.WithModules(mods)
	if err := prebuild(ctx, scn, mods, sum.ModulesSHA256); err != nil {
		return nil, err
	}
	built := scn

	results := make([]SeedResult, len(seeds))
	ran := make([]bool, len(seeds))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		done     int
		inputErr error
	)
	next := make(chan int)
	var wg sync.WaitGroup
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := runSeed(ctx, built, seeds[i], opts)
				mu.Lock()
				switch {
				case ctx.Err() != nil && r.Verdict == VerdictError:
					// Interrupted, not a result of the seed.
				case err != nil:
					if inputErr == nil {
						inputErr = err
					}
					cancel()
				default:
					results[i], ran[i] = r, true
					done++
					if opts.Progress != nil {
						opts.Progress(done, len(seeds), r)
					}
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range seeds {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if inputErr != nil {
		return nil, inputErr
	}

	for i, r := range results {
		if ran[i] {
			sum.Results = append(sum.Results, r)
			sum.Stats.Add(r.stats)
		}
	}
	sum.Interrupted = len(sum.Results) < len(seeds)
	sum.tally()
	sum.ElapsedMS = time.Since(start).Milliseconds()
	if opts.OutDir != "" {
		if err := sum.WriteFile(filepath.Join(opts.OutDir, FileName)); err != nil {
			return sum, err
		}
	}
	if sum.Interrupted {
		return sum, context.Cause(ctx)
	}
	return sum, nil
}

// runSeed runs one seed in memory. A failing seed is run again into its
// run folder when there is an OutDir: a failure is rare, and writing every
// run's trace would cost every run about a fifth more. The rerun also
// checks that the failure reproduces. err is only for input errors.
func runSeed(ctx context.Context, scn *scenario.Scenario, seed uint64, opts Options) (SeedResult, error) {
	ro := opts.Runner.WithSeed(seed).WithOutDir("").WithPersist(false).WithProgress(nil)
	t0 := time.Now()
	res, err := runner.Execute(ctx, scn, ro)
	r := SeedResult{Seed: seed, WallMS: time.Since(t0).Milliseconds()}
	if err != nil {
		var ie *runner.InputError
		if errors.As(err, &ie) {
			return r, err
		}
		r.Verdict, r.Error = VerdictError, err.Error()
	} else {
		st := res.Stats
		r.Verdict, r.TraceSHA256 = string(res.Verdict), res.TraceSHA256
		r.stats = Totals{Sent: st.Sent, Delivered: st.Delivered, Dropped: st.Dropped, Duplicated: st.Duplicated,
			Events: st.Events, Crashes: st.Crashes, Virtual: st.Virtual, Wall: st.Wall}
		names := make([]string, 0, len(res.Checks))
		for n := range res.Checks {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if c := res.Checks[n]; c.Verdict != check.Valid {
				r.Failures = append(r.Failures, CheckFailure{Check: n, Verdict: string(c.Verdict), Summary: c.Summary})
			}
		}
		if res.Strict { // a strict run also fails on its findings
			for _, f := range res.Findings {
				r.Failures = append(r.Failures, CheckFailure{Check: f.Check + "/" + f.Name, Verdict: "finding", Summary: f.Summary})
			}
		}
	}
	if r.Passed() || opts.OutDir == "" || ctx.Err() != nil {
		return r, nil
	}
	r.Dir = fmt.Sprintf("seed-%d", seed)
	again, err := runner.Execute(ctx, scn, ro.WithOutDir(filepath.Join(opts.OutDir, r.Dir)))
	switch {
	case err != nil && r.Verdict != VerdictError:
		r.Error = fmt.Sprintf("writing the run folder: rerun failed: %v", err)
	case err == nil && r.Verdict == VerdictError:
		r.Error += fmt.Sprintf("; the rerun into the run folder did not fail (verdict %s): not reproducible", again.Verdict)
	case err == nil && again.TraceSHA256 != r.TraceSHA256 && res.Reproducible:
		r.Error = fmt.Sprintf("the rerun into the run folder gave trace_sha256 %s: not reproducible", again.TraceSHA256)
	}
	return r, nil
}

// prebuild loads each module of scn once through mods, which keeps the
// built bytes for the runs (a build costs more than an echo run), and
// records every module's SHA-256 in shas.
func prebuild(ctx context.Context, scn *scenario.Scenario, mods *runner.Modules, shas map[string]string) error {
	for _, m := range scn.Modules {
		code, err := mods.Bytes(ctx, m)
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx) // interrupted, not bad input
			}
			return &runner.InputError{Err: scn.ErrorAt(m.Pos.Line, "modules."+m.Name, "%v", err)}
		}
		shas[m.Name] = hexSHA(code)
	}
	return nil
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tally recomputes the counts, failing list and totals from Results.
func (s *Summary) tally() {
	sort.Slice(s.Results, func(i, j int) bool { return s.Results[i].Seed < s.Results[j].Seed })
	s.Runs, s.Passed, s.Failed, s.Unknown, s.Errors = len(s.Results), 0, 0, 0, 0
	s.Failing = []Failing{}
	for _, r := range s.Results {
		switch r.Verdict {
		case string(check.Valid):
			s.Passed++
			continue
		case string(check.Invalid):
			s.Failed++
		case string(check.Unknown):
			s.Unknown++
		default:
			s.Errors++
		}
		s.Failing = append(s.Failing, Failing{Seed: r.Seed, Verdict: r.Verdict, Reproduce: Reproduce(s.Scenario, r.Seed), Dir: r.Dir})
	}
	if s.Results == nil {
		s.Results = []SeedResult{}
	}
}

// WriteFile writes the summary as indented JSON.
func (s *Summary) WriteFile(file string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return nil
}

// ReadFile reads a sweep.json.
func ReadFile(file string) (*Summary, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", file, err)
	}
	if s.Format != Format {
		return nil, fmt.Errorf("sweep: %s: format %q, want %q (not a sweep summary, or from another version)", file, s.Format, Format)
	}
	return &s, nil
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return strings.TrimSpace(s)
}
