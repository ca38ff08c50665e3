package abi_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/abi"
)

func TestStoppedTellsStopFromOtherPanics(t *testing.T) {
	recovered := func(fn func()) (r any) {
		defer func() { r = recover() }()
		fn()
		return nil
	}
	ce, ok := abi.Stopped(recovered(func() { abi.Stop("quota: too many timers") }))
	require.True(t, ok)
	assert.Equal(t, "quota: too many timers", ce.Reason)

	_, ok = abi.Stopped(recovered(func() { panic("a bug") }))
	assert.False(t, ok, "a panic that is not Stop's is not a guest's crash")
}
