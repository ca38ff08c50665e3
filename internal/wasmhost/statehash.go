package wasmhost

import (
	"encoding/binary"
	"errors"
	"io"
	"strconv"

	"github.com/cespare/xxhash/v2"
	"github.com/tetratelabs/wazero/api"

	"github.com/terrarium-sim/terrarium/internal/fuel"
)

// HashState writes the guest's linear memory's size and its 64-bit
// xxHash, for a state hash (nodes.StateHasher). SHA-256 over the memory
// itself cost 5 ms a point for two WAT nodes (95% of a pruning search's
// CPU); xxHash reads memory at several times the speed, and a collision
// among the states of one search (2^-64 a pair) is far rarer than the
// state the hash leaves out. Globals the module does not export are not
// visible here; a guest's stack pointer moves with its memory, so two
// states that differ only there are rare (and counted as one).
func (in *Instance) HashState(w io.Writer) error {
	if in.closed || in.api == nil || in.api.Memory() == nil {
		return errors.New("no memory to hash: the instance is closed")
	}
	mem := in.api.Memory()
	size := mem.Size()
	b, ok := mem.Read(0, size)
	if !ok {
		return errors.New("memory unreadable")
	}
	var out [16]byte
	binary.LittleEndian.PutUint64(out[:], uint64(size))
	binary.LittleEndian.PutUint64(out[8:], xxhash.Sum64(b))
	buf := out[:]
	for _, g := range in.globals {
		buf = binary.LittleEndian.AppendUint64(buf, g.Get())
	}
	_, err := w.Write(buf)
	return err
}

// exportedGlobals returns the module's mutable globals the rewriter
// exported, terrarium_global_0 on, in order.
func exportedGlobals(mod api.Module) []api.MutableGlobal {
	var gs []api.MutableGlobal
	for k := 0; ; k++ {
		g, ok := mod.ExportedGlobal(fuel.GlobalExportPrefix + strconv.Itoa(k)).(api.MutableGlobal)
		if !ok {
			return gs
		}
		gs = append(gs, g)
	}
}
