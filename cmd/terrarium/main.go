// Command terrarium runs Terrarium scenarios: deterministic simulations of
// WebAssembly nodes on a virtual network.
//
//	terrarium run SCENARIO [--seed N] [--out DIR] [--persist]   one run; PASS or FAIL
//	terrarium run SCENARIO --stop-at EVENT                      the run's moment at a trace event
//	terrarium sweep SCENARIO --seeds 1..1000 [--shard i/n]      many seeds; --merge joins shards
//	terrarium shrink SCENARIO --seed N                          minimise a failing run
//	terrarium explore SCENARIO [--strategy dfs|pct|random|bfs]  search schedules for a failing run
//	terrarium inspect DIR                                       summarise a run folder
//	terrarium diff RUN_A RUN_B [--context N]                    the first event where two runs differ
//	terrarium kv DIR NODE [--prefix P]                          dump a persisted node store
//	terrarium patterns                                          list the pattern plugins
//	terrarium build DIR [-o FILE]                               build a Go guest module
//	terrarium serve [--addr 127.0.0.1:8080] [--data DIR]        the HTTP API and browser playground
//	terrarium test -w WORKLOAD --bin DIR_OR_WASM ...             a Maelstrom workload, Maelstrom's flags
//
// Every subcommand takes --help. run exits 0 when every checker holds, 1
// when one fails (or cannot decide), 2 on bad input and 130 when
// interrupted; its last line reads PASS or FAIL with the scenario, the seed
// and the trace digest, and for a FAIL the command that reproduces it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/gobuild"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  terrarium run SCENARIO [--seed N] [--out DIR] [--persist] [--interpreter] [--watchdog D] [--workers N] [--quiet] [--stop-at EVENT]
  terrarium test -w WORKLOAD --bin DIR_OR_WASM [--node-count N] [--time-limit S] [--rate R] [Maelstrom's other flags; terrarium test -h]
  terrarium patterns
  terrarium shrink SCENARIO --seed N [--out FILE] [--max-runs N]
  terrarium sweep SCENARIO --seeds 1..1000 [--parallel N] [--workers N] [--shard i/n] [--out DIR] [--quiet]  |  terrarium sweep --merge DIR_OR_FILE...
  terrarium explore SCENARIO [--strategy dfs|pct|random|bfs|sweep] [--budget 10m|1e6] [--seed N] [--bound N] [--depth D] [--crashes N] [--prune=false] [--out FILE] [--workers N] [--shard i/n] [--result FILE] [--state FILE]  |  terrarium explore merge SUMMARY...
  terrarium inspect DIR [--write]
  terrarium diff RUN_A RUN_B [--context N]
  terrarium kv DIR NODE [--prefix P]
  terrarium build DIR [-o FILE]
  terrarium serve [--addr 127.0.0.1:8080] [--data DIR] [--token T]
`

// workersUsage documents --workers for run and sweep.
const workersUsage = "run the events of different nodes on up to `N` goroutines; the run and its digest are the same for every N"

// run is the CLI with its exit code; main only wires the process to it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr)
	case "test":
		return cmdTest(ctx, args[1:], stdout, stderr)
	case "patterns":
		return cmdPatterns(ctx, args[1:], stdout, stderr)
	case "shrink":
		return cmdShrink(ctx, args[1:], stdout, stderr)
	case "sweep":
		return cmdSweep(ctx, args[1:], stdout, stderr)
	case "explore":
		return cmdExplore(ctx, args[1:], stdout, stderr)
	case "inspect":
		return cmdInspect(ctx, args[1:], stdout, stderr)
	case "diff":
		return cmdDiff(ctx, args[1:], stdout, stderr)
	case "kv":
		return cmdKV(ctx, args[1:], stdout, stderr)
	case "worker":
		return cmdWorker(ctx, args[1:], os.Stdin, stdout, stderr)
	case "build":
		return cmdBuild(ctx, args[1:], stdout, stderr)
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "terrarium: unknown command %q\n%s", args[0], usage)
	return 2
}

// parseFlags lets flags follow positional arguments, as users type them.
// Asked for help (-h, --help), it prints the command's flags on stdout and
// returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fmt.Fprintf(stdout, "usage: terrarium %s (see terrarium help)\n", fs.Name())
			fs.PrintDefaults()
			return nil, flag.ErrHelp
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagExit is the exit code for a flag error: 0 for help, 2 otherwise.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "seed (default: the scenario's, else 1)")
	out := fs.String("out", "", "write results.json, trace.jsonl and history.jsonl to `DIR`")
	persist := fs.Bool("persist", false, "keep node stores on disk under DIR/stores (needs --out)")
	interp := fs.Bool("interpreter", false, "use wazero's interpreter instead of its compiler")
	quiet := fs.Bool("quiet", false, "print only the verdict line")
	watchdog := fs.Duration("watchdog", 0, "abort a guest call after this much wall time (0: off; fuel already bounds calls)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), workersUsage+"; default: GOMAXPROCS")
	stopAt := fs.Uint64("stop-at", 0, "replay only up to trace event `N` and print where the run stands there, with its digest so far (no checks, no run folder)")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	hasSeed, hasStop := false, false
	fs.Visit(func(f *flag.Flag) {
		hasSeed = hasSeed || f.Name == "seed"
		hasStop = hasStop || f.Name == "stop-at"
	})
	if hasStop && *out != "" {
		fmt.Fprintln(stderr, "terrarium run: --stop-at writes no run folder: drop --out")
		return 2
	}
	if *workers < 0 {
		fmt.Fprintf(stderr, "terrarium run: --workers %d: want 0 or more (0 and 1: one)\n", *workers)
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "terrarium run: want one SCENARIO file, got %d arguments\n%s", len(pos), usage)
		return 2
	}
	if *persist && *out == "" {
		fmt.Fprintln(stderr, "terrarium run: --persist needs --out DIR")
		return 2
	}
	path := pos[0]
	reg := patterns.Registry()
	scn, err := runner.Load(path, reg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	opts := runner.NewOptions().WithRegistry(reg).WithOutDir(*out).WithPersist(*persist).WithInterpreter(*interp).WithWatchdog(*watchdog).WithWorkers(*workers)
	if hasSeed {
		opts = opts.WithSeed(*seed)
	}
	seedUsed := opts.Seed(scn.Seed)
	if hasStop {
		return stopRun(ctx, path, runner.NewTimeline(scn, seedUsed), opts, *stopAt, stdout, stderr)
	}
	tty := isTerminal(stderr)
	if !*quiet && tty {
		opts = opts.WithProgress(progressBar(stderr, time.Now()))
	}
	res, err := runner.Execute(ctx, scn, opts)
	if !*quiet && tty {
		fmt.Fprint(stderr, "\r\033[K")
	}
	return runOutcome(ctx, path, seedUsed, res, err, *quiet, stdout, stderr)
}

// runOutcome prints how a run ended (its report unless quiet, then the
// PASS or FAIL line) and returns the exit code: 0 valid, 1 not, 2 bad
// input, exitInterrupted when stopped by a signal.
func runOutcome(ctx context.Context, path string, seedUsed uint64, res *runner.Result, err error, quiet bool, stdout, stderr io.Writer) int {
	var ie *runner.InputError
	if errors.As(err, &ie) {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		digest := ""
		if res != nil {
			digest = " trace_sha256=" + res.TraceSHA256
		}
		fmt.Fprintf(stdout, "FAIL %s seed=%d error%s reproduce: terrarium run %s --seed %d\n", path, seedUsed, digest, path, seedUsed)
		return 1
	}
	if !quiet {
		report(stdout, res)
	}
	if !res.Reproducible {
		fmt.Fprintln(stderr, "warning: the wall-clock watchdog aborted a guest call: this run is not reproducible from its seed")
	}
	switch {
	case res.Valid:
		fmt.Fprintf(stdout, "PASS %s seed=%d trace_sha256=%s\n", path, res.Seed, res.TraceSHA256)
		return 0
	case ctx.Err() != nil:
		fmt.Fprintf(stdout, "FAIL %s seed=%d verdict=unknown (%s) trace_sha256=%s reproduce: terrarium run %s --seed %d\n", path, res.Seed, res.Reason, res.TraceSHA256, path, res.Seed)
		return exitInterrupted
	}
	why := verdictWhy(res)
	fmt.Fprintf(stdout, "FAIL %s seed=%d verdict=%s%s trace_sha256=%s reproduce: terrarium run %s --seed %d\n", path, res.Seed, res.Verdict, why, res.TraceSHA256, path, res.Seed)
	return 1
}

// stopRun is run --stop-at: it replays tl up to trace event event and
// prints the moment there: the position, each node's state and the digest
// so far. An event past the end of the run is bad input.
func stopRun(ctx context.Context, path string, tl runner.Timeline, opts runner.Options, event uint64, stdout, stderr io.Writer) int {
	c := runner.NewCursor(tl, opts)
	defer c.Close()
	err := c.Seek(ctx, event)
	var ie *runner.InputError
	switch {
	case errors.As(err, &ie):
		fmt.Fprintln(stderr, err)
		return 2
	case errors.Is(err, runner.ErrPastEnd):
		fmt.Fprintf(stderr, "terrarium run: --stop-at %d: %v\n", event, err)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "terrarium run: --stop-at %d: %v\n", event, err)
		return 1
	}
	var digest string
	var nodes []runner.NodeInfo
	err = c.Do(ctx, func(r *runner.Run) error {
		digest, nodes = r.Digest(), r.Nodes()
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "terrarium run: --stop-at %d: %v\n", event, err)
		return 1
	}
	for _, n := range nodes {
		fmt.Fprintf(stdout, "  %-12s %s incarnation=%d %s\n", n.Name, n.State, n.Incarnation, n.CrashReason)
	}
	p := c.Position()
	fmt.Fprintf(stdout, "STOP %s seed=%d event=%d step=%d virtual=%v trace_sha256=%s\n", path, tl.Seed(), p.Seq, p.Steps, p.Now, digest)
	return 0
}

// exitInterrupted is the exit code of a command stopped by SIGINT or
// SIGTERM (128 + SIGINT, as shells report it).
const exitInterrupted = 130

func report(w io.Writer, res *runner.Result) {
	st := res.Stats
	fmt.Fprintf(w, "%s: %v virtual in %v wall, %d events; messages sent %d, delivered %d, dropped %d\n",
		res.Name, st.Virtual, st.Wall.Round(time.Millisecond), st.Events, st.Sent, st.Delivered, st.Dropped)
	for _, c := range res.Crashes {
		fmt.Fprintf(w, "  crashed: %s: %s\n", c.Node, c.Reason)
	}
	for _, n := range res.ReportNotes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	names := make([]string, 0, len(res.Checks))
	for n := range res.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := res.Checks[n]
		fmt.Fprintf(w, "  check %-20s %-8s %s\n", n, c.Verdict, c.Summary)
	}
	for _, f := range res.Findings {
		fmt.Fprintf(w, "  finding %s/%s: %s\n", f.Check, f.Name, f.Summary)
	}
	if len(res.Findings) > 0 && !res.Strict {
		fmt.Fprintln(w, "  (findings go beyond the reference checkers and do not fail the run; strict: true or terrarium test --strict makes them)")
	}
}

// verdictWhy says, for a FAIL line, why a run failed when its checks do
// not say it: the reason it did not finish, or the findings of a strict
// run.
func verdictWhy(res *runner.Result) string {
	switch {
	case res.Reason != "":
		return " (" + res.Reason + ")"
	case res.Strict && len(res.Findings) > 0:
		var names []string
		for _, f := range res.Findings {
			names = append(names, f.Check+"/"+f.Name)
		}
		return " (strict: findings " + strings.Join(names, ", ") + ")"
	}
	return ""
}

// progressBar draws a bar on virtual time once a run has taken half a second.
func progressBar(w io.Writer, start time.Time) func(now, total time.Duration) {
	return func(now, total time.Duration) {
		if time.Since(start) < 500*time.Millisecond || total <= 0 {
			return
		}
		const width = 30
		frac := float64(now) / float64(total)
		n := int(frac * width)
		fmt.Fprintf(w, "\r[%s%s] %3.0f%% %v / %v virtual", strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100, now.Round(time.Millisecond), total)
	}
}

func cmdBuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the module to `FILE` (default: DIR's base name + .wasm)")
	ldflags := fs.String("ldflags", "", "go build's -ldflags")
	tags := fs.String("tags", "", "go build's -tags (comma-separated)")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "terrarium build: want one Go package DIR\n%s", usage)
		return 2
	}
	opts := gobuild.Options{LDFlags: *ldflags}
	if *tags != "" {
		opts.Tags = strings.Split(*tags, ",")
	}
	b, err := gobuild.BuildWith(ctx, pos[0], opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	dst := *out
	if dst == "" {
		dst = strings.TrimSuffix(pos[0], "/")
		dst = dst[strings.LastIndex(dst, "/")+1:] + ".wasm"
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", dst, len(b))
	return 0
}

// isTerminal reports whether w is a character device (a person watching).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
