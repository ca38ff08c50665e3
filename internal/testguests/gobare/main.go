// Command gobare is a Go guest without the SDK, for the cost split of one
// Go-guest event (BenchmarkEventSplit): its on_message hands the message it
// was given straight back to its sender with one send call. What it costs
// over the WAT echo is the Go runtime's export entry and exit.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gobare.wasm .
package main

import "unsafe"

//go:wasmimport terrarium send
func hostSend(to int32, ptr unsafe.Pointer, n int32) int32

var buf []byte

//go:wasmexport terrarium_abi_v1
func abiV1() {}

//go:wasmexport alloc
func alloc(size int32) int32 {
	if int(size) > cap(buf) {
		buf = make([]byte, size)
	}
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
}

//go:wasmexport on_init
func onInit(ptr, n int32) {}

//go:wasmexport on_message
func onMessage(from, ptr, n int32) {
	hostSend(from, unsafe.Pointer(uintptr(ptr)), n)
}

//go:wasmexport on_timer
func onTimer(id int64) {}

//go:wasmexport on_wake
func onWake() {}

func main() {}
