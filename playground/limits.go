package playground

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// DefaultMemoryBudget is the memory all the server's open runs together
// may need at worst (Config.WithMemoryBudget).
const DefaultMemoryBudget = 4 << 30

// DefaultMaxFaults caps the faults applied by hand to one run.
const DefaultMaxFaults = 1000

// DefaultMaxLimits returns the server's maximum for every limits: field: a
// scenario sent to the server gets at most these, and these where it sets
// nothing. They are the CLI's defaults (README.md, "Limits") except where a
// shared server needs less: memory 64 MiB, fuel 2e8, messages 1 MiB, sends
// of 4 MiB per callback, logs of 4 MiB per node, stores and files of 16 MiB,
// 16 MiB in flight per node, 2M events and 256 MiB of trace per run.
func DefaultMaxLimits() scenario.Limits {
	return scenario.Limits{
		MemoryPages:     DefaultMaxMemoryPages,
		Fuel:            DefaultMaxFuel,
		MaxMessageBytes: 1 << 20,
		FuelPerByte:     wasmhost.DefaultFuelPerByte,
		// A spin window as long as the callback budget: a guest that spins
		// through the whole budget is named a spin wait, not out of fuel.
		SpinFuel:             DefaultMaxFuel,
		SendsPerCallback:     wasmhost.DefaultSendsPerCallback,
		SendBytesPerCallback: 4 << 20,
		PendingTimers:        wasmhost.DefaultPendingTimers,
		CallbacksPerInstant:  wasmhost.DefaultCallbacksPerInstant,
		CallbacksPerSecond:   wasmhost.DefaultCallbacksPerSecond,
		LogLineBytes:         wasmhost.DefaultLogLineBytes,
		LogBytesPerCallback:  wasmhost.DefaultLogBytesPerCallback,
		LogBytesPerRun:       4 << 20,
		StoreBytes:           16 << 20,
		FSBytes:              16 << 20,
		MaxKeyBytes:          abi.MaxKeyBytes,
		MaxValueBytes:        abi.MaxValueBytes,
		MaxEvents:            DefaultMaxEvents,
		MaxTraceBytes:        256 << 20,
		InFlightBytes:        16 << 20,
		InFlightMessages:     sim.DefaultMaxInFlightMessages,
		InitNames:            abi.DefaultInitNames,
		SharedStoreNodes:     512,
	}
}

// limitFields maps each limits: field name to its index in scenario.Limits.
func limitFields() map[string]int {
	out := map[string]int{}
	t := reflect.TypeFor[scenario.Limits]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		out[name] = i
	}
	return out
}

// LimitNames lists the limits: fields, in declaration order.
func LimitNames() []string {
	t := reflect.TypeFor[scenario.Limits]()
	names := make([]string, t.NumField())
	for i := range names {
		names[i], _, _ = strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
	}
	return names
}

// SetLimit returns l with the field called name (a limits: key) set to v.
func SetLimit(l scenario.Limits, name string, v int64) (scenario.Limits, error) {
	i, ok := limitFields()[name]
	if !ok {
		return l, fmt.Errorf("playground: no limit %q (limits: %s)", name, strings.Join(LimitNames(), ", "))
	}
	if v <= 0 {
		return l, fmt.Errorf("playground: limit %s=%d must be positive", name, v)
	}
	reflect.ValueOf(&l).Elem().Field(i).SetInt(v)
	return l, nil
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
func clampLimits(l *scenario.Limits, maxes scenario.Limits) {
	lv, mv := reflect.ValueOf(l).Elem(), reflect.ValueOf(maxes)
	for i := range lv.NumField() {
		v, m := lv.Field(i).Int(), mv.Field(i).Int()
		if m > 0 && (v == 0 || v > m) {
			lv.Field(i).SetInt(m)
		}
	}
}

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

// fitsBudget refuses a run that alone needs more than the memory budget.
func (s *Server) fitsBudget(scn *scenario.Scenario) error {
	total, perNode := runCost(scn)
	if total <= s.cfg.memBudget {
		return nil
	}
	msg := fmt.Sprintf("this run may need up to %s (%d nodes × %s each: memory, store, files, in flight and log; plus %s of trace), more than this server's memory budget of %s: lower limits.memory_pages, store_bytes, fs_bytes, in_flight_bytes, log_bytes_per_run or max_trace_bytes, or use fewer nodes",
		mib(total), len(scn.Nodes), mib(perNode), mib(scn.Limits.MaxTraceBytes), mib(s.cfg.memBudget))
	return &APIError{Status: http.StatusUnprocessableEntity, Code: "limit", Message: msg, Problems: []Problem{{Field: "limits", Message: msg}}}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
