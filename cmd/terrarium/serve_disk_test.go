package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"4096", 4096}, {"64KiB", 64 << 10}, {"512MiB", 512 << 20}, {"4GiB", 4 << 30}, {"2 GB", 2 << 30}, {"10M", 10 << 20}, {"0", 0}} {
		n, err := parseBytes(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, n, c.in)
	}
	for _, bad := range []string{"", "-1", "4TiB", "1.5GiB", "GiB", "9999999999GiB"} {
		_, err := parseBytes(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "is not a size in bytes", bad)
	}
}
