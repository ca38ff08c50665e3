package nodes

import (
	"encoding/binary"
	"fmt"
	"io"
	"sort"
)

// StateHasher is a guest whose state can be written out for a state hash
// (a breadth-first search's distinct-state pruning): a Wasm guest writes
// its linear memory. A guest that is not one adds nothing to its node's
// hash.
type StateHasher interface {
	HashState(w io.Writer) error
}

// HashState writes what the node's future depends on, beside the events
// queued for it: its lifecycle state, incarnation, timer counter, the
// guest's state and the store's contents, durable and buffered apart.
func (n *Node) HashState(w io.Writer) error {
	var hdr [8 * 4]byte
	binary.LittleEndian.PutUint64(hdr[0:], uint64(n.state))
	binary.LittleEndian.PutUint64(hdr[8:], uint64(n.incarnation))
	binary.LittleEndian.PutUint64(hdr[16:], uint64(n.nextTimer))
	binary.LittleEndian.PutUint64(hdr[24:], uint64(n.skew))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	if g, ok := n.guest.(StateHasher); ok && n.state == Running {
		if err := g.HashState(w); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	if n.store == nil {
		return nil
	}
	if err := n.store.HashState(w); err != nil {
		return fmt.Errorf("node %s's store: %w", n.Name, err)
	}
	return nil
}

// HashState writes the store's contents as the node reads them, then the
// keys written since the last Sync (what a crash with lose_unsynced
// loses), in key order. While nothing has reached Badger (synced == 0,
// the common case in a short run: syncs collect in pend) both come from
// the store's own maps; reading Badger costs a transaction, whose read
// timestamp waits on Badger's watermark goroutine.
func (s *Store) HashState(w io.Writer) error {
	if s.synced == 0 {
		return hashOps(w, s.pend, s.buf)
	}
	var werr error
	put := func(b []byte) {
		var n [4]byte
		binary.LittleEndian.PutUint32(n[:], uint32(len(b)))
		if werr == nil {
			_, werr = w.Write(n[:])
		}
		if werr == nil {
			_, werr = w.Write(b)
		}
	}
	if err := s.Scan(nil, func(k, v []byte) { put(k); put(v) }); err != nil {
		return err
	}
	keys := make([]string, 0, len(s.buf))
	for k := range s.buf {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		put([]byte(k))
	}
	return werr
}

// hashOps writes each map's operations in key order, a map after the
// other: key, then the value or a deletion mark.
func hashOps(w io.Writer, maps ...map[string]bufOp) error {
	for _, m := range maps {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			op := m[k]
			var hdr [9]byte
			binary.LittleEndian.PutUint32(hdr[0:], uint32(len(k)))
			binary.LittleEndian.PutUint32(hdr[4:], uint32(len(op.val)))
			if op.del {
				hdr[8] = 1
			}
			if _, err := w.Write(hdr[:]); err != nil {
				return err
			}
			if _, err := io.WriteString(w, k); err != nil {
				return err
			}
			if _, err := w.Write(op.val); err != nil {
				return err
			}
		}
		if _, err := w.Write([]byte{0xff}); err != nil {
			return err
		}
	}
	return nil
}
