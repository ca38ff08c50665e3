package main

import (
	"bytes"
	"os"
	"runtime"
	"sync"
	"unsafe"
)

//go:wasmimport terrarium send
func hostSend(to int32, ptr unsafe.Pointer, n int32) int32

var buf []byte
var role string
var mu sync.Mutex
var m = map[string]int{"n0": 0, "n1": 1, "n2": 2}

//go:wasmexport terrarium_abi_v1
func abiV1() {}

//go:wasmexport alloc
func alloc(size int32) int32 {
	if role == "A" || role == "ALL" || role == "AG" {
		buf = make([]byte, size)
	} else if int(size) > cap(buf) {
		buf = make([]byte, size)
	}
	return int32(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
}

var idle = make(chan struct{})

//go:wasmexport on_init
func onInit(ptr, n int32) {
	doc := buf[:n]
	for _, r := range []string{"ALL", "AG", "A", "B", "C", "D", "E"} {
		if bytes.Contains(doc, []byte(`"role":"`+r+`"`)) {
			role = r
			break
		}
	}
	if role == "D" || role == "ALL" || role == "AG" {
		go func() { <-idle }()
		go func() { select {} }()
	}
	if role == "E" || role == "ALL" {
		f, err := os.Open("/inbox")
		if err != nil {
			panic(err)
		}
		go func() {
			var b [16]byte
			for {
				f.Read(b[:])
				idle <- struct{}{}
			}
		}()
		<-idle
	}
}

//go:wasmexport on_message
func onMessage(from, ptr, n int32) {
	if role == "B" || role == "ALL" || role == "AG" {
		_ = runtime.NumGoroutine()
		_ = runtime.NumGoroutine()
	}
	if role == "C" || role == "ALL" || role == "AG" {
		mu.Lock()
		_ = m[string(buf[2:4])]
		mu.Unlock()
		mu.Lock()
		_ = m[string(buf[4:6])]
		mu.Unlock()
	}
	hostSend(from, unsafe.Pointer(uintptr(ptr)), n)
}

//go:wasmexport on_timer
func onTimer(id int64) {}

//go:wasmexport on_wake
func onWake() {}

func main() {}
