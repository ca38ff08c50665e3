// Package runner turns a scenario into a finished run: it builds or reads
// the modules, sets up the simulation, network and workload, runs it on
// virtual time, applies the checkers and writes the run folder.
package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/terrarium-sim/terrarium/internal/gobuild"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/report"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/wasmhost"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Options tune a run. The zero value runs the scenario's seed in memory.
type Options struct {
	// Seed overrides the scenario's seed when HasSeed is true.
	Seed    uint64
	HasSeed bool
	// OutDir, if set, receives results.json, trace.jsonl and history.jsonl.
	OutDir string
	// Persist keeps node stores on disk under OutDir/stores.
	Persist bool
	// Interpreter uses wazero's interpreter instead of its compiler.
	Interpreter bool
	// CacheDir is the compilation cache ("" = the default location).
	CacheDir string
	// Watchdog aborts a guest call after this much wall time (0: off).
	Watchdog time.Duration
	// Progress, if set, is called as virtual time advances.
	Progress func(now, total time.Duration)
}

// Result is the outcome of a run, and the content of results.json.
type Result struct {
	Scenario    string        `json:"scenario"`
	Name        string        `json:"name"`
	Seed        uint64        `json:"seed"`
	Valid       bool          `json:"valid"`
	Verdict     check.Verdict `json:"verdict"`
	TraceSHA256 string        `json:"trace_sha256"`
	// Reproducible is false if the wall-clock watchdog fired.
	Reproducible bool                    `json:"reproducible"`
	Checks       map[string]check.Result `json:"checks"`
	Stats        sim.Stats               `json:"stats"`
	Crashes      []Crash                 `json:"crashes,omitempty"`
	// Injected lists the faults the nemeses injected, as timed faults.
	Injected []scenario.Fault `json:"-"`
	// Nodes and Clients name every endpoint by index, as the trace uses them.
	Nodes   []string `json:"nodes"`
	Clients []string `json:"clients"`
}

// Crash records a node that ended the run crashed.
type Crash struct {
	Node   string `json:"node"`
	Reason string `json:"reason"`
}

// InputError marks a problem with the scenario or its modules (CLI exit 2),
// as opposed to a failure while running.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(err error) error { return &InputError{Err: err} }

// Load reads and validates a scenario against the known workloads and checks.
func Load(path string) (*scenario.Scenario, error) {
	s, err := scenario.LoadWith(path, scenario.Options{Workloads: patterns.WorkloadNames(), Checks: patterns.CheckNames()})
	if err != nil {
		return nil, inputErr(err)
	}
	return s, nil
}

// Run runs a loaded scenario.
func Run(ctx context.Context, scn *scenario.Scenario, opts Options) (*Result, error) {
	seed := scn.Seed
	if opts.HasSeed {
		seed = opts.Seed
	}
	if seed == 0 && !opts.HasSeed {
		seed = 1
	}
	wcfg := wasmhost.NewConfig().WithInterpreter(opts.Interpreter).WithWatchdog(opts.Watchdog)
	if opts.CacheDir != "" {
		wcfg = wcfg.WithCacheDir(opts.CacheDir)
	}
	wcfg = scn.Limits.Apply(wcfg) // every limits: field, quotas included
	def := netsim.Link{Latency: latency(scn.Network.Latency), Loss: scn.Network.Loss, Duplicate: scn.Network.Duplicate, Reorder: scn.Network.Reorder}
	cfg := sim.NewConfig().WithSeed(seed).WithWasm(wcfg).WithNetwork(def).WithLoseUnsynced(scn.LoseUnsynced)

	var traceFile *os.File
	var traceBuf *bufio.Writer
	if opts.OutDir != "" {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("runner: %w", err)
		}
		f, err := os.Create(filepath.Join(opts.OutDir, "trace.jsonl"))
		if err != nil {
			return nil, fmt.Errorf("runner: %w", err)
		}
		traceFile, traceBuf = f, bufio.NewWriterSize(f, 1<<20)
		defer traceFile.Close()
		cfg = cfg.WithTrace(true, traceBuf)
		if opts.Persist {
			cfg = cfg.WithStoreDir(filepath.Join(opts.OutDir, "stores"))
		}
	}
	s, err := sim.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer s.Close()

	for _, m := range scn.Modules {
		var code []byte
		if m.Go != "" {
			code, err = gobuild.Build(ctx, m.Go)
		} else {
			code, err = os.ReadFile(m.Wasm)
		}
		if err != nil {
			return nil, inputErr(scn.ErrorAt(m.Line, "modules."+m.Name, "%v", err))
		}
		if err := s.LoadModule(m.Name, code); err != nil {
			return nil, inputErr(scn.ErrorAt(m.Line, "modules."+m.Name, "%v", err))
		}
	}
	for _, n := range scn.Nodes {
		if _, err := s.AddNodes(sim.NodeSpec{Name: n.Name, Module: n.Module, Role: n.Role, Params: n.Params}); err != nil {
			return nil, inputErr(scn.ErrorAt(n.Line, "nodes", "%v", err))
		}
	}
	clients, err := s.AddClients(scn.Workload.Clients)
	if err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	if len(scn.Network.Links) > 0 {
		for _, a := range scn.Nodes {
			for _, b := range scn.Nodes {
				ls := scn.Network.Settings(a.Name, b.Name)
				l := netsim.Link{Latency: latency(ls.Latency), Loss: ls.Loss, Duplicate: ls.Duplicate, Reorder: ls.Reorder}
				if l != def {
					if err := s.Network().SetLink(int32(a.Index), int32(b.Index), l); err != nil {
						return nil, inputErr(scn.ErrorAt(scn.Workload.Line, "network.links", "%v", err))
					}
				}
			}
		}
	}
	var faultErr error
	for _, f := range scn.Faults {
		f := f
		s.At(f.At, func() {
			if err := applyFault(s, f); err != nil && faultErr == nil {
				faultErr = inputErr(scn.ErrorAt(f.Line, "faults", "%v", err))
			}
		})
	}
	var injected []scenario.Fault
	faultStream := sim.Stream(seed, "faults")
	for _, nm := range scn.Nemeses {
		scheduleNemesis(s, nm, scn, faultStream, func(f scenario.Fault) { injected = append(injected, f) })
	}

	end := scn.Duration
	if scn.Workload.Type != scenario.WorkloadNone && scn.Workload.Type != "" {
		w, err := patterns.Workload(scn.Workload.Type)
		if err != nil {
			return nil, inputErr(scn.ErrorAt(scn.Workload.Line, "workload.type", "%v", err))
		}
		targets := scn.Workload.Targets
		if len(targets) == 0 {
			targets = scn.NodeNames()
		}
		wend, err := w.Start(s, workload.Spec{
			Clients: clients, Targets: targets, Duration: scn.Duration, Interval: scn.Workload.Interval,
			Ops: scn.Workload.Ops, Timeout: scn.Workload.Timeout, Params: scn.Workload.Params,
			Rand: sim.Stream(seed, "workload"),
		})
		if err != nil {
			return nil, inputErr(scn.ErrorAt(scn.Workload.Line, "workload.params", "%v", err))
		}
		end = max(end, wend)
	}

	const slices = 100
	for i := 1; i <= slices; i++ {
		if err := s.RunUntil(end * time.Duration(i) / slices); err != nil {
			return nil, fmt.Errorf("runner: at %v: %w", s.Now(), err)
		}
		if opts.Progress != nil {
			opts.Progress(s.Now(), end)
		}
		if faultErr != nil {
			return nil, faultErr
		}
	}

	res := &Result{Scenario: scn.File, Name: scn.Name, Seed: seed, TraceSHA256: s.Digest(), Reproducible: s.Reproducible(), Stats: s.Stats(), Checks: map[string]check.Result{}, Verdict: check.Valid}
	res.Injected = injected
	res.Nodes = scn.NodeNames()
	for _, c := range clients {
		res.Clients = append(res.Clients, c.Name)
	}
	for _, n := range s.Nodes() {
		if r := n.CrashReason(); r != "" {
			res.Crashes = append(res.Crashes, Crash{Node: n.Name, Reason: r})
		}
	}
	in := check.Input{History: s.History(), Events: s.Events(), Nodes: scn.NodeNames()}
	for _, c := range scn.Checks {
		fn, err := patterns.Check(c.Name)
		if err != nil {
			return nil, inputErr(scn.ErrorAt(c.Line, "checks", "%v", err))
		}
		in.Params = c.Params
		r := fn(in)
		res.Checks[c.Name] = r
		switch {
		case r.Verdict == check.Invalid:
			res.Verdict = check.Invalid
		case r.Verdict == check.Unknown && res.Verdict == check.Valid:
			res.Verdict = check.Unknown
		}
	}
	res.Valid = res.Verdict == check.Valid
	if opts.OutDir != "" {
		if err := traceBuf.Flush(); err != nil {
			return nil, fmt.Errorf("runner: trace: %w", err)
		}
		if err := writeOut(opts.OutDir, res, s.History()); err != nil {
			return nil, err
		}
		if err := report.Write(opts.OutDir); err != nil {
			return nil, fmt.Errorf("runner: report: %w", err)
		}
	}
	return res, nil
}

func writeOut(dir string, res *Result, hist []sim.Op) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("runner: results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, op := range hist {
		if err := enc.Encode(op); err != nil {
			f.Close()
			return fmt.Errorf("runner: history: %w", err)
		}
	}
	return errors.Join(w.Flush(), f.Close())
}

func latency(l scenario.Latency) netsim.Latency {
	switch l.Dist {
	case "normal":
		return netsim.Latency{Dist: netsim.DistNormal, Min: l.Min, Max: l.Max, Mean: l.Mean, Stddev: l.Stddev}
	case "exponential":
		return netsim.Latency{Dist: netsim.DistExponential, Min: l.Min, Max: l.Max, Mean: l.Mean}
	}
	if l.Min == l.Max {
		return netsim.Constant(l.Min)
	}
	return netsim.Uniform(l.Min, l.Max)
}
