//go:build linux

package wasmhost

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSliceMemoryGrowsAndKeepsItsBytes(t *testing.T) {
	m := newSliceMemory([]byte{1, 2, 3}, 1<<20)
	b := m.Reallocate(65536)
	require.Len(t, b, 65536)
	assert.Equal(t, []byte{1, 2, 3, 0}, b[:4])
	b[65535] = 9
	b = m.Reallocate(3 * 65536)
	require.Len(t, b, 3*65536)
	assert.Equal(t, byte(9), b[65535])
	assert.Equal(t, []byte{1, 2, 3}, b[:3])
	assert.Nil(t, m.Reallocate(1<<20+1), "never past the maximum")
	assert.Len(t, m.Reallocate(1<<20), 1<<20)
}

// The image fallback copies the memory image, data segments and all.
func TestImageFallbackCopiesTheImage(t *testing.T) {
	img, err := newImage("t", []byte("hello"))
	require.NoError(t, err)
	defer img.close()
	mem := img.copied(65536)
	b := mem.Reallocate(65536)
	assert.Equal(t, "hello", string(b[:5]))
	assert.Zero(t, b[5])
}
