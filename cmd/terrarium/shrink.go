package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/shrink"
)

// cmdShrink minimises a failing run and writes the minimal scenario.
func cmdShrink(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shrink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "the failing seed (required)")
	out := fs.String("out", "", "write the minimal scenario to `FILE` (default: SCENARIO with .min.yaml)")
	maxRuns := fs.Int("max-runs", 300, "give up after this many runs")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	hasSeed := false
	fs.Visit(func(f *flag.Flag) { hasSeed = hasSeed || f.Name == "seed" })
	if len(pos) != 1 || !hasSeed {
		fmt.Fprintf(stderr, "terrarium shrink: want SCENARIO and --seed N\n%s", usage)
		return 2
	}
	path := pos[0]
	reg := patterns.Registry()
	scn, err := runner.Load(path, reg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	dst := *out
	if dst == "" {
		dst = strings.TrimSuffix(path, filepath.Ext(path)) + ".min.yaml"
	}
	fmt.Fprintf(stderr, "shrinking %s with seed %d ...\n", path, *seed)
	res, err := shrink.Shrink(ctx, scn, shrink.Options{Seed: *seed, MaxRuns: *maxRuns, Run: runner.NewOptions().WithRegistry(reg), Progress: func(step string, runs int) {
		fmt.Fprintf(stderr, "  run %d: %s\n", runs, step)
	}})
	if errors.Is(err, shrink.ErrPasses) {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		var ie *runner.InputError
		switch {
		case errors.As(err, &ie):
			return 2
		case ctx.Err() != nil:
			return exitInterrupted
		}
		return 1
	}
	dir, err := filepath.Abs(filepath.Dir(dst))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	min := res.Minimal
	min.Seed = *seed
	min.Name = scn.Name + "-min"
	b, err := scenario.Encode(min, dir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	header := fmt.Sprintf("# Shrunk from %s with seed %d in %d runs; failing: %s.\n# Reproduce: terrarium run %s --seed %d\n",
		path, *seed, res.Runs, strings.Join(res.Failing, ", "), dst, *seed)
	if err := os.WriteFile(dst, append([]byte(header), b...), 0o644); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprintf(stdout, "faults: %d -> %d, nemeses: %d -> %d, duration: %v -> %v, clients: %d -> %d, nodes: %d -> %d\n",
		len(scn.Faults), len(min.Faults), len(scn.Nemeses), len(min.Nemeses), scn.Duration, min.Duration,
		scn.Workload.Clients, min.Workload.Clients, len(scn.Nodes), len(min.Nodes))
	for _, f := range min.Faults {
		fmt.Fprintf(stdout, "  at %v: %s\n", f.At, f.Fault)
	}
	for name, c := range res.Last.Checks {
		if c.Verdict != "valid" {
			fmt.Fprintf(stdout, "  check %s: %s %s\n", name, c.Verdict, c.Summary)
		}
	}
	fmt.Fprintf(stdout, "wrote %s\nreproduce: terrarium run %s --seed %d\n", dst, dst, *seed)
	if res.Interrupted {
		fmt.Fprintf(stderr, "interrupted after %d runs: %s is the smallest failing scenario found so far\n", res.Runs, dst)
		return exitInterrupted
	}
	return 0
}
