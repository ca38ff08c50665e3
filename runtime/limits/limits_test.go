package limits_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/limits"
)

func TestFieldsFollowTheTags(t *testing.T) {
	names := limits.Names()
	require.Len(t, names, 24)
	assert.Equal(t, "memory_pages", names[0])
	assert.Equal(t, "attack_budget", names[len(names)-1])
	f, ok := limits.Lookup("fuel")
	require.True(t, ok)
	assert.Equal(t, int64(1000), f.Min)
	assert.Equal(t, int64(1<<63-1), f.Max)
	_, ok = limits.Lookup("pages")
	assert.False(t, ok)
	for _, f := range limits.Fields() {
		assert.LessOrEqual(t, f.Min, f.Max, f.Name)
		assert.Positive(t, f.Min, f.Name)
	}
}

func TestDefaultsAgreeWithTheABI(t *testing.T) {
	assert.Equal(t, abi.MaxKeyBytes, limits.MaxKeyBytes)
	assert.Equal(t, abi.MaxValueBytes, limits.MaxValueBytes)
	assert.Equal(t, abi.DefaultInitNames, limits.DefaultInitNames)
	require.NoError(t, limits.Default().Validate())
	assert.Zero(t, limits.Default().SpinFuel, "no spin window by default")
}

func TestGetWith(t *testing.T) {
	f, _ := limits.Lookup("store_bytes")
	l := limits.Limits{}.With(f, 7)
	assert.Equal(t, limits.Limits{StoreBytes: 7}, l)
	assert.Equal(t, int64(7), l.Get(f))
}

func TestWithDefaults(t *testing.T) {
	l := limits.Limits{Fuel: 5000}.WithDefaults()
	assert.Equal(t, int64(5000), l.Fuel, "a set field is kept")
	assert.Equal(t, limits.DefaultMemoryPages, l.MemoryPages)
	assert.Equal(t, int64(limits.DefaultMaxEvents), l.MaxEvents)
}

func TestClamp(t *testing.T) {
	max := limits.Limits{MemoryPages: 16, StoreBytes: 1 << 20}
	got := limits.Limits{MemoryPages: 100, StoreBytes: 10, Fuel: 5000}.Clamp(max)
	assert.Equal(t, limits.Limits{MemoryPages: 16, StoreBytes: 10, Fuel: 5000}, got)
	assert.Equal(t, max, limits.Limits{}.Clamp(max), "unset fields get the maximum")
}

func TestValidate(t *testing.T) {
	assert.NoError(t, limits.Limits{}.Validate(), "unset fields are valid")
	tests := []struct {
		name string
		l    limits.Limits
		want string
	}{
		{"below", limits.Limits{Fuel: 999}, "limits: fuel=999 is outside [1000, 9223372036854775807]"},
		{"above", limits.Limits{MaxKeyBytes: 1025}, "limits: max_key_bytes=1025 is outside [1, 1024]"},
		{"negative", limits.Limits{StoreBytes: -1}, "limits: store_bytes=-1 is outside [1, 1125899906842624]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.EqualError(t, tt.l.Validate(), tt.want)
		})
	}
}
