package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/sweep"
)

// maxFailingShown bounds the failing seeds listed on stdout; sweep.json
// lists them all.
const maxFailingShown = 100

// cmdSweep runs a scenario over a seed list, or merges shard summaries:
//
//	terrarium sweep SCENARIO --seeds 1..1000 [--parallel N] [--shard i/n] [--out DIR]
//	terrarium sweep --merge DIR_OR_FILE...
//
// It exits 0 when every seed passed, 1 when one failed, could not be
// decided, errored or did not run, and 2 on bad input.
func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seedsF := fs.String("seeds", "", "the seed `LIST`: 1..1000, 5, 1,2,9 or 1..10,20..30")
	parallel := fs.Int("parallel", 0, "runs at once (default: half the CPUs, at least 1)")
	shardF := fs.String("shard", "", "run only shard `i/n` (0 <= i < n): the seeds at positions p with p % n == i")
	out := fs.String("out", "", "write sweep.json, and each failing seed's run folder DIR/seed-N, to `DIR`")
	merge := fs.Bool("merge", false, "join the sweep.json files given (or found under the directories given)")
	interp := fs.Bool("interpreter", false, "use wazero's interpreter instead of its compiler")
	quiet := fs.Bool("quiet", false, "print only the verdict line")
	workers := fs.Int("workers", 1, workersUsage+" (each of the --parallel runs)")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if *merge {
		for _, f := range []string{"seeds", "parallel", "shard", "out", "interpreter", "workers"} {
			if set[f] {
				fmt.Fprintf(stderr, "terrarium sweep: --%s does not go with --merge\n%s", f, usage)
				return 2
			}
		}
		if len(pos) == 0 {
			fmt.Fprintf(stderr, "terrarium sweep --merge: want sweep.json files or directories holding them\n%s", usage)
			return 2
		}
		sum, err := sweep.Merge(pos...)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		return sweepVerdict(stdout, sum, "", *quiet)
	}

	if len(pos) != 1 {
		fmt.Fprintf(stderr, "terrarium sweep: want one SCENARIO file, got %d arguments\n%s", len(pos), usage)
		return 2
	}
	if !set["seeds"] {
		fmt.Fprintf(stderr, "terrarium sweep: --seeds is required (e.g. --seeds 1..1000)\n%s", usage)
		return 2
	}
	seeds, err := sweep.ParseSeeds(*seedsF)
	if err != nil {
		fmt.Fprintf(stderr, "terrarium sweep: --seeds: %v\n", err)
		return 2
	}
	var shard sweep.Shard
	if set["shard"] {
		if shard, err = sweep.ParseShard(*shardF); err != nil {
			fmt.Fprintf(stderr, "terrarium sweep: --shard: %v\n", err)
			return 2
		}
	}
	if *workers < 0 {
		fmt.Fprintf(stderr, "terrarium sweep: --workers %d: want 0 or more (0 and 1: one)\n", *workers)
		return 2
	}
	if *parallel < 0 {
		fmt.Fprintf(stderr, "terrarium sweep: --parallel %d: want at least 1 (0: the default)\n", *parallel)
		return 2
	}
	path := pos[0]
	reg := patterns.Registry()
	scn, err := runner.Load(path, reg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	opts := sweep.Options{Seeds: seeds, Parallel: *parallel, Shard: shard, OutDir: *out, Runner: runner.NewOptions().WithInterpreter(*interp).WithRegistry(reg).WithWorkers(*workers)}
	if !*quiet && isTerminal(stderr) {
		opts.Progress = sweepBar(stderr, time.Now())
	}
	sum, err := sweep.Run(ctx, path, scn, opts)
	if opts.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		var ie *runner.InputError
		if errors.As(err, &ie) {
			return 2
		}
		if sum == nil || !sum.Interrupted {
			fmt.Fprintf(stdout, "FAIL %s seeds=%s error\n", path, seeds)
			return 1
		}
	}
	code := sweepVerdict(stdout, sum, *out, *quiet)
	if sum.Interrupted && ctx.Err() != nil {
		return exitInterrupted
	}
	return code
}

// sweepVerdict prints the summary (unless quiet) and the verdict line, and
// returns the exit code. Run folders are named relative to dir.
func sweepVerdict(w io.Writer, sum *sweep.Summary, dir string, quiet bool) int {
	if !quiet {
		sweepReport(w, sum, dir)
	}
	switch {
	case sum.OK():
		fmt.Fprintf(w, "PASS %s seeds=%s runs=%d\n", sum.Scenario, sum.Seeds, sum.Runs)
		return 0
	case len(sum.Failing) > 0:
		fmt.Fprintf(w, "FAIL %s seeds=%s failed=%d first: %s\n", sum.Scenario, sum.Seeds, len(sum.Failing), sum.Failing[0].Reproduce)
	default:
		note := ""
		if sum.Interrupted {
			note = " interrupted"
		}
		fmt.Fprintf(w, "FAIL %s seeds=%s failed=0 missing=%d%s\n", sum.Scenario, sum.Seeds, sum.MissingSeeds.Len(), note)
	}
	return 1
}

func sweepReport(w io.Writer, sum *sweep.Summary, dir string) {
	head := fmt.Sprintf("sweep %s (%s) seeds=%s", sum.Scenario, sum.Name, sum.Seeds)
	if sum.Shard != nil {
		head += " shard=" + sum.Shard.String()
	}
	fmt.Fprintln(w, head)
	for _, p := range sum.Parts {
		sh := "all seeds"
		if p.Shard != nil {
			sh = "shard " + p.Shard.String()
		}
		fmt.Fprintf(w, "  part %s: %s of %s, %d runs\n", p.File, sh, p.Seeds, p.Runs)
	}
	pct := 0.0
	if sum.Runs > 0 {
		pct = 100 * float64(sum.Passed) / float64(sum.Runs)
	}
	wall := (time.Duration(sum.ElapsedMS) * time.Millisecond).Round(100 * time.Millisecond).String()
	switch {
	case len(sum.Parts) > 0:
		wall += fmt.Sprintf("   (summed over %d parts)", len(sum.Parts))
	case sum.Parallel > 0:
		wall += fmt.Sprintf("   (parallel %d)", sum.Parallel)
	}
	rows := [][2]string{
		{"runs", fmt.Sprint(sum.Runs)},
		{"passed", fmt.Sprintf("%d   %.1f%%", sum.Passed, pct)},
		{"failed", fmt.Sprint(sum.Failed)},
		{"unknown", fmt.Sprint(sum.Unknown)},
		{"errors", fmt.Sprint(sum.Errors)},
		{"wall time", wall},
		{"runs/s", fmt.Sprintf("%.2f", sum.RunsPerSecond())},
		{"messages", fmt.Sprintf("sent %d, delivered %d, dropped %d, duplicated %d", sum.Stats.Sent, sum.Stats.Delivered, sum.Stats.Dropped, sum.Stats.Duplicated)},
	}
	if len(sum.MissingShards) > 0 {
		rows = append(rows, [2]string{"missing shards", strings.Join(sum.MissingShards, " ")})
	}
	if n := sum.MissingSeeds.Len(); n > 0 {
		rows = append(rows, [2]string{"missing seeds", fmt.Sprintf("%d: %s", n, abbrev(sum.MissingSeeds.String(), 200))})
	}
	if sum.Interrupted {
		rows = append(rows, [2]string{"interrupted", "yes: not every seed ran"})
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-15s %s\n", r[0], r[1])
	}
	if len(sum.Failing) == 0 {
		return
	}
	bySeed := make(map[uint64]sweep.SeedResult, len(sum.Failing))
	for _, r := range sum.Results {
		if !r.Passed() {
			bySeed[r.Seed] = r
		}
	}
	fmt.Fprintf(w, "failing seeds (%d):\n", len(sum.Failing))
	for i, f := range sum.Failing {
		if i == maxFailingShown {
			fmt.Fprintf(w, "  ... and %d more (every one is in sweep.json; write it with --out DIR)\n", len(sum.Failing)-i)
			break
		}
		r := bySeed[f.Seed]
		why := r.Error
		if len(r.Failures) > 0 {
			var parts []string
			for _, c := range r.Failures {
				parts = append(parts, c.Check+": "+c.Summary)
			}
			why = strings.Join(parts, "; ")
		}
		fmt.Fprintf(w, "  seed %-8d %-8s %s\n", f.Seed, f.Verdict, abbrev(why, 160))
		folder := ""
		if f.Dir != "" {
			folder = "   (run folder " + filepath.Join(dir, f.Dir) + ")"
		}
		fmt.Fprintf(w, "    reproduce: %s%s\n", f.Reproduce, folder)
	}
}

func abbrev(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\n", " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

// sweepBar draws a bar on seeds done, in the manner of progressBar, once
// the sweep has taken half a second.
func sweepBar(w io.Writer, start time.Time) func(done, total int, r sweep.SeedResult) {
	failed := 0
	return func(done, total int, r sweep.SeedResult) {
		if !r.Passed() {
			failed++
		}
		el := time.Since(start)
		if el < 500*time.Millisecond || total <= 0 {
			return
		}
		const width = 30
		n := done * width / total
		fmt.Fprintf(w, "\r[%s%s] %3.0f%% %d/%d seeds, %d failing, %.1f runs/s", strings.Repeat("#", n), strings.Repeat(".", width-n),
			100*float64(done)/float64(total), done, total, failed, float64(done)/el.Seconds())
	}
}
