package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/explore"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sweep"
)

// exploreFlags are terrarium explore's settings.
type exploreFlags struct {
	strategy string
	budget   string
	seed     uint64
	bound    int
	depth    int
	crashes  int
	out      string
	interp   bool
	quiet    bool
	prune    bool
	workers  int
	shard    string
	state    string
	result   string
	snaps    bool
}

// cmdExplore searches a scenario's schedules:
//
//	terrarium explore SCENARIO [--strategy dfs|pct|random|bfs|sweep] [--budget 10m|1e6] [--seed N]
//	    [--workers N] [--shard i/n] [--state FILE] [--result FILE]
//	terrarium explore merge SUMMARY...
//
// It exits 1 when it finds a failing run (written as a scenario that
// terrarium run replays), 0 when none failed within the budget, 2 on bad
// input.
func cmdExplore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "merge" {
		return cmdExploreMerge(args[1:], stdout, stderr)
	}
	fs, f := exploreFlagSet(stderr)
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "terrarium explore: want one SCENARIO file, got %d arguments\n%s", len(pos), usage)
		return 2
	}
	path := pos[0]
	cfg, err := exploreConfig(f, path)
	if err != nil {
		fmt.Fprintf(stderr, "terrarium explore: %v\n", err)
		return 2
	}
	if !f.quiet {
		cfg.Progress = exploreProgress(stderr)
	}
	fmt.Fprintf(stdout, "explore %s strategy=%s budget=%s crashes=%d%s\n", path, f.strategy, f.budget, f.crashes, shardNote(cfg))
	res, err := explore.Search(ctx, cfg)
	if serr := saveState(f, res); serr != nil {
		fmt.Fprintln(stderr, serr)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		var ie *runner.InputError
		if errors.As(err, &ie) {
			return 2
		}
		return 1
	}
	code := exploreReport(stdout, stderr, path, *f, res)
	if err := writeSummary(path, *f, cfg.Shard, res); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if ctx.Err() != nil && res.Failure == nil {
		fmt.Fprintf(stdout, "interrupted after %d runs%s\n", res.Stats.Runs, stateNote(f))
		return exitInterrupted
	}
	return code
}

// exploreFlagSet declares terrarium explore's flags.
func exploreFlagSet(stderr io.Writer) (*flag.FlagSet, *exploreFlags) {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &exploreFlags{}
	fs.StringVar(&f.strategy, "strategy", "dfs", "the search: dfs (depth-first within --bound deviations), pct (PCT of bug depth --depth), random (a random walk), bfs (breadth-first within --bound deviations, pruning states seen), sweep (seed after seed, the baseline)")
	fs.StringVar(&f.budget, "budget", "1000", "stop after this many runs (1000, 1e6) or this much wall time (30s, 10m)")
	fs.Uint64Var(&f.seed, "seed", 1, "the strategy's seed (pct, random) or the first seed (sweep)")
	fs.IntVar(&f.bound, "bound", 2, "dfs, bfs: the most deviations from the default schedule (an order choice that skips k events costs k)")
	fs.IntVar(&f.depth, "depth", 3, "pct: the bug depth d (d-1 priority change points a run)")
	fs.IntVar(&f.crashes, "crashes", 0, "the fault budget: at most `N` crashes a run chosen by the search (each may be followed by a restart)")
	fs.StringVar(&f.out, "out", "", "write the failing run's scenario to `FILE` (default: SCENARIO with .found.yaml)")
	fs.BoolVar(&f.interp, "interpreter", false, "use wazero's interpreter instead of its compiler")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress on stderr")
	fs.BoolVar(&f.prune, "prune", true, "bfs: hash each choice point's state (guests' memory, stores, queued events) and stop branching at one seen before")
	fs.IntVar(&f.workers, "workers", 1, "random, pct, sweep: make up to `N` runs at once; the result is the same for any N")
	fs.StringVar(&f.shard, "shard", "", "make only part `i/n` of the search (0 <= i < n; dfs, pct, random, sweep) and write its summary (--result); join the parts with terrarium explore merge")
	fs.StringVar(&f.state, "state", "", "resume the search saved in `FILE` if it exists, and save where it stops there (at the budget, an interrupt or a failure)")
	fs.BoolVar(&f.snaps, "snapshots", true, "dfs: branch each run from a snapshot of an earlier one where they share a prefix long enough to pay for the copy, instead of replaying it from the start (the same runs and result either way; a scenario that cannot be snapshotted replays)")
	fs.StringVar(&f.result, "result", "", "write the search's summary (JSON) to `FILE` (default with --shard: SCENARIO with .explore-i-of-n.json)")
	return fs, f
}

// exploreConfig makes the search the flags describe.
func exploreConfig(f *exploreFlags, path string) (explore.Config, error) {
	runs, wall, err := parseBudget(f.budget)
	if err != nil {
		return explore.Config{}, fmt.Errorf("--budget: %w", err)
	}
	strat, err := newStrategy(*f)
	if err != nil {
		return explore.Config{}, err
	}
	if f.workers < 1 {
		return explore.Config{}, fmt.Errorf("--workers %d: want 1 or more", f.workers)
	}
	var shard sweep.Shard
	if f.shard != "" {
		if shard, err = sweep.ParseShard(f.shard); err != nil {
			return explore.Config{}, fmt.Errorf("--shard: %w", err)
		}
	}
	reg := patterns.Registry()
	scn, err := runner.Load(path, reg)
	if err != nil {
		return explore.Config{}, err
	}
	cfg := explore.Config{Scenario: scn, Runner: runner.NewOptions().WithRegistry(reg).WithInterpreter(f.interp),
		Strategy: strat, Runs: runs, Time: wall, Faults: f.crashes > 0, Workers: f.workers, Shard: shard, Spec: f.spec(), Snapshots: f.snaps}
	if f.state != "" {
		if _, err := os.Stat(f.state); err == nil {
			if cfg.Resume, err = explore.ReadState(f.state); err != nil {
				return explore.Config{}, fmt.Errorf("--state: %w", err)
			}
		}
	}
	return cfg, nil
}

// spec names the search the flags make (Config.Spec).
func (f exploreFlags) spec() string {
	return fmt.Sprintf("%s seed=%d bound=%d depth=%d crashes=%d prune=%v", f.strategy, f.seed, f.bound, f.depth, f.crashes, f.prune)
}

func shardNote(cfg explore.Config) string {
	s := ""
	if !cfg.Shard.IsZero() {
		s += " shard=" + cfg.Shard.String()
	}
	if cfg.Resume != nil {
		s += fmt.Sprintf(" resumed after %d runs", cfg.Resume.Stats.Runs)
	}
	return s
}

func stateNote(f *exploreFlags) string {
	if f.state == "" {
		return " (no --state: nothing saved)"
	}
	return "; saved to " + f.state
}

// saveState writes where the search stopped to --state.
func saveState(f *exploreFlags, res *explore.Result) error {
	if f.state == "" || res == nil || res.State == nil {
		return nil
	}
	if !res.State.Resumable {
		return fmt.Errorf("terrarium explore: --state: strategy %s cannot resume (dfs, pct, random and sweep can)", f.strategy)
	}
	return explore.WriteState(f.state, res.State)
}

// newStrategy builds the strategy the flags name.
func newStrategy(f exploreFlags) (explore.Strategy, error) {
	switch {
	case f.bound < 0 || f.depth < 1 || f.crashes < 0:
		return nil, fmt.Errorf("--bound and --crashes want 0 or more, --depth 1 or more")
	}
	switch f.strategy {
	case "dfs":
		return explore.NewDFS(f.bound, f.crashes), nil
	case "pct":
		return explore.NewPCT(f.seed, f.depth, f.crashes), nil
	case "random":
		return explore.NewRandom(f.seed, f.crashes), nil
	case "bfs":
		return explore.NewBFS(f.bound, f.crashes, f.prune), nil
	case "sweep":
		return explore.NewSweep(f.seed), nil
	}
	return nil, fmt.Errorf("--strategy %q: want dfs, pct, random, bfs or sweep", f.strategy)
}

// parseBudget reads a run count (1000, 1e6) or a wall time (30s, 10m).
func parseBudget(s string) (runs int, wall time.Duration, err error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return 0, d, nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 1 || n > 1e12 || n != float64(int64(n)) {
		return 0, 0, fmt.Errorf("%q is neither a number of runs (1000, 1e6) nor a duration (30s, 10m)", s)
	}
	return int(n), 0, nil
}

// exploreProgress prints the numbers on stderr, at most twice a second.
func exploreProgress(w io.Writer) func(explore.Stats) {
	var last time.Duration
	return func(s explore.Stats) {
		if s.Elapsed-last < 500*time.Millisecond {
			return
		}
		last = s.Elapsed
		fmt.Fprintf(w, "  %s\n", statsLine(s))
	}
}

func statsLine(s explore.Stats) string {
	line := fmt.Sprintf("runs %d  states %d  distinct %d  depth %d  deviations %d  runs/s %.1f  elapsed %v",
		s.Runs, s.States, s.Distinct, s.Depth, s.Deviations, s.RunsPerSecond(), s.Elapsed.Round(time.Millisecond))
	if s.Hashed > 0 {
		line += fmt.Sprintf("  hashed states %d (pruned %d runs)  states/s %.0f", s.Hashed, s.Pruned, s.StatesPerSecond())
	}
	if s.Exhausted {
		line += "  (space exhausted)"
	}
	if s.Branched+s.Replayed > 0 {
		line += fmt.Sprintf("\n  snapshots: %d runs branched from one, %d replayed from the start  states/s %.0f", s.Branched, s.Replayed, s.StatesPerSecond())
		if s.Refused > 0 {
			line += fmt.Sprintf("\n  %d runs could not be snapshotted: %s", s.Refused, s.Refusal)
		}
	}
	line += fmt.Sprintf("\n  choice points: order %d, drop/duplicate %d, crash/restart %d", s.Points.Order, s.Points.Fate, s.Points.Fault)
	if len(s.Points.Types) > 0 {
		var types []string
		for _, t := range slices.Sorted(maps.Keys(s.Points.Types)) {
			c := s.Points.Types[t]
			types = append(types, fmt.Sprintf("%s %d/%d", t, c.Offered, c.Taken))
		}
		line += "\n  message types (points offering one / deviations taking one): " + strings.Join(types, ", ")
	}
	return line
}

// exploreReport prints the outcome, writes the failing scenario and
// returns the exit code.
func exploreReport(stdout, stderr io.Writer, path string, f exploreFlags, res *explore.Result) int {
	fmt.Fprintln(stdout, statsLine(res.Stats))
	fl := res.Failure
	if fl == nil {
		fmt.Fprintf(stdout, "PASS %s: no failing run in %d runs\n", path, res.Stats.Runs)
		return 0
	}
	fmt.Fprintf(stdout, "first failing run: %d (seed %d), %s, %d decisions shrunk to %d:\n", fl.Run, fl.Seed, failureKind(fl.Kind), len(fl.Found), len(fl.Schedule))
	for _, d := range fl.Schedule {
		fmt.Fprintf(stdout, "  %s\n", d)
	}
	names := make([]string, 0, len(fl.Checks))
	for n := range fl.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(stdout, "  check %s: %s\n", n, fl.Checks[n])
	}
	dst := foundPath(path, f)
	if err := writeFound(dst, path, fl); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprintf(stdout, "wrote %s (replays to %s: %v)\n", dst, fl.Digest, fl.Replayed)
	fmt.Fprintf(stdout, "FAIL %s strategy=%s: terrarium run %s\n", path, f.strategy, dst)
	return 1
}

// failureKind names what a failing run did: STUCK (a liveness check
// failed, check eventually) or WRONG (a safety one did).
func failureKind(kind string) string {
	if kind == check.PropertyLiveness {
		return "STUCK (liveness)"
	}
	return "WRONG (safety)"
}

// foundPath is where the failing run's scenario goes: --out, or beside
// the scenario (one file a shard).
func foundPath(path string, f exploreFlags) string {
	if f.out != "" {
		return f.out
	}
	base := strings.TrimSuffix(path, filepath.Ext(path))
	if sh, err := sweep.ParseShard(f.shard); f.shard != "" && err == nil {
		return fmt.Sprintf("%s.found-%d-of-%d.yaml", base, sh.Index, sh.Count)
	}
	return base + ".found.yaml"
}

// writeSummary writes the search's Summary to --result (by default,
// with --shard, beside the scenario).
func writeSummary(path string, f exploreFlags, shard sweep.Shard, res *explore.Result) error {
	dst := f.result
	if dst == "" && !shard.IsZero() {
		dst = fmt.Sprintf("%s.explore-%d-of-%d.json", strings.TrimSuffix(path, filepath.Ext(path)), shard.Index, shard.Count)
	}
	if dst == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("terrarium explore: --result: %w", err)
	}
	found := ""
	if res.Failure != nil {
		found = foundPath(path, f)
	}
	sum := sha256.Sum256(b)
	return explore.WriteSummary(dst, explore.Summarize(res, path, hex.EncodeToString(sum[:]), f.spec(), f.budget, shard, found))
}

// cmdExploreMerge joins the summaries of a split search's parts:
//
//	terrarium explore merge SUMMARY...
//
// It exits 1 when a part found a failing run, 0 when every part ran and
// none did, 2 on bad input or when a part is missing.
func cmdExploreMerge(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "terrarium explore merge: want the parts' summary files (written by --shard i/n)\n%s", usage)
		return 2
	}
	m, err := explore.MergeShards(args...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprintf(stdout, "explore merge %s: %s budget=%s, %d parts\n", m.Scenario, m.Spec, m.Budget, len(m.Parts))
	fmt.Fprintln(stdout, statsLine(m.Stats))
	if fl := m.Failure; fl != nil {
		fmt.Fprintf(stdout, "first failing run: shard %s, run %d (index %v, seed %d), %s, %d decisions shrunk to %d:\n", fl.Shard, fl.Run, fl.Index, fl.Seed, failureKind(fl.Kind), fl.Found, len(fl.Schedule))
		for _, d := range fl.Schedule {
			fmt.Fprintf(stdout, "  %s\n", d)
		}
		for _, n := range slices.Sorted(maps.Keys(fl.Checks)) {
			fmt.Fprintf(stdout, "  check %s: %s\n", n, fl.Checks[n])
		}
		fmt.Fprintf(stdout, "FAIL %s: terrarium run %s (replays to %s: %v)\n", m.Scenario, fl.File, fl.Digest, fl.Replayed)
		return 1
	}
	if len(m.MissingShards) > 0 {
		fmt.Fprintf(stdout, "INCOMPLETE %s: no failing run, but shards %s are missing\n", m.Scenario, strings.Join(m.MissingShards, " "))
		return 2
	}
	fmt.Fprintf(stdout, "PASS %s: no failing run in %d runs\n", m.Scenario, m.Stats.Runs)
	return 0
}

// writeFound writes the failing run's scenario to dst.
func writeFound(dst, from string, fl *explore.Failure) error {
	dir, err := filepath.Abs(filepath.Dir(dst))
	if err != nil {
		return err
	}
	s := *fl.Scenario
	s.Name += "-found"
	b, err := scenario.Encode(&s, dir)
	if err != nil {
		return err
	}
	header := fmt.Sprintf("# Found by terrarium explore in %s at run %d; failing: %s.\n# Reproduce: terrarium run %s\n",
		from, fl.Run, strings.Join(slices.Sorted(maps.Keys(fl.Checks)), ", "), dst)
	return os.WriteFile(dst, append([]byte(header), b...), 0o644)
}
