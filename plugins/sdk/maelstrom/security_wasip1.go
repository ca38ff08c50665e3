//go:build wasip1

package maelstrom

import "unsafe"

//go:wasmimport terrarium key
func hostKeyCall(kind, peer int32, ptr unsafe.Pointer, n int32) int32

//go:wasmimport terrarium attack
func hostAttackCall(op, a, b int32, ptr unsafe.Pointer, n int32) int32

//go:wasmimport terrarium recorded
func hostRecordedCall(i int32, ptr unsafe.Pointer, n int32) int32

func hostKey(kind, peer int32) ([]byte, error) {
	buf := make([]byte, 32)
	rc := hostKeyCall(kind, peer, bptr(buf), int32(len(buf)))
	if rc < 0 {
		return nil, codeErr("key", rc)
	}
	return buf[:rc], nil
}

func hostAttack(op, a, b int32, msg []byte) int32 {
	return hostAttackCall(op, a, b, bptr(msg), int32(len(msg)))
}

func hostRecorded(i int32) ([]byte, error) {
	buf := make([]byte, 512)
	for {
		rc := hostRecordedCall(i, bptr(buf), int32(len(buf)))
		if rc < 0 {
			return nil, codeErr("recorded", rc)
		}
		if int(rc) <= len(buf) {
			return buf[:rc], nil
		}
		buf = make([]byte, rc)
	}
}
