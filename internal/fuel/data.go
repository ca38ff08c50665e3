package fuel

// mergeGap is the largest run of zero bytes mergeData fills to join two
// data segments.
const mergeGap = 4096

type dataSeg struct {
	offset uint32
	bytes  []byte
}

// mergeData rewrites a data section whose segments are all active, in
// memory 0, at constant offsets, and do not overlap, so that segments
// closer than mergeGap become one (the gap filled with zeros, which is what
// a fresh memory holds). Go's linker emits tens of thousands of small
// segments, and wazero pays per segment at every instantiation. It returns
// the payload unchanged (and false) when any condition does not hold;
// segment indices only matter to memory.init and data.drop, which need a
// data count section, so the caller skips modules that have one.
func mergeData(payload []byte) ([]byte, bool) {
	segs, ok := parseActiveData(payload)
	if !ok || len(segs) < 2 {
		return payload, false
	}
	var merged []dataSeg
	for _, s := range segs {
		if len(merged) > 0 {
			last := &merged[len(merged)-1]
			end := uint64(last.offset) + uint64(len(last.bytes))
			if uint64(s.offset)-end <= mergeGap {
				last.bytes = append(last.bytes, make([]byte, uint64(s.offset)-end)...)
				last.bytes = append(last.bytes, s.bytes...)
				continue
			}
		}
		merged = append(merged, dataSeg{offset: s.offset, bytes: append([]byte(nil), s.bytes...)})
	}
	out := appendU32(nil, uint32(len(merged)))
	for _, s := range merged {
		out = append(out, 0, 0x41)
		out = appendS64(out, int64(int32(s.offset)))
		out = append(out, 0x0b)
		out = appendU32(out, uint32(len(s.bytes)))
		out = append(out, s.bytes...)
	}
	return out, true
}
