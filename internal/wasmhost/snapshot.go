package wasmhost

import (
	"errors"
	"fmt"
)

// GuestImage is a guest's state between two callbacks, taken by Snapshot
// and put back by Restore: its linear memory, its mutable globals (the
// module's own, which the rewriter exports, and the fuel counter) and
// what the host keeps for it across callbacks (its fuel high-water
// marks, log bytes and last idle point). It shares nothing with the
// instance it came from.
type GuestImage struct {
	module   string
	memory   []byte
	globals  []uint64
	fuel     uint64
	maxFuel  int64
	maxWhere string
	maxSpin  int64
	logBytes int64
	idle     bool
	nextWake int64
}

// Snapshot copies the guest's state between callbacks. A guest whose
// state is not all in its memory and globals is refused, with the reason:
// a command guest (its call stack lives in a suspended _start), a module
// run unmetered (its globals are not exported), and a guest that has made
// files (the host's file system would have to be copied too).
func (in *Instance) Snapshot() (*GuestImage, error) {
	switch {
	case in.closed || in.api == nil || in.api.Memory() == nil:
		return nil, errors.New("wasmhost: snapshot: the instance is closed")
	case in.cmd != nil:
		return nil, fmt.Errorf("wasmhost: snapshot of %s: a command guest's state includes the call stack of its running _start, which cannot be copied", in.mod.name)
	case in.fuelG == nil:
		return nil, fmt.Errorf("wasmhost: snapshot of %s: the module runs unmetered, so its globals are not exported for the host to copy", in.mod.name)
	case in.files != nil && !in.files.untouched():
		return nil, fmt.Errorf("wasmhost: snapshot of %s: the guest made files, and its file system is not copied", in.mod.name)
	}
	mem := in.api.Memory()
	b, ok := mem.Read(0, mem.Size())
	if !ok {
		return nil, fmt.Errorf("wasmhost: snapshot of %s: memory unreadable", in.mod.name)
	}
	img := &GuestImage{module: in.mod.name, memory: append([]byte(nil), b...), fuel: in.fuelG.Get(),
		maxFuel: in.maxFuel, maxWhere: in.maxWhere, maxSpin: in.maxSpin, logBytes: in.logBytes,
		idle: in.idle, nextWake: in.nextWake}
	for _, g := range in.globals {
		img.globals = append(img.globals, g.Get())
	}
	return img, nil
}

// Restore puts img into a fresh instance of the same module, growing its
// memory to img's size: from then on the instance runs as the one img
// was taken from would have. An image of another module, or of a larger
// memory than the instance may grow to, is refused.
func (in *Instance) Restore(img *GuestImage) error {
	if in.closed || in.api == nil || in.api.Memory() == nil {
		return errors.New("wasmhost: restore: the instance is closed")
	}
	if img.module != in.mod.name || len(img.globals) != len(in.globals) || in.fuelG == nil {
		return fmt.Errorf("wasmhost: restore: an image of module %s (%d globals) into an instance of %s (%d globals)", img.module, len(img.globals), in.mod.name, len(in.globals))
	}
	mem := in.api.Memory()
	if size := uint32(len(img.memory)); size > mem.Size() {
		if _, ok := mem.Grow((size - mem.Size()) / 65536); !ok {
			return fmt.Errorf("wasmhost: restore of %s: the memory cannot grow to %d bytes", in.mod.name, size)
		}
	} else if size < mem.Size() {
		return fmt.Errorf("wasmhost: restore of %s: the image's memory (%d bytes) is smaller than the instance's (%d)", in.mod.name, size, mem.Size())
	}
	if !mem.Write(0, img.memory) {
		return fmt.Errorf("wasmhost: restore of %s: memory unwritable", in.mod.name)
	}
	for i, g := range in.globals {
		g.Set(img.globals[i])
	}
	in.fuelG.Set(img.fuel)
	in.maxFuel, in.maxWhere, in.maxSpin, in.logBytes = img.maxFuel, img.maxWhere, img.maxSpin, img.logBytes
	in.idle, in.nextWake = img.idle, img.nextWake
	return nil
}

// SnapshotGuest is Snapshot for nodes.GuestSnapshotter.
func (in *Instance) SnapshotGuest() (any, error) { return in.Snapshot() }

// RestoreGuest is Restore for nodes.GuestSnapshotter.
func (in *Instance) RestoreGuest(img any) error {
	gi, ok := img.(*GuestImage)
	if !ok {
		return fmt.Errorf("wasmhost: restore: %T is not a Wasm guest's image", img)
	}
	return in.Restore(gi)
}
