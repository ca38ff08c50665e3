package fuel

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wabin/leb128"
)

func TestReadU32(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want uint32
		n    int
		err  error
	}{
		{"zero", []byte{0}, 0, 1, nil},
		{"one byte max", []byte{0x7f}, 127, 1, nil},
		{"two bytes", []byte{0x80, 0x01}, 128, 2, nil},
		{"non-minimal zero", []byte{0x80, 0x80, 0x00}, 0, 3, nil},
		{"max", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, math.MaxUint32, 5, nil},
		{"trailing bytes ignored", []byte{0x05, 0xff}, 5, 1, nil},
		{"empty", nil, 0, 0, errLEBTruncated},
		{"truncated", []byte{0x80, 0x80}, 0, 0, errLEBTruncated},
		{"unused bits set", []byte{0xff, 0xff, 0xff, 0xff, 0x1f}, 0, 0, errLEBOverflow},
		{"six bytes", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, 0, errLEBTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, n, err := readU32(tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.ErrorIs(t, err, ErrMalformed)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, v)
			assert.Equal(t, tc.n, n)
		})
	}
}

func TestReadSigned(t *testing.T) {
	tests := []struct {
		name string
		bits uint
		in   []byte
		want int64
		n    int
		err  error
	}{
		{"s32 zero", 32, []byte{0}, 0, 1, nil},
		{"s32 minus one", 32, []byte{0x7f}, -1, 1, nil},
		{"s32 minus 64 is 0x40", 32, []byte{0x40}, -64, 1, nil},
		{"s32 64 needs two bytes", 32, []byte{0xc0, 0x00}, 64, 2, nil},
		{"s32 non-minimal minus one", 32, []byte{0xff, 0x7f}, -1, 2, nil},
		{"s32 max", 32, []byte{0xff, 0xff, 0xff, 0xff, 0x07}, math.MaxInt32, 5, nil},
		{"s32 min", 32, []byte{0x80, 0x80, 0x80, 0x80, 0x78}, math.MinInt32, 5, nil},
		{"s32 overflow positive", 32, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 0, 0, errLEBOverflow},
		{"s32 overflow negative", 32, []byte{0x80, 0x80, 0x80, 0x80, 0x70}, 0, 0, errLEBOverflow},
		{"s32 too long", 32, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, 0, errLEBTooLong},
		{"s32 truncated", 32, []byte{0x80}, 0, 0, errLEBTruncated},
		{"s33 type index", 33, []byte{0x05}, 5, 1, nil},
		{"s33 max", 33, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 1<<32 - 1, 5, nil},
		{"s33 min", 33, []byte{0x80, 0x80, 0x80, 0x80, 0x70}, -(1 << 32), 5, nil},
		{"s33 overflow", 33, []byte{0xff, 0xff, 0xff, 0xff, 0x1f}, 0, 0, errLEBOverflow},
		{"s33 continuation on fifth byte", 33, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, 0, errLEBTooLong},
		{"s64 max", 64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}, math.MaxInt64, 10, nil},
		{"s64 min", 64, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}, math.MinInt64, 10, nil},
		{"s64 overflow", 64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 0, 0, errLEBOverflow},
		{"s64 too long", 64, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, 0, errLEBTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, n, err := readSigned(tc.in, tc.bits)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, v)
			assert.Equal(t, tc.n, n)
		})
	}
}

func TestLEBRoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, 127, 128, 1 << 20, -(1 << 20),
		math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64} {
		enc := appendS64(nil, v)
		got, n, err := readS64(enc)
		require.NoError(t, err, v)
		assert.Equal(t, v, got)
		assert.Equal(t, len(enc), n)
		assert.Equal(t, leb128.EncodeInt64(v), enc, "minimal encoding")
	}
	for _, v := range []uint32{0, 1, 127, 128, 16383, 16384, math.MaxUint32} {
		enc := appendU32(nil, v)
		got, n, err := readU32(enc)
		require.NoError(t, err, v)
		assert.Equal(t, v, got)
		assert.Equal(t, len(enc), n)
		assert.Equal(t, leb128.EncodeUint32(v), enc, "minimal encoding")
	}
}
