package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/plugins/maelstrom/mcheck"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// testFlags are Maelstrom's test options, as terrarium test takes them.
type testFlags struct {
	workload, bin, latencyDist, nemesis, topology, availability, concurrency string
	consistency, writeScenario, out, nodes, nodesFile                        string
	node                                                                     nodeList
	nodeCount, keyCount, maxTxnLength, maxWritesPerKey, testCount            int
	timeLimit, rate, latency, nemesisInterval                                float64
	seed                                                                     uint64
	fuel, spinFuel                                                           int64
	strict                                                                   bool
}

// Test mode's CPU limits (docs/ABI.md, "Limits"). Maelstrom has no CPU
// budget, and terrarium test must never fail a correct program on one:
// its budget per callback is far above what correct programs use
// (BenchmarkTestModeFuel measures it), and a program that busy-waits is
// still stopped, early, by the spin window, with a reason that says so.
const (
	// testFuel is test mode's budget per callback: 500 times the default.
	testFuel = 500 * wasmhost.DefaultFuel
	// testSpinFuel is test mode's spin window: ten times the default
	// budget, now allowed between any two sends, timers, store writes,
	// log lines or idle points, where the longest such stretch of our own
	// Maelstrom solutions is 0.31e9 (a garbage collection of g-set's
	// state). A spin is stopped after about ten seconds of wall time.
	testSpinFuel = 10 * wasmhost.DefaultFuel
)

// nodeList is Jepsen's repeatable -n/--node flag.
type nodeList []string

func (l *nodeList) String() string     { return strings.Join(*l, ",") }
func (l *nodeList) Set(v string) error { *l = append(*l, v); return nil }

// maelstromTimeout is the deadline of every client RPC in Maelstrom
// (src/maelstrom/client.clj, default-timeout: 5000 ms).
const maelstromTimeout = 5 * time.Second

// maelstromRecovery is Maelstrom's wait between the final heal and the
// final operations (src/maelstrom/core.clj, maelstrom-test: gen/sleep 10).
const maelstromRecovery = 10 * time.Second

// defaultNodes are Jepsen's nodes when neither --node-count nor a node
// list is given (jepsen/src/jepsen/cli.clj, default-nodes).
var defaultNodes = []string{"n1", "n2", "n3", "n4", "n5"}

// cmdTest runs a Maelstrom-style test: Maelstrom's flags become a
// scenario (written out with --write-scenario), which runs like
// terrarium run; Maelstrom's headline figures follow the checks.
func cmdTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, fp := testFlagSet(stderr)
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	f := *fp
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "terrarium test: unexpected argument %q: Maelstrom passes arguments after the flags to the program, which a Wasm module here cannot take\n%s", pos[0], usage)
		return 2
	}
	return testWith(ctx, f, args, stdout, stderr)
}

// testFlagSet declares terrarium test's flags, with their defaults, into
// the testFlags it returns; the flag set is the one place the defaults are
// written (the benchmarks read theirs from it too).
func testFlagSet(stderr io.Writer) (*flag.FlagSet, *testFlags) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f testFlags
	fs.StringVar(&f.workload, "w", "lin-kv", "the workload: "+strings.Join(mcheck.WorkloadNames(), ", "))
	fs.StringVar(&f.workload, "workload", "lin-kv", "the workload (same as -w)")
	fs.StringVar(&f.bin, "bin", "", "the program: a Go package `DIR` (built for wasip1: a reactor if it uses Terrarium's SDK, else a plain command reading Maelstrom's protocol on stdin) or a .wasm file of either style")
	fs.IntVar(&f.nodeCount, "node-count", 0, "how many nodes to run (n0, n1, ...); default: the node list, else n1 to n5 as Jepsen's")
	fs.Var(&f.node, "node", "a node `NAME` (repeatable; Jepsen's -n/--node)")
	fs.Var(&f.node, "n", "a node `NAME` (same as --node)")
	fs.StringVar(&f.nodes, "nodes", "", "comma-separated node names")
	fs.StringVar(&f.nodesFile, "nodes-file", "", "a `FILE` of node names, one a line")
	fs.Float64Var(&f.timeLimit, "time-limit", 60, "virtual `SECONDS` of operations (the final phase comes after)")
	fs.Float64Var(&f.rate, "rate", 5, "approximate client requests per second, over all clients (0: none, only the final phase)")
	fs.StringVar(&f.concurrency, "concurrency", "1n", "how many clients: a number, or Kn for K per node")
	fs.Float64Var(&f.latency, "latency", 0, "mean network latency in `MS`")
	fs.StringVar(&f.latencyDist, "latency-dist", "constant", "latency distribution: constant, uniform (0 to twice the mean) or exponential")
	fs.StringVar(&f.nemesis, "nemesis", "", "faults, comma-separated: partition (Maelstrom's only one); kill and pause are Terrarium's")
	fs.Float64Var(&f.nemesisInterval, "nemesis-interval", 10, "mean `SECONDS` between nemesis operations (each gap is uniform in [0, 2×this))")
	fs.IntVar(&f.maxWritesPerKey, "max-writes-per-key", 16, "kafka and txn workloads: writes to a key before the generator moves to a fresh key")
	fs.IntVar(&f.testCount, "test-count", 1, "run the test this many times, with seeds seed, seed+1, ...")
	// Accepted for Maelstrom's and Jepsen's command lines; nothing here
	// needs them: every message is in the trace, every node log in the
	// run, and there is no SSH or database to keep.
	for _, name := range []string{"log-net-send", "log-net-recv", "log-stderr", "no-ssh", "strict-host-key-checking", "leave-db-running", "logging-json"} {
		fs.Bool(name, false, "accepted for Maelstrom's command line; no effect here")
	}
	for _, name := range []string{"username", "password", "ssh-private-key"} {
		fs.String(name, "", "accepted for Jepsen's command line; no effect here")
	}
	fs.StringVar(&f.topology, "topology", "grid", "broadcast topology: grid, line, ring, total, tree2, tree3, tree4")
	fs.StringVar(&f.availability, "availability", "", "the fraction of requests that must succeed: a number from 0 to 1, or total (default: not checked)")
	fs.IntVar(&f.keyCount, "key-count", 0, "keys for lin-kv, kafka and the txn workloads (default: the workload's)")
	fs.IntVar(&f.maxTxnLength, "max-txn-length", 0, "most micro-ops in a transaction (default 4)")
	fs.StringVar(&f.consistency, "consistency-models", "serializable", "txn workloads: read-uncommitted, read-committed or serializable (Maelstrom's default is strict-serializable; real time is not checked)")
	fs.Uint64Var(&f.seed, "seed", 1, "the run's seed")
	fs.Int64Var(&f.fuel, "fuel", testFuel, "CPU budget of one callback, in fuel `UNITS` (limits.fuel; Maelstrom has none, so the default is far above what correct programs use)")
	fs.Int64Var(&f.spinFuel, "spin-fuel", testSpinFuel, "the most fuel `UNITS` a callback may use with no send, timer, store write, log line or idle point before it crashes as a spin wait (limits.spin_fuel)")
	fs.BoolVar(&f.strict, "strict", false, "fail on findings too (what Terrarium checks beyond Maelstrom, e.g. kafka phantom commits); the scenario's strict: true")
	fs.StringVar(&f.writeScenario, "write-scenario", "", "also write the scenario to `FILE` (terrarium run FILE replays this test)")
	fs.StringVar(&f.out, "out", "", "write the run folder to `DIR`, as terrarium run --out does")
	return fs, &f
}

// testWith runs terrarium test with its flags read; args are the command
// line, for the run's record.
func testWith(ctx context.Context, f testFlags, args []string, stdout, stderr io.Writer) int {
	reg := patterns.Registry()
	scn, err := testScenario(f, reg)
	if err != nil {
		fmt.Fprintln(stderr, "terrarium test:", err)
		return 2
	}
	minAvail, err := parseAvailability(f.availability)
	if err != nil {
		fmt.Fprintln(stderr, "terrarium test:", err)
		return 2
	}
	if f.testCount < 1 {
		fmt.Fprintf(stderr, "terrarium test: --test-count: must be positive, got %d\n", f.testCount)
		return 2
	}
	if f.writeScenario != "" {
		dir, err := filepath.Abs(filepath.Dir(f.writeScenario))
		if err == nil {
			var b []byte
			if b, err = scenario.Encode(scn, dir); err == nil {
				err = os.WriteFile(f.writeScenario, b, 0o644)
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "terrarium test: --write-scenario:", err)
			return 2
		}
	}
	worst := 0
	for i := range f.testCount {
		if code := runTest(ctx, f, scn, reg, f.seed+uint64(i), minAvail, args, stdout, stderr); code > worst {
			worst = code
		}
		if ctx.Err() != nil {
			break
		}
	}
	return worst
}

// runTest runs the test once with seed and prints its verdict; it returns
// the exit code.
func runTest(ctx context.Context, f testFlags, scn *scenario.Scenario, reg *runner.Registry, seed uint64, minAvail float64, args []string, stdout, stderr io.Writer) int {
	out := f.out
	if out != "" && f.testCount > 1 {
		out = filepath.Join(out, strconv.FormatUint(seed, 10))
	}
	r, err := runner.Prepare(ctx, scn, runner.NewOptions().WithRegistry(reg).WithSeed(seed).WithOutDir(out))
	if err != nil {
		fmt.Fprintln(stderr, "terrarium test:", err)
		return 2
	}
	defer r.Close()
	res, err := r.Finish()
	var ie *runner.InputError
	if errors.As(err, &ie) {
		fmt.Fprintln(stderr, err)
		return 2
	}
	again := reproduce(args, seed)
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintf(stdout, "FAIL test -w %s seed=%d error reproduce: %s\n", f.workload, seed, again)
		return 1
	}
	report(stdout, res)
	fig := mcheck.Figure(r.History(), r.Events(0, math.MaxInt32), len(scn.Nodes))
	availOK := printFigures(stdout, fig, res, minAvail)
	verdict := res.Verdict
	if res.Valid && !availOK {
		verdict = "invalid (availability)"
	}
	if res.Valid && availOK {
		fmt.Fprintf(stdout, "PASS test -w %s seed=%d trace_sha256=%s\n", f.workload, res.Seed, res.TraceSHA256)
		return 0
	}
	if verdict == res.Verdict {
		verdict += check.Verdict(verdictWhy(res))
	}
	fmt.Fprintf(stdout, "FAIL test -w %s seed=%d verdict=%s trace_sha256=%s reproduce: %s\n", f.workload, res.Seed, verdict, res.TraceSHA256, again)
	return 1
}

// testScenario maps Maelstrom's flags onto a scenario, following
// src/maelstrom/core.clj (opt-spec, maelstrom-test) and Jepsen's
// jepsen/src/jepsen/cli.clj (test-opt-spec): every flag combination they
// accept is accepted, and what they refuse is refused in their words
// where that reads well.
func testScenario(f testFlags, reg *runner.Registry) (*scenario.Scenario, error) {
	wl, checks, ok := mcheck.Workload(f.workload)
	switch {
	case !ok:
		return nil, fmt.Errorf("-w: unknown workload %q: Must be one of %s", f.workload, strings.Join(mcheck.WorkloadNames(), ", "))
	case f.bin == "":
		return nil, errors.New("--bin: Expected a --bin PATH_TO_BINARY to test (a Go package directory or a .wasm file)")
	case f.nodeCount < 0:
		return nil, fmt.Errorf("--node-count: Must be positive, got %d", f.nodeCount)
	case f.timeLimit <= 0:
		return nil, fmt.Errorf("--time-limit: Must be positive, got %v", f.timeLimit)
	case f.rate < 0:
		return nil, fmt.Errorf("--rate: Can't be negative, got %v", f.rate)
	case f.latency < 0:
		return nil, fmt.Errorf("--latency: Must be non-negative, got %v", f.latency)
	case f.nemesisInterval <= 0:
		return nil, fmt.Errorf("--nemesis-interval: Must be positive, got %v", f.nemesisInterval)
	case f.keyCount < 0 || f.maxTxnLength < 0:
		return nil, errors.New("--key-count and --max-txn-length: must be positive")
	case f.maxWritesPerKey < 1:
		return nil, fmt.Errorf("--max-writes-per-key: must be positive, got %d", f.maxWritesPerKey)
	case f.fuel < 1000 || f.spinFuel < 1000:
		return nil, fmt.Errorf("--fuel and --spin-fuel must be at least 1000, got %d and %d", f.fuel, f.spinFuel)
	}
	names, err := nodeNames(f)
	if err != nil {
		return nil, err
	}
	clients, err := parseConcurrency(f.concurrency, len(names))
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(f.bin)
	if err != nil {
		return nil, fmt.Errorf("--bin: %w", err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("--bin: %w", err)
	}
	module := map[string]any{"roles": []string{"server"}}
	if st.IsDir() {
		module["go"] = abs
	} else {
		module["wasm"] = abs
	}
	ms := func(v float64) string { return time.Duration(v * float64(time.Millisecond)).String() }
	lat := any(ms(f.latency))
	switch f.latencyDist {
	case "constant":
	case "uniform":
		lat = map[string]string{"min": "0s", "max": ms(2 * f.latency)}
	case "exponential":
		lat = map[string]string{"dist": "exponential", "mean": ms(f.latency)}
	default:
		return nil, fmt.Errorf("--latency-dist: %q: Must be constant, uniform, or exponential", f.latencyDist)
	}
	limit := time.Duration(f.timeLimit * float64(time.Second))
	work := map[string]any{"type": wl, "clients": clients, "timeout": maelstromTimeout.String()}
	if f.rate > 0 {
		work["interval"] = time.Duration(float64(clients) / f.rate * float64(time.Second)).String()
	} else {
		// Maelstrom's --rate 0: the main phase only sleeps (gen/sleep
		// time-limit); the final phase still runs
		work["interval"], work["start"] = limit.String(), limit.String()
	}
	params := map[string]any{}
	switch wl {
	case "maelstrom-broadcast":
		if _, err := mcheck.Topology(f.topology, []string{"n0"}); err != nil {
			return nil, fmt.Errorf("--topology: %w", err)
		}
		params["topology"] = f.topology
		params["settle"] = maelstromRecovery.String()
	case "g-set", "g-counter", "pn-counter":
		params["settle"] = maelstromRecovery.String()
	case "kafka":
		// heal, 10 s of recovery, then the final polls (src/maelstrom/
		// workload/kafka.clj, final-generator, after core.clj's sleep 10)
		params["settle"] = maelstromRecovery.String()
		params["max_writes_per_key"] = f.maxWritesPerKey
	case "txn-list-append", "txn-rw-register":
		params["max_writes_per_key"] = f.maxWritesPerKey
	}
	if f.keyCount > 0 {
		params["key_count"] = f.keyCount
	}
	if f.maxTxnLength > 0 {
		params["max_txn_length"] = f.maxTxnLength
	}
	work["params"] = params
	var groups []any
	if f.nodeCount > 0 {
		groups = []any{map[string]any{"name": "n", "count": f.nodeCount, "indexed": true, "module": "bin"}}
	} else {
		for _, n := range names {
			groups = append(groups, map[string]any{"name": n, "module": "bin"})
		}
	}
	doc := map[string]any{
		"name":     "maelstrom-" + f.workload,
		"duration": limit.String(),
		"modules":  map[string]any{"bin": module},
		"nodes":    groups,
		"network":  map[string]any{"latency": lat},
		"services": scenario.ServiceNames, // Maelstrom always runs every service
		"workload": work,
		"limits":   map[string]any{"fuel": f.fuel, "spin_fuel": f.spinFuel},
	}
	var cs []any
	for _, c := range checks {
		entry := map[string]any{"name": c}
		if f.consistency != "" && strings.HasPrefix(c, "txn-") {
			entry["params"] = map[string]any{"consistency_model": f.consistency}
		}
		cs = append(cs, entry)
	}
	doc["checks"] = cs
	if f.strict {
		doc["strict"] = true
	}
	if nm, err := testNemesis(f); err != nil {
		return nil, err
	} else if nm != nil {
		doc["nemesis"] = []any{nm}
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	scn, err := scenario.ParseWith("terrarium test", b, scenario.Options{Workloads: reg.WorkloadNames(), Checks: reg.CheckNames()})
	if err != nil {
		return nil, err
	}
	return scn, nil
}

// testNemesis maps --nemesis and --nemesis-interval onto a nemesis with
// Jepsen's schedule (src/maelstrom/nemesis.clj, package): partition is
// jepsen.nemesis.combined's partition-package, whose grudges are :one,
// :minority-third, :majority and :majorities-ring (partition-specs for a
// database without primaries); kill and pause, which Maelstrom refuses
// (its nemeses set is #{:partition}), are Terrarium's and follow
// db-package. nil when there is no fault.
func testNemesis(f testFlags) (map[string]any, error) {
	var kinds []string
	for _, k := range strings.Split(f.nemesis, ",") {
		switch k = strings.TrimSpace(k); k {
		case "":
		case "partition":
			kinds = append(kinds, fault.NemesisIsolate, fault.NemesisMinorityThird, fault.NemesisPartitionHalves, fault.NemesisMajoritiesRing)
		case "kill":
			kinds = append(kinds, fault.NemesisCrash)
		case "pause":
			kinds = append(kinds, fault.NemesisPause)
		default:
			return nil, fmt.Errorf("--nemesis: %q: Must be one of partition (Maelstrom's), kill or pause (Terrarium's)", k)
		}
	}
	if len(kinds) == 0 {
		return nil, nil
	}
	every := time.Duration(f.nemesisInterval * float64(time.Second))
	return map[string]any{"kinds": kinds, "schedule": fault.ScheduleJepsen, "every": every.String()}, nil
}

// nodeNames are the test's nodes as Maelstrom and Jepsen pick them:
// --node-count N gives n0 to n(N-1) (core.clj, parse-node-count);
// otherwise --nodes-file, --nodes and --node together (cli.clj,
// parse-nodes), or Jepsen's default n1 to n5.
func nodeNames(f testFlags) ([]string, error) {
	if f.nodeCount > 0 {
		if f.nodeCount > scenario.MaxNodes {
			return nil, fmt.Errorf("--node-count: at most %d here, got %d", scenario.MaxNodes, f.nodeCount)
		}
		names := make([]string, f.nodeCount)
		for i := range names {
			names[i] = "n" + strconv.Itoa(i)
		}
		return names, nil
	}
	var names []string
	if f.nodesFile != "" {
		b, err := os.ReadFile(f.nodesFile)
		if err != nil {
			return nil, fmt.Errorf("--nodes-file: %w", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				names = append(names, l)
			}
		}
	}
	if f.nodes != "" {
		for _, n := range strings.Split(f.nodes, ",") {
			names = append(names, strings.TrimSpace(n))
		}
	}
	names = append(names, f.node...)
	if len(names) == 0 {
		names = defaultNodes
	}
	seen := map[string]bool{}
	for _, n := range names {
		switch {
		case n == "":
			return nil, errors.New("--nodes: an empty node name")
		case seen[n]:
			return nil, fmt.Errorf("--nodes: node %q is named twice", n)
		}
		seen[n] = true
	}
	if len(names) > scenario.MaxNodes {
		return nil, fmt.Errorf("--nodes: at most %d nodes here, got %d", scenario.MaxNodes, len(names))
	}
	return names, nil
}

// parseConcurrency reads Maelstrom's --concurrency: N, or Kn for K clients
// per node.
func parseConcurrency(s string, nodes int) (int, error) {
	n, perNode := strings.CutSuffix(s, "n")
	v, err := strconv.Atoi(n)
	if perNode && n == "" {
		v, err = 1, nil
	}
	if err != nil || v < 1 {
		return 0, fmt.Errorf("--concurrency: %q is not a positive number or Kn (K clients per node)", s)
	}
	if perNode {
		v *= nodes
	}
	return v, nil
}

// parseAvailability reads --availability: -1 for none.
func parseAvailability(s string) (float64, error) {
	switch s {
	case "":
		return -1, nil
	case "total":
		return 1, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if num, den, ok := strings.Cut(s, "/"); ok { // edn/read-string reads a ratio too
		var n, d float64
		n, err = strconv.ParseFloat(num, 64)
		if err == nil {
			d, err = strconv.ParseFloat(den, 64)
		}
		if err == nil && d != 0 {
			v = n / d
		} else {
			err = errors.New("not a ratio")
		}
	}
	if err != nil || v < 0 || v > 1 {
		return 0, fmt.Errorf("--availability: %q: must be either 'total' or a number between 0 and 1", s)
	}
	return v, nil
}

// printFigures prints Maelstrom's headline figures and reports whether
// availability is as asked.
func printFigures(w io.Writer, f mcheck.Figures, res *runner.Result, minAvail float64) bool {
	fmt.Fprintf(w, "  operations %d: ok %d, fail %d, info %d; availability %.4f\n", f.Ops, f.OK, f.Fail, f.Info, f.Availability)
	fmt.Fprintf(w, "  msgs-per-op all %.3f, clients %.3f, servers %.3f (sent: all %d, clients %d, servers %d)\n",
		f.MsgsPerOp.All, f.MsgsPerOp.Clients, f.MsgsPerOp.Servers, f.Msgs.All, f.Msgs.Clients, f.Msgs.Servers)
	fmt.Fprintf(w, "  latency ok ops (ms): %s\n", quantileLine(func(q string) float64 { return float64(f.Latency[q].Microseconds()) / 1000 }))
	names := make([]string, 0, len(res.Checks))
	for n := range res.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := res.Checks[n].Details
		if q, ok := d["stable_latencies_ms"].(map[string]float64); ok {
			fmt.Fprintf(w, "  stable latency (ms): %s; lost %v, stale %v\n", quantileLine(func(k string) float64 { return q[k] }), d["lost_count"], d["stale_count"])
		}
	}
	if minAvail < 0 {
		return true
	}
	ok := f.Availability >= minAvail
	verdict := "valid"
	if !ok {
		verdict = "invalid"
	}
	fmt.Fprintf(w, "  availability %.4f, required %v: %s\n", f.Availability, minAvail, verdict)
	return ok
}

func quantileLine(get func(q string) float64) string {
	var parts []string
	for _, q := range []string{"0", "0.5", "0.95", "0.99", "1"} {
		parts = append(parts, fmt.Sprintf("%s: %.1f", q, get(q)))
	}
	return strings.Join(parts, ", ")
}

// reproduce is the command line that replays this test with its seed.
func reproduce(args []string, seed uint64) string {
	var keep []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--seed" || a == "-seed" {
			i++
			continue
		}
		if strings.HasPrefix(a, "--seed=") || strings.HasPrefix(a, "-seed=") {
			continue
		}
		keep = append(keep, a)
	}
	return fmt.Sprintf("terrarium test %s --seed %d", strings.Join(keep, " "), seed)
}
