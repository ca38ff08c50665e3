// Command gobare is a Go guest without the SDK, for the cost split of one
// Go-guest event (BenchmarkEventSplit): its on_message hands the message it
// was given straight back to its sender with one send call. What it costs
// over the WAT echo is the Go runtime's export entry and exit. Its role
// adds what the SDK's goroutine handlers pay for, one piece at a time:
//
//   - "idle": after the send, the export waits for the idle point by
//     reading /inbox, as the SDK does: one park and wake-up through Go's
//     scheduler and a poll_oneoff.
//   - "worker": the send happens in a worker goroutine, which the export
//     hands the message to over a channel before it waits for the idle
//     point: two goroutine switches more, as a Handle handler has.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gobare.wasm .
package main

import (
	"bytes"
	"os"
	"unsafe"
)

//go:wasmimport terrarium send
func hostSend(to int32, ptr unsafe.Pointer, n int32) int32

var (
	buf   []byte
	role  string
	inbox *os.File
	jobs  = make(chan job)
)

type job struct {
	from int32
	msg  []byte
}

// send hands msg back to the host; the host copies it before it returns.
func send(to int32, msg []byte) {
	hostSend(to, unsafe.Pointer(unsafe.SliceData(msg)), int32(len(msg)))
}

//go:wasmexport terrarium_abi_v1
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func abiV1() {}

//go:wasmexport alloc
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func alloc(size int32) int32 {
	if int(size) > cap(buf) {
		buf = make([]byte, size)
	}
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
}

//go:wasmexport on_init
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func onInit(ptr, n int32) {
	doc := buf[:n]
	for _, r := range []string{"idle", "worker"} {
		if bytes.Contains(doc, []byte(`"role":"`+r+`"`)) {
			role = r
		}
	}
	if role == "" {
		return
	}
	f, err := os.Open("/inbox")
	if err != nil {
		panic(err)
	}
	inbox = f
	if role == "worker" {
		go func() {
			for j := range jobs {
				send(j.from, j.msg)
			}
		}()
	}
	waitIdle()
}

func waitIdle() {
	var b [1]byte
	if _, err := inbox.Read(b[:]); err != nil {
		panic(err)
	}
}

//go:wasmexport on_message
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func onMessage(from, ptr, n int32) {
	msg := buf[:n] // ptr is buf's: alloc returned it
	switch role {
	case "":
		send(from, msg)
	case "idle":
		send(from, msg)
		waitIdle()
	case "worker":
		jobs <- job{from, msg}
		waitIdle()
	}
}

//go:wasmexport on_timer
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func onTimer(id int64) {}

//go:wasmexport on_wake
//lint:ignore U1000 the host calls it: go:wasmexport exports it, which staticcheck does not see
func onWake() { waitIdle() }

func main() {}
