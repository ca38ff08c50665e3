package maelstrom

import (
	"errors"

	"github.com/terrarium-sim/terrarium/runtime/abi"
)

// host is what the SDK needs from the simulator: the terrarium import
// module of ABI v1. On GOOS=wasip1 it is the real imports (abi_wasip1.go);
// elsewhere a Node has no host and the calls that need one fail with
// errNoHost. Every method copies what it is given before it returns.
type host interface {
	send(to int32, msg []byte) int32
	now() int64
	log(level Level, line []byte)
	emit(key string, value []byte)
	kvGet(key string, buf []byte) int32
	kvPut(key string, value []byte) int32
	kvDelete(key string) int32
	kvScan(prefix string, buf []byte) int32
	kvSync() int32
	// timerSet arms a host timer that fires on_timer after delay ns of
	// virtual time and returns its id (> 0).
	timerSet(delay int64) int64
	// nodeName copies endpoint i's name into buf and returns its length
	// (-1: no such index; more than len(buf): nothing copied).
	nodeName(i int32, buf []byte) int32
	// nodeIndex returns the index of the endpoint called name, -1 if none.
	nodeIndex(name string) int32
	// stop ends the node with reason as its crash reason; on wasip1 it
	// does not return.
	stop(reason string)
	// handlerPanicked tells the host, as a panic unwinds a handler, which
	// message type's handler it was; the runtime prints the panic next.
	handlerPanicked(typ string)
}

// Error codes of the ABI's imports.
const (
	abiAbsent     = abi.ErrnoAbsent
	abiUnknownDst = abi.ErrnoNoDest
	abiTooLarge   = abi.ErrnoTooLarge
	abiStoreError = abi.ErrnoStore
	abiQuota      = abi.ErrnoQuota
)

var (
	errNoHost = errors.New("maelstrom: not running inside Terrarium (build with GOOS=wasip1 GOARCH=wasm)")

	// ErrUnknownDestination: Send to a name that is neither a node nor a client.
	ErrUnknownDestination = errors.New("maelstrom: unknown destination")
	// ErrTooLarge: the host refused a message larger than its limit.
	ErrTooLarge = errors.New("maelstrom: message larger than the host's limit")
	// ErrStore: the node's store refused the key (it is empty).
	ErrStore = errors.New("maelstrom: store error")
	// ErrQuota: the write would take the node's store past its quota
	// (limits.store_bytes).
	ErrQuota = errors.New("maelstrom: store quota exceeded (limits.store_bytes)")
	// ErrInFlight: the node already has limits.in_flight_bytes of messages
	// on their way; nothing was sent. Retry once some have landed.
	ErrInFlight = errors.New("maelstrom: too many bytes in flight (limits.in_flight_bytes)")
)
