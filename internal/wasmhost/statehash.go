package wasmhost

import (
	"encoding/binary"
	"errors"
	"io"
)

// HashState writes the guest's linear memory, size first, for a state
// hash (nodes.StateHasher). Globals the module does not export are not
// visible here; a guest's stack pointer moves with its memory, so two
// states that differ only there are rare (and counted as one).
func (in *Instance) HashState(w io.Writer) error {
	if in.closed || in.api == nil || in.api.Memory() == nil {
		return errors.New("no memory to hash: the instance is closed")
	}
	mem := in.api.Memory()
	size := mem.Size()
	var hdr [8]byte
	binary.LittleEndian.PutUint64(hdr[:], uint64(size))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	b, ok := mem.Read(0, size)
	if !ok {
		return errors.New("memory unreadable")
	}
	_, err := w.Write(b)
	return err
}
