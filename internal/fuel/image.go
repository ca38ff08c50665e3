package fuel

import (
	"fmt"
	"sort"
)

// ExtractData removes the data section of a module whose segments are all
// active, in memory 0, at constant offsets, without overlaps, and returns
// the module without it together with the initial memory image those
// segments describe (bytes [0, end of the last segment)). A host can then
// map that image copy-on-write into each instance's memory instead of
// copying every segment at every instantiation. ok is false, and wasm is
// returned unchanged, when the module does not qualify (or has a data count
// section, which memory.init and data.drop need).
func ExtractData(wasm []byte) (stripped, image []byte, ok bool, err error) {
	sections, err := splitSections(wasm)
	if err != nil {
		return nil, nil, false, fmt.Errorf("fuel: %w", err)
	}
	out := make([]byte, 0, len(wasm))
	out = append(out, wasmMagic...)
	out = append(out, wasmVersion...)
	found := false
	for _, s := range sections {
		switch s.id {
		case secDataCount:
			return wasm, nil, false, nil
		case secData:
			segs, good := parseActiveData(s.payload)
			if !good {
				return wasm, nil, false, nil
			}
			image = imageOf(segs)
			found = true
		default:
			out = append(out, s.raw...)
		}
	}
	if !found {
		return wasm, nil, false, nil
	}
	return out, image, true, nil
}

// parseActiveData decodes a data section made only of active segments in
// memory 0 at constant offsets, sorted by offset and checked not to overlap.
func parseActiveData(payload []byte) ([]dataSeg, bool) {
	n, p, err := readU32(payload)
	if err != nil {
		return nil, false
	}
	segs := make([]dataSeg, 0, n)
	for range n {
		flags, k, err := readU32(payload[p:])
		if err != nil || flags != 0 {
			return nil, false
		}
		p += k
		if p >= len(payload) || payload[p] != 0x41 { // i32.const
			return nil, false
		}
		off, k, err := readS32(payload[p+1:])
		if err != nil {
			return nil, false
		}
		p += 1 + k
		if p >= len(payload) || payload[p] != 0x0b { // end
			return nil, false
		}
		p++
		size, k, err := readU32(payload[p:])
		if err != nil || uint64(p+k)+uint64(size) > uint64(len(payload)) {
			return nil, false
		}
		p += k
		segs = append(segs, dataSeg{offset: uint32(off), bytes: payload[p : p+int(size)]})
		p += int(size)
	}
	if p != len(payload) {
		return nil, false
	}
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].offset < segs[j].offset })
	for i := 1; i < len(segs); i++ {
		if uint64(segs[i-1].offset)+uint64(len(segs[i-1].bytes)) > uint64(segs[i].offset) {
			return nil, false // overlapping segments: their order matters
		}
	}
	return segs, true
}

func imageOf(segs []dataSeg) []byte {
	if len(segs) == 0 {
		return nil
	}
	last := segs[len(segs)-1]
	img := make([]byte, uint64(last.offset)+uint64(len(last.bytes)))
	for _, s := range segs {
		copy(img[s.offset:], s.bytes)
	}
	return img
}
