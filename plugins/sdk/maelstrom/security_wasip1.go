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

//go:wasmimport terrarium hmac_sha256
func hostHMACCall(kptr unsafe.Pointer, klen int32, mptr unsafe.Pointer, mlen int32, out unsafe.Pointer) int32

//go:wasmimport terrarium ed25519_sign
func hostSignCall(mptr unsafe.Pointer, mlen int32, out unsafe.Pointer) int32

//go:wasmimport terrarium ed25519_verify
func hostVerifyCall(pub unsafe.Pointer, mptr unsafe.Pointer, mlen int32, sig unsafe.Pointer) int32

func hostHMAC(key, msg []byte) ([]byte, error) {
	out := make([]byte, 32)
	hostHMACCall(bptr(key), int32(len(key)), bptr(msg), int32(len(msg)), bptr(out))
	return out, nil
}

func hostSign(msg []byte) ([]byte, error) {
	out := make([]byte, 64)
	if rc := hostSignCall(bptr(msg), int32(len(msg)), bptr(out)); rc < 0 {
		return nil, codeErr("ed25519_sign", rc)
	}
	return out, nil
}

func hostVerify(pub, msg, sig []byte) (bool, error) {
	return hostVerifyCall(bptr(pub), bptr(msg), int32(len(msg)), bptr(sig)) == 1, nil
}
