package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/terrarium-sim/terrarium/plugins/maelstrom/mcheck"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/wasmhost"
)

// testFlags are Maelstrom's test options, as terrarium test takes them.
type testFlags struct {
	workload, bin, latencyDist, nemesis, topology, availability, concurrency string
	consistency, writeScenario, out                                          string
	nodeCount, keyCount, maxTxnLength, maxWritesPerKey                       int
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

// cmdTest runs a Maelstrom-style test: Maelstrom's flags become a
// scenario (written out with --write-scenario), which runs like
// terrarium run; Maelstrom's headline figures follow the checks.
func cmdTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f testFlags
	fs.StringVar(&f.workload, "w", "", "the workload: "+strings.Join(mcheck.WorkloadNames(), ", "))
	fs.StringVar(&f.workload, "workload", "", "the workload (same as -w)")
	fs.StringVar(&f.bin, "bin", "", "the program: a Go package `DIR` (built for wasip1: a reactor if it uses Terrarium's SDK, else a plain command reading Maelstrom's protocol on stdin) or a .wasm file of either style")
	fs.IntVar(&f.nodeCount, "node-count", 5, "how many nodes to run (n0, n1, ...)")
	fs.Float64Var(&f.timeLimit, "time-limit", 60, "virtual `SECONDS` of operations (the final reads come after)")
	fs.Float64Var(&f.rate, "rate", 5, "approximate client requests per second, over all clients")
	fs.StringVar(&f.concurrency, "concurrency", "1n", "how many clients: a number, or Kn for K per node")
	fs.Float64Var(&f.latency, "latency", 0, "mean network latency in `MS`")
	fs.StringVar(&f.latencyDist, "latency-dist", "constant", "latency distribution: constant, uniform (0 to twice the mean) or exponential")
	fs.StringVar(&f.nemesis, "nemesis", "", "faults, comma-separated: partition, kill, pause")
	fs.Float64Var(&f.nemesisInterval, "nemesis-interval", 10, "`SECONDS` between faults; each is healed after half of it")
	fs.StringVar(&f.topology, "topology", "grid", "broadcast topology: grid, line, ring, total, tree2, tree3, tree4")
	fs.StringVar(&f.availability, "availability", "", "the fraction of requests that must succeed: a number from 0 to 1, or total (default: not checked)")
	fs.IntVar(&f.keyCount, "key-count", 0, "keys for lin-kv, kafka and the txn workloads (default: the workload's)")
	fs.IntVar(&f.maxTxnLength, "max-txn-length", 0, "most micro-ops in a transaction (default 4)")
	fs.IntVar(&f.maxWritesPerKey, "max-writes-per-key", 0, "kafka and txn workloads: writes to a key before the generator moves to a fresh key (default 16)")
	fs.StringVar(&f.consistency, "consistency-models", "serializable", "txn workloads: read-uncommitted, read-committed or serializable (Maelstrom's default is strict-serializable; real time is not checked)")
	fs.Uint64Var(&f.seed, "seed", 1, "the run's seed")
	fs.Int64Var(&f.fuel, "fuel", testFuel, "CPU budget of one callback, in fuel `UNITS` (limits.fuel; Maelstrom has none, so the default is far above what correct programs use)")
	fs.Int64Var(&f.spinFuel, "spin-fuel", testSpinFuel, "the most fuel `UNITS` a callback may use with no send, timer, store write, log line or idle point before it crashes as a spin wait (limits.spin_fuel)")
	fs.BoolVar(&f.strict, "strict", false, "fail on findings too (what Terrarium checks beyond Maelstrom, e.g. kafka phantom commits); the scenario's strict: true")
	fs.StringVar(&f.writeScenario, "write-scenario", "", "also write the scenario to `FILE` (terrarium run FILE replays this test)")
	fs.StringVar(&f.out, "out", "", "write the run folder to `DIR`, as terrarium run --out does")
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "terrarium test: unexpected argument %q\n%s", pos[0], usage)
		return 2
	}
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
	r, err := runner.Prepare(ctx, scn, runner.NewOptions().WithRegistry(reg).WithSeed(f.seed).WithOutDir(f.out))
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
	again := reproduce(args, f.seed)
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintf(stdout, "FAIL test -w %s seed=%d error reproduce: %s\n", f.workload, f.seed, again)
		return 1
	}
	report(stdout, res)
	fig := mcheck.Figure(r.History(), r.Sim().Events(), f.nodeCount)
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

// testScenario maps Maelstrom's flags onto a scenario.
func testScenario(f testFlags, reg *runner.Registry) (*scenario.Scenario, error) {
	wl, checks, ok := mcheck.Workload(f.workload)
	switch {
	case f.workload == "":
		return nil, fmt.Errorf("-w: name a workload (%s)", strings.Join(mcheck.WorkloadNames(), ", "))
	case !ok:
		return nil, fmt.Errorf("-w: unknown workload %q (known: %s)", f.workload, strings.Join(mcheck.WorkloadNames(), ", "))
	case f.bin == "":
		return nil, errors.New("--bin: name the program: a Go package directory or a .wasm file")
	case f.nodeCount < 1 || f.nodeCount > scenario.MaxNodes:
		return nil, fmt.Errorf("--node-count: must be 1..%d, got %d", scenario.MaxNodes, f.nodeCount)
	case f.timeLimit <= 0:
		return nil, fmt.Errorf("--time-limit: must be positive, got %v", f.timeLimit)
	case f.rate <= 0:
		return nil, fmt.Errorf("--rate: must be positive, got %v", f.rate)
	case f.latency < 0:
		return nil, fmt.Errorf("--latency: must not be negative, got %v", f.latency)
	case f.nemesisInterval <= 0:
		return nil, fmt.Errorf("--nemesis-interval: must be positive, got %v", f.nemesisInterval)
	case f.keyCount < 0 || f.maxTxnLength < 0 || f.maxWritesPerKey < 0:
		return nil, errors.New("--key-count, --max-txn-length and --max-writes-per-key must not be negative")
	case f.fuel < 1000 || f.spinFuel < 1000:
		return nil, fmt.Errorf("--fuel and --spin-fuel must be at least 1000, got %d and %d", f.fuel, f.spinFuel)
	}
	clients, err := parseConcurrency(f.concurrency, f.nodeCount)
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
		return nil, fmt.Errorf("--latency-dist: %q is not constant, uniform or exponential", f.latencyDist)
	}
	limit := time.Duration(f.timeLimit * float64(time.Second))
	interval := time.Duration(float64(clients) / f.rate * float64(time.Second))
	// Maelstrom's client waits 5 s for any reply (src/maelstrom/client.clj,
	// default-timeout), whatever the latency
	timeout := 5 * time.Second
	settle := 2*time.Second + time.Duration(10*f.latency*float64(time.Millisecond))
	params := map[string]any{}
	switch wl {
	case "maelstrom-broadcast":
		if _, err := mcheck.Topology(f.topology, []string{"n0"}); err != nil {
			return nil, fmt.Errorf("--topology: %w", err)
		}
		params["topology"] = f.topology
		params["settle"] = settle.String()
	case "g-set", "g-counter", "pn-counter", "kafka":
		params["settle"] = settle.String()
	}
	if f.keyCount > 0 {
		params["key_count"] = f.keyCount
	}
	if f.maxTxnLength > 0 {
		params["max_txn_length"] = f.maxTxnLength
	}
	if f.maxWritesPerKey > 0 {
		params["max_writes_per_key"] = f.maxWritesPerKey
	}
	doc := map[string]any{
		"name":     "maelstrom-" + f.workload,
		"duration": limit.String(),
		"modules":  map[string]any{"bin": module},
		"nodes":    []any{map[string]any{"name": "n", "count": f.nodeCount, "indexed": true, "module": "bin"}},
		"network":  map[string]any{"latency": lat},
		"services": scenario.ServiceNames, // Maelstrom always runs every service
		"workload": map[string]any{"type": wl, "clients": clients, "interval": interval.String(), "timeout": timeout.String(), "params": params},
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
	if f.nemesis != "" {
		var kinds []string
		for _, k := range strings.Split(f.nemesis, ",") {
			switch strings.TrimSpace(k) {
			case "partition":
				kinds = append(kinds, scenario.NemesisPartitionHalves, scenario.NemesisIsolate, scenario.NemesisBridge)
			case "kill":
				kinds = append(kinds, scenario.NemesisKill)
			case "pause":
				kinds = append(kinds, scenario.NemesisPause)
			default:
				return nil, fmt.Errorf("--nemesis: %q is not partition, kill or pause", k)
			}
		}
		every := time.Duration(f.nemesisInterval * float64(time.Second))
		if every >= limit {
			return nil, fmt.Errorf("--nemesis-interval: %vs leaves no room for a fault in a %vs run", f.nemesisInterval, f.timeLimit)
		}
		// a fault every interval, healed after half of it (Maelstrom
		// alternates faults and healing); all healed by the time limit
		doc["nemesis"] = []any{map[string]any{"kinds": kinds, "every": every.String(), "heal": (every / 2).String()}}
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
	if err != nil || v < 0 || v > 1 {
		return 0, fmt.Errorf("--availability: %q is not a number from 0 to 1 or total", s)
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
