package fuel

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wabin/wasm"
)

// Options.Limits overrides a bound; its zero fields keep the defaults.
func TestLimitsOverrideTheDefaults(t *testing.T) {
	bin := funcsModule([]*wasm.FunctionType{{}}, []string{"a", "b"},
		[][]byte{{opBlock, blockTypeEmpty, opEnd, opEnd}, {opEnd}}, nil)
	_, err := InstrumentWithOptions(bin, Options{})
	require.NoError(t, err)
	_, err = InstrumentWithOptions(bin, Options{Limits: Limits{Functions: 1}})
	require.ErrorIs(t, err, ErrLimit)
	assert.EqualError(t, err, "fuel: function section at offset 0x10: 2 functions (imported and defined) exceed the limit of 1 (Limits.Functions)")
	_, err = InstrumentWithOptions(bin, Options{Limits: Limits{Depth: 1}})
	require.NoError(t, err, "one block is depth 1")
	_, err = InstrumentWithOptions(bin, Options{Limits: Limits{NestingWork: 1, Depth: 1}})
	require.NoError(t, err)
	_, err = InstrumentWithOptions(bin, Options{MemoryBytes: 65535})
	require.ErrorIs(t, err, ErrLimit, "the module's one page is over a budget of 65,535 bytes")
	assert.Contains(t, err.Error(), "the initial memory (65536 bytes) and tables (0 elements of 8 bytes) need 65536 bytes, over the memory budget of 65535 bytes")
}

// Every bound has a default: a zero would refuse every module that has the
// thing at all.
func TestEveryLimitHasADefault(t *testing.T) {
	d := reflect.ValueOf(DefaultLimits())
	for i := range d.NumField() {
		assert.Positive(t, d.Field(i).Int(), d.Type().Field(i).Name)
	}
	assert.Equal(t, DefaultLimits(), Limits{}.withDefaults())
}
