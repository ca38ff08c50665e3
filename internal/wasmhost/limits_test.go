package wasmhost_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/runtime/limits"
)

func TestWithLimits(t *testing.T) {
	l := limits.Limits{SendsPerCallback: 100, SendBytesPerCallback: 150, PendingTimers: 200, CallbacksPerInstant: 300, CallbacksPerSecond: 350,
		LogLineBytes: 400, LogBytesPerCallback: 5000, LogBytesPerRun: 60000, StoreBytes: 1_000_000, FSBytes: 70000, MaxKeyBytes: 64, MaxValueBytes: 4096}
	assert.Equal(t, limits.Quotas{SendsPerCallback: 100, SendBytesPerCallback: 150, PendingTimers: 200, CallbacksPerInstant: 300, CallbacksPerSecond: 350, LogLineBytes: 400,
		LogBytesPerCallback: 5000, LogBytesPerRun: 60000, StoreBytes: 1_000_000, MaxKeyBytes: 64, MaxValueBytes: 4096, FSBytes: 70000},
		wasmhost.NewConfig().WithLimits(l).Quotas())
	assert.Equal(t, limits.DefaultQuotas(), wasmhost.NewConfig().WithLimits(limits.Limits{}).Quotas(), "unset limits keep the defaults")
	d := limits.Default()
	assert.Equal(t, limits.DefaultQuotas(), limits.Quotas{SendsPerCallback: d.SendsPerCallback, SendBytesPerCallback: d.SendBytesPerCallback,
		PendingTimers: d.PendingTimers, CallbacksPerInstant: d.CallbacksPerInstant, CallbacksPerSecond: d.CallbacksPerSecond, LogLineBytes: d.LogLineBytes,
		LogBytesPerCallback: d.LogBytesPerCallback, LogBytesPerRun: d.LogBytesPerRun, StoreBytes: d.StoreBytes, MaxKeyBytes: d.MaxKeyBytes,
		MaxValueBytes: d.MaxValueBytes, FSBytes: d.FSBytes}, "the engine's defaults are limits.Default")
}
