package wasmhost

import (
	"fmt"
	"unsafe"

	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sys/unix"
)

// memImage is a module's initial memory (its data segments laid out) in a
// memfd. Each instance maps it copy-on-write at the start of its linear
// memory: instantiation copies nothing, and pages no instance writes stay
// shared between all the nodes running the module.
type memImage struct {
	fd   int
	size int
}

const imageSupported = true

func newImage(name string, img []byte) (*memImage, error) {
	fd, err := unix.MemfdCreate("terrarium-"+name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("wasmhost: memfd for %s: %w", name, err)
	}
	for off := 0; off < len(img); {
		n, err := unix.Pwrite(fd, img[off:], int64(off))
		if err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("wasmhost: memory image of %s: %w", name, err)
		}
		off += n
	}
	return &memImage{fd: fd, size: len(img)}, nil
}

func (m *memImage) close() { unix.Close(m.fd) }

// Allocate implements experimental.MemoryAllocator.
func (m *memImage) Allocate(capacity, max uint64) experimental.LinearMemory {
	if max == 0 || max > 1<<32 || max < uint64(m.size) {
		return nil
	}
	b, err := unix.Mmap(-1, 0, int(max), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil {
		return m.copied(max) // out of mappings (vm.max_map_count)
	}
	if m.size > 0 {
		length := (uintptr(m.size) + uintptr(unix.Getpagesize()) - 1) &^ (uintptr(unix.Getpagesize()) - 1)
		if _, err := unix.MmapPtr(m.fd, 0, unsafe.Pointer(&b[0]), length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED); err != nil {
			_ = unix.Munmap(b)
			return m.copied(max)
		}
	}
	return &imageMemory{buf: b}
}

// copied returns a memory in a Go slice holding a copy of the image, for
// when the kernel refuses the mappings.
func (m *memImage) copied(max uint64) experimental.LinearMemory {
	img := make([]byte, m.size)
	for off := 0; off < len(img); {
		n, err := unix.Pread(m.fd, img[off:], int64(off))
		if err != nil || n == 0 {
			// wazero has no way to fail an allocation: this is a host
			// failure, not the guest's.
			panic(fmt.Sprintf("wasmhost: reading the memory image back: %v (read %d)", err, n))
		}
		off += n
	}
	return newSliceMemory(img, max)
}

type imageMemory struct{ buf []byte }

func (im *imageMemory) Reallocate(size uint64) []byte {
	if im.buf == nil || size > uint64(len(im.buf)) {
		return nil
	}
	return im.buf[:size]
}

func (im *imageMemory) Free() {
	if im.buf != nil {
		_ = unix.Munmap(im.buf)
		im.buf = nil
	}
}
