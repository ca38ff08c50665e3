package maelstrom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// Store is the node's own durable key-value store (the ABI's kv_* imports).
// (KV is the client of Maelstrom's KV services, as upstream names it.)
// It survives crashes of the node: writes made before the last Sync
// always, later ones unless the scenario loses unsynced writes. Keys are
// ordered bytewise; Scan returns them in that order.
type Store struct {
	n   *Node
	mu  sync.Mutex // guards buf
	buf []byte
}

// KVPair is one entry returned by Scan.
type KVPair struct {
	Key   string
	Value []byte
}

const kvInitialBuf = 512

// Get returns the value stored under key and whether there is one.
func (kv *Store) Get(key string) ([]byte, bool, error) {
	h := kv.n.host
	if h == nil {
		return nil, false, errNoHost
	}
	kv.mu.Lock()
	defer kv.mu.Unlock()
	v, err := kv.fill("get", func(buf []byte) int32 { return h.kvGet(key, buf) })
	if err != nil {
		return nil, false, err
	}
	if v == nil {
		return nil, false, nil
	}
	return append(make([]byte, 0, len(v)), v...), true, nil
}

// Put stores value under key.
func (kv *Store) Put(key string, value []byte) error {
	if kv.n.host == nil {
		return errNoHost
	}
	return storeErr("put", kv.n.host.kvPut(key, value))
}

// Delete removes key (no error if it is absent).
func (kv *Store) Delete(key string) error {
	if kv.n.host == nil {
		return errNoHost
	}
	return storeErr("delete", kv.n.host.kvDelete(key))
}

// Sync makes every write so far survive a crash.
func (kv *Store) Sync() error {
	if kv.n.host == nil {
		return errNoHost
	}
	return storeErr("sync", kv.n.host.kvSync())
}

// Scan returns every entry whose key starts with prefix, in key order.
func (kv *Store) Scan(prefix string) ([]KVPair, error) {
	h := kv.n.host
	if h == nil {
		return nil, errNoHost
	}
	kv.mu.Lock()
	defer kv.mu.Unlock()
	enc, err := kv.fill("scan", func(buf []byte) int32 { return h.kvScan(prefix, buf) })
	if err != nil || enc == nil {
		return nil, err
	}
	return decodeScan(append(make([]byte, 0, len(enc)), enc...))
}

// fill calls op (kv_get or kv_scan) with kv.buf, growing the buffer and calling again while the
// result does not fit. It returns the filled part of the buffer, or nil for
// "absent".
func (kv *Store) fill(name string, op func(buf []byte) int32) ([]byte, error) {
	if kv.buf == nil {
		kv.buf = make([]byte, kvInitialBuf)
	}
	for range 8 {
		rc := op(kv.buf)
		switch {
		case rc == abiAbsent:
			return nil, nil
		case rc < 0:
			return nil, storeErr(name, rc)
		case int(rc) <= len(kv.buf):
			return kv.buf[:rc], nil
		}
		kv.buf = make([]byte, rc)
	}
	return nil, errors.New("maelstrom: kv value keeps growing")
}

func storeErr(op string, rc int32) error {
	switch rc {
	case 0:
		return nil
	case abiStoreError:
		return fmt.Errorf("%w (kv %s)", ErrStore, op)
	case abiTooLarge:
		return fmt.Errorf("%w (kv %s: keys up to limits.max_key_bytes, values up to limits.max_value_bytes)", ErrTooLarge, op)
	case abiQuota:
		return fmt.Errorf("%w (kv %s)", ErrQuota, op)
	default:
		return fmt.Errorf("maelstrom: kv %s returned %d", op, rc)
	}
}

// decodeScan decodes kv_scan's encoding: repeated u32le klen, key, u32le
// vlen, value. Values alias enc.
func decodeScan(enc []byte) ([]KVPair, error) {
	var out []KVPair
	for len(enc) > 0 {
		k, rest, ok := lenPrefixed(enc)
		if !ok {
			return nil, errors.New("maelstrom: kv_scan: truncated key")
		}
		v, rest, ok := lenPrefixed(rest)
		if !ok {
			return nil, errors.New("maelstrom: kv_scan: truncated value")
		}
		out = append(out, KVPair{Key: string(k), Value: v[:len(v):len(v)]})
		enc = rest
	}
	return out, nil
}

func lenPrefixed(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if uint64(n) > uint64(len(b)) {
		return nil, nil, false
	}
	return b[:n], b[n:], true
}
