//go:build wasip1

package maelstrom

import (
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/terrarium-sim/terrarium/runtime/abi"
)

// The terrarium import module, typed as docs/ABI.md types it.

//go:wasmimport terrarium send
func hostSend(to int32, ptr unsafe.Pointer, n int32) int32

//go:wasmimport terrarium now
func hostNow() int64

//go:wasmimport terrarium log
func hostLog(level int32, ptr unsafe.Pointer, n int32)

//go:wasmimport terrarium emit
func hostEmit(kptr unsafe.Pointer, klen int32, ptr unsafe.Pointer, n int32)

//go:wasmimport terrarium timer_set
func hostTimerSet(delay int64) int64

//go:wasmimport terrarium kv_get
func hostKVGet(kptr unsafe.Pointer, klen int32, vptr unsafe.Pointer, vcap int32) int32

//go:wasmimport terrarium kv_put
func hostKVPut(kptr unsafe.Pointer, klen int32, vptr unsafe.Pointer, vlen int32) int32

//go:wasmimport terrarium kv_delete
func hostKVDelete(kptr unsafe.Pointer, klen int32) int32

//go:wasmimport terrarium kv_scan
func hostKVScan(pptr unsafe.Pointer, plen int32, bptr unsafe.Pointer, bcap int32) int32

//go:wasmimport terrarium kv_sync
func hostKVSync() int32

//go:wasmimport terrarium node_name
func hostNodeName(i int32, ptr unsafe.Pointer, n int32) int32

//go:wasmimport terrarium node_index
func hostNodeIndex(ptr unsafe.Pointer, n int32) int32

func bptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }
func sptr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

type wasmHost struct{}

func (wasmHost) send(to int32, msg []byte) int32 { return hostSend(to, bptr(msg), int32(len(msg))) }
func (wasmHost) now() int64                      { return hostNow() }
func (wasmHost) log(level Level, line []byte)    { hostLog(int32(level), bptr(line), int32(len(line))) }
func (wasmHost) emit(key string, value []byte) {
	hostEmit(sptr(key), int32(len(key)), bptr(value), int32(len(value)))
}
func (wasmHost) kvGet(key string, buf []byte) int32 {
	return hostKVGet(sptr(key), int32(len(key)), bptr(buf), int32(len(buf)))
}
func (wasmHost) kvPut(key string, value []byte) int32 {
	return hostKVPut(sptr(key), int32(len(key)), bptr(value), int32(len(value)))
}
func (wasmHost) kvDelete(key string) int32 { return hostKVDelete(sptr(key), int32(len(key))) }
func (wasmHost) kvScan(prefix string, buf []byte) int32 {
	return hostKVScan(sptr(prefix), int32(len(prefix)), bptr(buf), int32(len(buf)))
}
func (wasmHost) kvSync() int32              { return hostKVSync() }
func (wasmHost) timerSet(delay int64) int64 { return hostTimerSet(delay) }
func (wasmHost) nodeName(i int32, buf []byte) int32 {
	return hostNodeName(i, bptr(buf), int32(len(buf)))
}
func (wasmHost) nodeIndex(name string) int32 { return hostNodeIndex(sptr(name), int32(len(name))) }

// stop names the crash reason on stderr and exits (docs/ABI.md, "Crash
// reasons").
func (wasmHost) stop(reason string) {
	_, _ = os.Stderr.WriteString(abi.CrashReasonPrefix + strings.ReplaceAll(reason, "\n", " ") + "\n")
	os.Exit(1)
}

// handlerPanicked writes the line that names the panicking handler just
// before Go's runtime prints the panic (docs/ABI.md, "Crash reasons").
func (wasmHost) handlerPanicked(typ string) {
	_, _ = os.Stderr.WriteString(abi.HandlerPanicPrefix + strconv.Quote(typ) + "\n")
}

func init() { global.host = wasmHost{} }

// In c-shared mode the Go runtime does not run main.main; on_init starts
// it as a goroutine.
//
//go:linkname mainMain main.main
func mainMain()

// The idle point. When every goroutine is blocked, Go's scheduler calls
// poll_oneoff with the inbox's read subscription (and the next timer as a
// clock subscription); the host then makes /inbox readable with one byte.
// The export waiting in waitIdle is the one reading /inbox: it takes the
// byte and returns to the host. Reading in the export's own goroutine, not
// in a reader goroutine that hands the byte on over a channel, saves two
// goroutine switches per idle point, each of which unwinds and rewinds the
// Wasm stack.
//
// A HandleInline handler that blocks leaves nobody reading /inbox: when
// the node then goes idle, the host sees a poll without the inbox and
// crashes the node, naming the contract (docs/ABI.md, "Idle points").
var inbox *os.File

// waitIdle blocks the calling export until the node is idle.
func waitIdle() {
	var b [1]byte
	if _, err := inbox.Read(b[:]); err != nil {
		panic("maelstrom: reading /inbox: " + err.Error())
	}
}

// allocBuf is the buffer alloc handed out last. alloc makes a new one on
// every call, so that on_init and on_message can keep it (as the message
// body's storage) instead of copying it.
var allocBuf []byte

//go:wasmexport terrarium_abi_v1
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func abiV1() {}

//go:wasmexport alloc
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func alloc(size int32) int32 {
	allocBuf = make([]byte, max(size, 1))
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(allocBuf))))
}

// input takes the (ptr, n) argument of an export, which must be the buffer
// alloc returned last.
func input(export string, ptr, n int32) []byte {
	b := allocBuf
	allocBuf = nil
	if b == nil || n < 0 || int(n) > len(b) || uintptr(uint32(ptr)) != uintptr(unsafe.Pointer(unsafe.SliceData(b))) {
		panic("maelstrom: " + export + ": (ptr, len) is not the buffer alloc returned last")
	}
	return b[:n:n]
}

//go:wasmexport on_init
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func onInit(ptr, n int32) {
	if err := global.setup(input("on_init", ptr, n)); err != nil {
		panic(err.Error())
	}
	f, err := os.Open("/inbox")
	if err != nil {
		panic("maelstrom: opening /inbox: " + err.Error())
	}
	inbox = f
	go mainMain()
	waitIdle()
}

//go:wasmexport on_message
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func onMessage(from, ptr, n int32) {
	if global.deliver(from, input("on_message", ptr, n)) {
		waitIdle()
	}
}

//go:wasmexport on_wake
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func onWake() { waitIdle() }

// on_timer runs a TickInline function; Go's own timers (time.Sleep,
// time.Ticker) run on virtual time through the idle point, not here.
//
//go:wasmexport on_timer
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func onTimer(id int64) {
	if global.fire(id) {
		waitIdle()
	}
}

// Run hands control to the host: it runs the "init" handler if one is
// registered and then blocks forever; messages, timers and goroutines keep
// running. It never returns.
func (n *Node) Run() error {
	n.runInitHandler()
	select {}
}
