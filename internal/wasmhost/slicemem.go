package wasmhost

// sliceMemory is a linear memory in an ordinary Go slice that grows by
// copying, as wazero's own default does. The mmap allocators fall back to
// it when the kernel refuses another mapping: a process may hold only
// vm.max_map_count mappings (65,530 by default), and each node's reserved
// memory is one, so a run of 100,000 tiny nodes would otherwise fail to
// instantiate most of them.
type sliceMemory struct {
	buf []byte
	max uint64
}

// newSliceMemory returns a memory of at most max bytes whose first bytes
// are init (a module's memory image; nil for none).
func newSliceMemory(init []byte, max uint64) *sliceMemory {
	return &sliceMemory{buf: append([]byte(nil), init...), max: max}
}

// Reallocate implements experimental.LinearMemory.
func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size > m.max {
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	grown := make([]byte, size, min(m.max, max(size, 2*uint64(cap(m.buf)))))
	copy(grown, m.buf)
	m.buf = grown
	return m.buf
}

// Free implements experimental.LinearMemory.
func (m *sliceMemory) Free() { m.buf = nil }
