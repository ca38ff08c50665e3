// Package limits holds the one value that bounds a run's resources: the
// limits: section of a scenario, the engine's per-node quotas, the
// simulator's run-wide caps and a server's maxima are all a Limits.
//
// A zero field means "not set": WithDefaults fills it with the runtime's
// default. Each field has a range (Fields) that a set value must lie in;
// the scenario parser reports values outside it, and Validate checks a
// value built in code. The package imports only the standard library, so
// that whatever reads limits (the scenario parser, a checker, a server)
// does not depend on the engine that enforces them.
package limits

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Runtime defaults (docs/ABI.md, "Limits"): what an unset field means.
const (
	// DefaultMemoryPages caps each node at 256 MiB of linear memory.
	DefaultMemoryPages = 4096
	// DefaultFuel is the per-callback budget. A Go guest's runtime start-up
	// spends a few million units; a handler usually far fewer.
	DefaultFuel = 2_000_000_000
	// DefaultMaxMessageBytes is the largest message a guest may send.
	DefaultMaxMessageBytes = 4 << 20
	// DefaultFuelPerByte is the fuel a callback gets on top of its budget
	// for each byte delivered to it and each byte it sends. The Go echo
	// plugin spends ~24,000 units per byte of a request, and a broadcast hub
	// ~12,500 per byte of gossip it sends (Go's wasm code jumps through each
	// function's loop head, which the cost model charges the whole
	// function); this is twice the larger.
	DefaultFuelPerByte = 50_000
	// DefaultSendsPerCallback caps the sends of one callback.
	DefaultSendsPerCallback = 10_000
	// DefaultSendBytesPerCallback caps the bytes one callback sends.
	DefaultSendBytesPerCallback = 16 << 20
	// DefaultPendingTimers caps a node's pending timers, and also the
	// timer_set calls of one callback.
	DefaultPendingTimers = 10_000
	// DefaultCallbacksPerInstant caps the callbacks (boot, message, timer,
	// wake-up) one node runs at one virtual instant.
	DefaultCallbacksPerInstant = 10_000
	// DefaultCallbacksPerSecond caps the callbacks one node causes itself
	// (boot, timers, wake-ups, messages to itself) in one second of virtual
	// time.
	DefaultCallbacksPerSecond = 200_000
	// DefaultLogLineBytes caps one log line (longer ones are truncated with
	// a marker) and one emitted event (key plus value; longer ones crash).
	DefaultLogLineBytes = 64 << 10
	// DefaultLogBytesPerCallback caps the log and emit bytes of one callback.
	DefaultLogBytesPerCallback = 1 << 20
	// DefaultLogBytesPerRun caps the log and emit bytes of one node in a run.
	DefaultLogBytesPerRun = 16 << 20
	// DefaultStoreBytes caps a node's store (synced pairs plus buffered
	// writes).
	DefaultStoreBytes = 64 << 20
	// DefaultFSBytes caps a node's in-memory file system.
	DefaultFSBytes = 16 << 20
	// MaxKeyBytes is the longest store key the ABI allows (abi.MaxKeyBytes),
	// and the default and largest max_key_bytes.
	MaxKeyBytes = 1024
	// MaxValueBytes is the longest store value the ABI allows
	// (abi.MaxValueBytes), and the default and largest max_value_bytes.
	MaxValueBytes = 64 << 10
	// DefaultMaxEvents caps the events one run may record.
	DefaultMaxEvents = 20_000_000
	// DefaultMaxTraceBytes caps the bytes of trace one run may record.
	DefaultMaxTraceBytes = 2 << 30
	// DefaultInFlightBytes caps the bytes of one node's messages on their way.
	DefaultInFlightBytes = 64 << 20
	// DefaultInFlightMessages caps how many of one node's messages are on
	// their way at once.
	DefaultInFlightMessages = 100_000
	// DefaultInitNames is the most endpoints whose names every init
	// document lists (abi.DefaultInitNames).
	DefaultInitNames = 64
	// DefaultSharedStoreNodes is the node count from which all nodes share
	// one store.
	DefaultSharedStoreNodes = 512
	// DefaultAttackBudget caps the adversary's actions in one run
	// (recordings, alterations, injections, redirections).
	DefaultAttackBudget = 10_000
)

// Limits holds resource limits; a zero field is unset and means the
// runtime's default (WithDefaults). The range tag of each field is the
// range a set value must lie in (Fields).
type Limits struct {
	// MemoryPages caps a node's linear memory, in 64 KiB pages.
	MemoryPages int `yaml:"memory_pages,omitempty" json:"memory_pages,omitempty" range:"1,65536"`
	// Fuel is the fuel budget of each callback.
	Fuel int64 `yaml:"fuel,omitempty" json:"fuel,omitempty" range:"1000,9223372036854775807"`
	// MaxMessageBytes caps the size of one message.
	MaxMessageBytes int `yaml:"max_message_bytes,omitempty" json:"max_message_bytes,omitempty" range:"1,2147483647"`
	// FuelPerByte is the extra fuel per byte delivered to a callback.
	FuelPerByte int64 `yaml:"fuel_per_byte,omitempty" json:"fuel_per_byte,omitempty" range:"1,1099511627776"`
	// SpinFuel is the spin window: the most fuel a callback may use with
	// no send, timer, store write, log line or idle point (unset: no
	// window; docs/ABI.md, "Limits").
	SpinFuel int64 `yaml:"spin_fuel,omitempty" json:"spin_fuel,omitempty" range:"1000,9223372036854775807"`
	// The per-node quotas (docs/ABI.md, "Limits").
	SendsPerCallback     int   `yaml:"sends_per_callback,omitempty" json:"sends_per_callback,omitempty" range:"1,1099511627776"`
	SendBytesPerCallback int64 `yaml:"send_bytes_per_callback,omitempty" json:"send_bytes_per_callback,omitempty" range:"1,1125899906842624"`
	PendingTimers        int   `yaml:"pending_timers,omitempty" json:"pending_timers,omitempty" range:"1,1099511627776"`
	CallbacksPerInstant  int   `yaml:"callbacks_per_instant,omitempty" json:"callbacks_per_instant,omitempty" range:"1,1099511627776"`
	CallbacksPerSecond   int   `yaml:"callbacks_per_second,omitempty" json:"callbacks_per_second,omitempty" range:"1,1099511627776"`
	LogLineBytes         int   `yaml:"log_line_bytes,omitempty" json:"log_line_bytes,omitempty" range:"1,1099511627776"`
	LogBytesPerCallback  int64 `yaml:"log_bytes_per_callback,omitempty" json:"log_bytes_per_callback,omitempty" range:"1,1125899906842624"`
	LogBytesPerRun       int64 `yaml:"log_bytes_per_run,omitempty" json:"log_bytes_per_run,omitempty" range:"1,1125899906842624"`
	StoreBytes           int64 `yaml:"store_bytes,omitempty" json:"store_bytes,omitempty" range:"1,1125899906842624"`
	FSBytes              int64 `yaml:"fs_bytes,omitempty" json:"fs_bytes,omitempty" range:"1,1125899906842624"`
	MaxKeyBytes          int   `yaml:"max_key_bytes,omitempty" json:"max_key_bytes,omitempty" range:"1,1024"`
	MaxValueBytes        int   `yaml:"max_value_bytes,omitempty" json:"max_value_bytes,omitempty" range:"1,65536"`
	// MaxEvents and MaxTraceBytes cap a whole run; a run that reaches one
	// ends with verdict unknown, naming the cap.
	MaxEvents     int64 `yaml:"max_events,omitempty" json:"max_events,omitempty" range:"1,1125899906842624"`
	MaxTraceBytes int64 `yaml:"max_trace_bytes,omitempty" json:"max_trace_bytes,omitempty" range:"1,1125899906842624"`
	// InFlightBytes caps the bytes of one node's messages on their way; a
	// send past it returns -5.
	InFlightBytes int64 `yaml:"in_flight_bytes,omitempty" json:"in_flight_bytes,omitempty" range:"1,1125899906842624"`
	// InFlightMessages caps how many of one node's messages are on their
	// way at once; a send past it crashes the node.
	InFlightMessages int64 `yaml:"in_flight_messages,omitempty" json:"in_flight_messages,omitempty" range:"1,1099511627776"`
	// InitNames is the most endpoints (nodes, services, clients) whose
	// names every init document lists; past it guests read names through
	// host calls (docs/ABI.md).
	InitNames int `yaml:"init_names,omitempty" json:"init_names,omitempty" range:"1,2147483647"`
	// SharedStoreNodes is the node count from which all nodes share one
	// Badger database.
	SharedStoreNodes int `yaml:"shared_store_nodes,omitempty" json:"shared_store_nodes,omitempty" range:"1,2147483647"`
	// AttackBudget caps the adversary's actions in one run: each message
	// it records, alters, replays, forges or redirects, by a fault or an
	// attacker node's host call, spends one (docs/ABI.md, "Attacker").
	AttackBudget int64 `yaml:"attack_budget,omitempty" json:"attack_budget,omitempty" range:"1,1099511627776"`
}

// Default returns the runtime's defaults. SpinFuel stays unset: by
// default there is no spin window.
func Default() Limits {
	return Limits{
		MemoryPages: DefaultMemoryPages, Fuel: DefaultFuel, MaxMessageBytes: DefaultMaxMessageBytes, FuelPerByte: DefaultFuelPerByte,
		SendsPerCallback: DefaultSendsPerCallback, SendBytesPerCallback: DefaultSendBytesPerCallback, PendingTimers: DefaultPendingTimers,
		CallbacksPerInstant: DefaultCallbacksPerInstant, CallbacksPerSecond: DefaultCallbacksPerSecond, LogLineBytes: DefaultLogLineBytes,
		LogBytesPerCallback: DefaultLogBytesPerCallback, LogBytesPerRun: DefaultLogBytesPerRun, StoreBytes: DefaultStoreBytes,
		FSBytes: DefaultFSBytes, MaxKeyBytes: MaxKeyBytes, MaxValueBytes: MaxValueBytes, MaxEvents: DefaultMaxEvents,
		MaxTraceBytes: DefaultMaxTraceBytes, InFlightBytes: DefaultInFlightBytes, InFlightMessages: DefaultInFlightMessages,
		InitNames: DefaultInitNames, SharedStoreNodes: DefaultSharedStoreNodes, AttackBudget: DefaultAttackBudget,
	}
}

// Field describes one field of Limits: its limits: key and the range a
// set value must lie in.
type Field struct {
	Name     string
	Min, Max int64
	index    int
}

// fields is computed once from the struct tags; it is never modified.
var fields = func() []Field {
	t := reflect.TypeFor[Limits]()
	out := make([]Field, t.NumField())
	for i := range out {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		lo, hi, _ := strings.Cut(f.Tag.Get("range"), ",")
		out[i] = Field{Name: name, Min: mustInt(lo), Max: mustInt(hi), index: i}
	}
	return out
}()

func mustInt(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("limits: bad range tag %q", s))
	}
	return v
}

// Fields returns every field in declaration order (the order of the
// limits: keys in docs and messages).
func Fields() []Field { return append([]Field(nil), fields...) }

// Names returns the limits: keys in declaration order.
func Names() []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names
}

// Lookup returns the field called name (a limits: key).
func Lookup(name string) (Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Get returns the value of f in l.
func (l Limits) Get(f Field) int64 { return reflect.ValueOf(l).Field(f.index).Int() }

// With returns l with f set to v (not checked against f's range).
func (l Limits) With(f Field, v int64) Limits {
	reflect.ValueOf(&l).Elem().Field(f.index).SetInt(v)
	return l
}

// WithDefaults returns l with every unset field set to its default.
func (l Limits) WithDefaults() Limits { return l.Clamp(Default()) }

// Clamp returns l with every field above its maximum in max, and every
// unset one, set to that maximum; a field unset in max is left alone.
func (l Limits) Clamp(max Limits) Limits {
	for _, f := range fields {
		if m := max.Get(f); m > 0 {
			if v := l.Get(f); v == 0 || v > m {
				l = l.With(f, m)
			}
		}
	}
	return l
}

// Validate reports the first set field outside its range.
func (l Limits) Validate() error {
	for _, f := range fields {
		if v := l.Get(f); v != 0 && (v < f.Min || v > f.Max) {
			return fmt.Errorf("limits: %s=%d is outside [%d, %d]", f.Name, v, f.Min, f.Max)
		}
	}
	return nil
}
