package playground

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// DefaultMemoryBudget is the memory all the server's open runs together
// may need at worst (Config.WithMemoryBudget). With the CLI's limits a
// node may need up to ~308 MiB (256 MiB of memory, stores, files,
// messages and log), so 16 GiB holds a 25-node run and a few small ones.
const DefaultMemoryBudget = 16 << 30

// DefaultMaxFaults caps the faults applied by hand to one run.
const DefaultMaxFaults = 1000

// DefaultMaxLimits returns the server's maximum for every limits: field: a
// scenario sent to the server gets at most these, and these where it sets
// nothing. They are the CLI's defaults (README.md, "Limits"), so that a
// scenario gets the verdict it gets from `terrarium run`, except where a
// shared server needs less: messages 1 MiB, sends of 4 MiB per callback,
// logs of 4 MiB per node, stores and files of 16 MiB, 16 MiB in flight per
// node, 2M events and 256 MiB of trace per run. An operator lowers any of
// them with `serve --max-limit NAME=VALUE`; a node that crashes on a cap
// below the CLI's default says so beside the run's verdict (Status.CapCrashes).
func DefaultMaxLimits() scenario.Limits {
	return scenario.Limits{
		MemoryPages:     DefaultMaxMemoryPages,
		Fuel:            DefaultMaxFuel,
		MaxMessageBytes: 1 << 20,
		FuelPerByte:     limits.DefaultFuelPerByte,
		// A spin window no callback reaches: as on the CLI, which has none,
		// since a window the CLI does not have can crash a guest the CLI
		// lets finish (an operator may set one with --max-limit).
		SpinFuel:             1 << 62,
		SendsPerCallback:     limits.DefaultSendsPerCallback,
		SendBytesPerCallback: 4 << 20,
		PendingTimers:        limits.DefaultPendingTimers,
		CallbacksPerInstant:  limits.DefaultCallbacksPerInstant,
		CallbacksPerSecond:   limits.DefaultCallbacksPerSecond,
		LogLineBytes:         limits.DefaultLogLineBytes,
		LogBytesPerCallback:  limits.DefaultLogBytesPerCallback,
		LogBytesPerRun:       4 << 20,
		StoreBytes:           16 << 20,
		FSBytes:              16 << 20,
		MaxKeyBytes:          limits.MaxKeyBytes,
		MaxValueBytes:        limits.MaxValueBytes,
		MaxEvents:            DefaultMaxEvents,
		MaxTraceBytes:        256 << 20,
		InFlightBytes:        16 << 20,
		InFlightMessages:     limits.DefaultInFlightMessages,
		InitNames:            limits.DefaultInitNames,
		SharedStoreNodes:     512,
		AttackBudget:         limits.DefaultAttackBudget,
	}
}

// LimitNames lists the limits: fields, in declaration order.
func LimitNames() []string { return limits.Names() }

// SetLimit returns l with the field called name (a limits: key) set to v.
func SetLimit(l scenario.Limits, name string, v int64) (scenario.Limits, error) {
	f, ok := limits.Lookup(name)
	if !ok {
		return l, fmt.Errorf("playground: no limit %q (limits: %s)", name, strings.Join(LimitNames(), ", "))
	}
	if v <= 0 {
		return l, fmt.Errorf("playground: limit %s=%d must be positive", name, v)
	}
	return l.With(f, v), nil
}

// ParseLimit reads NAME=VALUE (VALUE an integer, with optional _ separators
// and a KiB, MiB or GiB suffix) as given to `serve --max-limit`.
func ParseLimit(l scenario.Limits, s string) (scenario.Limits, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return l, fmt.Errorf("playground: %q is not NAME=VALUE", s)
	}
	v, err := ParseSize(val)
	if err != nil {
		return l, fmt.Errorf("playground: limit %s: %w", name, err)
	}
	return SetLimit(l, strings.TrimSpace(name), v)
}

// ParseSize reads an integer with an optional KiB, MiB or GiB suffix (as
// `serve --memory-budget` takes it).
func ParseSize(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	mult := int64(1)
	for suf, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if rest, ok := strings.CutSuffix(s, suf); ok {
			s, mult = rest, m
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a positive integer (optionally with KiB, MiB or GiB)", s)
	}
	return v * mult, nil
}

// clampLimits lowers every field of l above its maximum, and sets every
// absent (zero) one, to the maximum: the scenario then carries the limits
// it runs under, so an export replays under them.
func clampLimits(l *scenario.Limits, maxes scenario.Limits) { *l = l.Clamp(maxes) }

// pageBytes is the size of a WebAssembly memory page.
const pageBytes = 64 << 10

// runCost is what a run may need in memory at worst, from its (clamped)
// limits: every node's linear memory, store, files, messages in flight and
// log, plus the run's trace.
func runCost(scn *scenario.Scenario) (total, perNode int64) {
	l := scn.Limits
	perNode = int64(l.MemoryPages)*pageBytes + l.StoreBytes + l.FSBytes + l.InFlightBytes + l.LogBytesPerRun
	return int64(len(scn.Nodes))*perNode + l.MaxTraceBytes, perNode
}

// cost is what a run may need in memory at worst (runCost), but never
// more than its worker's memory limit: past it the OS stops the worker.
func (c Config) cost(scn *scenario.Scenario) int64 {
	total, _ := runCost(scn)
	if lim := c.runCostCap(scn); lim > 0 {
		total = min(total, lim)
	}
	return total
}

// runCostCap is the most memory one run may take: its worker's memory
// limit when runs execute in workers (0: no cap).
func (c Config) runCostCap(scn *scenario.Scenario) int64 {
	if c.workerBin != "" {
		return c.workerMemory(scn)
	}
	return c.costCap
}

// workerMemory is the data limit (RLIMIT_DATA) of the worker of a run of
// scn: the configured one, plus, with WithWorkerReserve, the linear memory
// every node may reserve (wazero maps a memory's whole limit up front, and
// the OS counts the mapping), so that a run under the CLI's memory_pages
// starts however many nodes it has. 0: no limit.
func (c Config) workerMemory(scn *scenario.Scenario) int64 {
	base := c.workerLimits.MemoryBytes
	if base <= 0 || !c.workerReserve {
		return base
	}
	return base + int64(len(scn.Nodes))*int64(scn.Limits.MemoryPages)*pageBytes
}

// fitsBudget refuses a run that alone needs more than the memory budget.
func (s *Server) fitsBudget(scn *scenario.Scenario) error {
	if s.cfg.cost(scn) <= s.cfg.memBudget {
		return nil
	}
	total, perNode := runCost(scn)
	if total <= s.cfg.memBudget {
		return nil
	}
	msg := fmt.Sprintf("this run may need up to %s (%d nodes × %s each: memory, store, files, in flight and log; plus %s of trace), more than this server's memory budget of %s: lower limits.memory_pages, store_bytes, fs_bytes, in_flight_bytes, log_bytes_per_run or max_trace_bytes, or use fewer nodes",
		mib(total), len(scn.Nodes), mib(perNode), mib(scn.Limits.MaxTraceBytes), mib(s.cfg.memBudget))
	return &APIError{Status: http.StatusUnprocessableEntity, Code: "limit", Message: msg, Problems: []Problem{{Field: "limits", Message: msg}}}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// CapCrash is a node that crashed on one of the server's caps that is
// below the CLI's default: the run may get a verdict here that `terrarium
// run` would not give it.
type CapCrash struct {
	Node string `json:"node"`
	// Limit is the limits: key the node ran past.
	Limit string `json:"limit"`
	// Server is the server's cap, CLI the CLI's default (0: none).
	Server int64  `json:"server"`
	CLI    int64  `json:"cli"`
	Reason string `json:"reason"`
}

// limitRefRE finds the limits: keys a crash reason names (limits.fuel).
var limitRefRE = regexp.MustCompile(`limits\.([a-z_]+)`)

// capCrashes lists the crashed nodes whose reason names a limit the run
// ran with at the server's cap, where that cap is below the CLI's default.
func capCrashes(nodes []runner.NodeInfo, l, maxes scenario.Limits) []CapCrash {
	def := limits.Default()
	var out []CapCrash
	for _, n := range nodes {
		if n.CrashReason == "" {
			continue
		}
		seen := map[string]bool{}
		for _, m := range limitRefRE.FindAllStringSubmatch(n.CrashReason, -1) {
			f, ok := limits.Lookup(m[1])
			if !ok || seen[m[1]] {
				continue
			}
			seen[m[1]] = true
			// The CLI's default 0 is no limit at all (spin_fuel).
			if c := maxes.Get(f); c > 0 && (c < def.Get(f) || def.Get(f) == 0) && l.Get(f) == c {
				out = append(out, CapCrash{Node: n.Name, Limit: m[1], Server: c, CLI: def.Get(f), Reason: n.CrashReason})
			}
		}
	}
	return out
}
