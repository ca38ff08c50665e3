package abi

import (
	"errors"
	"fmt"
)

// The host side of ABI v1: what a node gives its guest engine, and how a
// host function ends a guest's call. The Wasm engine and native guests both
// speak it, so the nodes that host them need not know which runs.

// Host is what a node gives its guest: every effect and every source of
// nondeterminism a guest can reach goes through it. Byte slices passed to
// Host methods are views of guest memory, valid only during the call: copy
// what you keep. A method crashes the node from inside the call with Stop
// (a quota, a store failure); KVPut and KVDelete may instead return the
// errors that become codes (ErrTooLarge, ErrQuota, ErrBadKey).
type Host interface {
	// Send queues a message to the endpoint with index to; it returns 0 or
	// a negative ABI error code.
	Send(to int32, msg []byte) int32
	// TimerSet schedules on_timer after delay ns of virtual time and
	// returns the timer's id.
	TimerSet(delay int64) int64
	// TimerCancel cancels a pending timer; false if none was pending.
	TimerCancel(id int64) bool
	// Now is the node's virtual clock in ns (with its skew).
	Now() int64
	// Rand returns 64 bits of the node's seeded stream.
	Rand() uint64
	KVGet(key []byte) (val []byte, ok bool, err error)
	KVPut(key, val []byte) error
	KVDelete(key []byte) error
	// KVScan calls fn for each pair under prefix, in key order.
	KVScan(prefix []byte, fn func(k, v []byte)) error
	KVSync() error
	Log(level int32, line []byte)
	Emit(key, val []byte)
	// EndpointName returns the name of the endpoint (node, service or
	// client) with index i; false if there is none.
	EndpointName(i int32) (string, bool)
	// EndpointIndex returns the index of the endpoint called name; false
	// if there is none.
	EndpointIndex(name []byte) (int32, bool)
	// Key is the host key service: a key of kind KeySecret, KeyShared
	// (with endpoint peer) or KeyPublic (of endpoint peer), or nil and a
	// negative code (ErrnoDenied, ErrnoAbsent).
	Key(kind, peer int32) ([]byte, int32)
	// Attack carries out an attacker node's power op (AttackForge,
	// AttackReplay, AttackEavesdrop) and returns 0 or a negative code.
	Attack(op, a, b int32, msg []byte) int32
	// Recorded returns the i-th message the adversary recorded: its
	// sender's and receiver's indices and its bytes; code ErrnoAbsent past
	// the end, ErrnoDenied for a node that is not an attacker.
	Recorded(i int32) (from, to int32, msg []byte, code int32)
}

// Log levels passed to Host.Log.
const (
	LevelDebug int32 = iota
	LevelInfo
	LevelWarn
	LevelError
	// LevelStdout and LevelStderr mark lines the guest wrote through WASI.
	LevelStdout int32 = 10
	LevelStderr int32 = 11
)

// CrashError means the guest must be considered crashed: it trapped, ran out
// of fuel, exited, or broke the ABI. The instance is closed.
type CrashError struct {
	Reason string
	Err    error
}

func (e *CrashError) Error() string { return "guest crashed: " + e.Reason }
func (e *CrashError) Unwrap() error { return e.Err }

// Clock gives an instance its notion of time for WASI.
type Clock interface {
	// Nanotime is the monotonic clock in ns; it must be > 0.
	Nanotime() int64
	// Walltime is the realtime clock in ns since the Unix epoch.
	Walltime() int64
}

// fault is the panic value of Stop: a Host method (or the host function
// itself) ends the running guest call, and the node crashes with Reason.
type fault struct{ Reason string }

func (f *fault) Error() string { return f.Reason }

// Stopped reports whether r, a value recovered from a panic, is Stop's,
// and if so returns the CrashError the guest call ends with.
func Stopped(r any) (*CrashError, bool) {
	f, ok := r.(*fault)
	if !ok {
		return nil, false
	}
	return &CrashError{Reason: f.Reason, Err: f}, true
}

// Stop ends the guest call in progress from inside a Host method: the call
// fails with a CrashError carrying reason. Call it only from a Host method
// while the guest runs (a native guest's Guest methods recover it too).
func Stop(reason string) { panic(&fault{Reason: reason}) }

// Quota builds the crash reason of an exceeded quota: its name, what
// happened, and the scenario field that raises it.
func Quota(field, format string, args ...any) string {
	return fmt.Sprintf("quota %s exceeded: %s (raise limits.%s)", field, fmt.Sprintf(format, args...), field)
}

// Errors a Host's KVPut and KVDelete may return (wrapped) to make the call
// return a code: ErrTooLarge gives ErrnoTooLarge, ErrQuota ErrnoQuota and
// ErrBadKey (an empty key) ErrnoStore. Any other store error crashes the
// node.
var (
	ErrTooLarge = errors.New("wasmhost: too large")
	ErrQuota    = errors.New("wasmhost: quota exceeded")
	ErrBadKey   = errors.New("wasmhost: empty key")
)

// RecordOverhead is what each log line or emitted event costs on top of
// its bytes, so that empty lines are not free.
const RecordOverhead = 64

// StopReason returns the reason of a Stop found in err's chain.
func StopReason(err error) (string, bool) {
	var f *fault
	if errors.As(err, &f) {
		return f.Reason, true
	}
	return "", false
}
