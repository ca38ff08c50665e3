package fuel

// LEB128 decoding follows the WebAssembly binary format exactly: an N-bit
// integer occupies at most ceil(N/7) bytes, and the unused bits of a
// maximal-length encoding must be zero (unsigned) or a sign extension
// (signed). Non-minimal encodings within the length limit are accepted, as the
// specification allows.
//
// The number of bytes an encoding occupies is determined by continuation bits
// alone, which is what keeps this decoder's view of instruction boundaries
// identical to the runtime's whenever both accept an encoding.

var (
	errLEBTruncated = &kindError{kind: ErrMalformed, msg: "truncated LEB128 integer"}
	errLEBTooLong   = &kindError{kind: ErrMalformed, msg: "LEB128 integer too long"}
	errLEBOverflow  = &kindError{kind: ErrMalformed, msg: "LEB128 integer overflows its type"}
)

// readU32 decodes an unsigned 32-bit LEB128 integer from the start of b and
// returns it with the number of bytes it occupies.
func readU32(b []byte) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, errLEBTruncated
		}
		c := b[i]
		if i == 4 {
			if c&0x80 != 0 {
				return 0, 0, errLEBTooLong
			}
			if c&0x70 != 0 {
				return 0, 0, errLEBOverflow
			}
		}
		v |= uint32(c&0x7f) << (7 * uint(i))
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	panic("unreachable")
}

// readS32 decodes a signed 32-bit LEB128 integer.
func readS32(b []byte) (int32, int, error) {
	v, n, err := readSigned(b, 32)
	return int32(v), n, err
}

// readS33 decodes a signed 33-bit LEB128 integer (used by block types and
// heap types).
func readS33(b []byte) (int64, int, error) {
	return readSigned(b, 33)
}

// readS64 decodes a signed 64-bit LEB128 integer.
func readS64(b []byte) (int64, int, error) {
	return readSigned(b, 64)
}

// readSigned decodes a signed LEB128 integer of the given bit width (at most
// 64) from the start of b.
func readSigned(b []byte, bits uint) (int64, int, error) {
	maxLen := int((bits + 6) / 7)
	var v int64
	var shift uint
	for i := 0; i < maxLen; i++ {
		if i >= len(b) {
			return 0, 0, errLEBTruncated
		}
		c := b[i]
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 != 0 {
			continue
		}
		if i == maxLen-1 {
			// The last byte carries `used` value bits; the bits above them
			// must all equal the sign bit (the highest value bit).
			used := bits - 7*uint(maxLen-1)
			mask := byte(0x7f) &^ (byte(1)<<(used-1) - 1)
			if m := c & mask; m != 0 && m != mask {
				return 0, 0, errLEBOverflow
			}
		}
		if shift < 64 && c&0x40 != 0 {
			v |= -1 << shift
		}
		return v, i + 1, nil
	}
	return 0, 0, errLEBTooLong
}

// appendU32 appends the minimal unsigned LEB128 encoding of v.
func appendU32(dst []byte, v uint32) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// appendS64 appends the minimal signed LEB128 encoding of v.
func appendS64(dst []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}
