package wasmhost

import "github.com/terrarium-sim/terrarium/runtime/limits"

// WithLimits returns c with every engine limit that l sets (memory, fuel,
// message size, spin window and the per-node quotas); unset (zero) fields
// keep c's values. The run-wide caps of l are the simulator's.
func (c Config) WithLimits(l limits.Limits) Config {
	if l.MemoryPages > 0 {
		c = c.WithMemoryPages(uint32(l.MemoryPages))
	}
	if l.Fuel > 0 {
		c = c.WithFuel(l.Fuel)
	}
	if l.MaxMessageBytes > 0 {
		c = c.WithMaxMessage(l.MaxMessageBytes)
	}
	if l.FuelPerByte > 0 {
		c = c.WithFuelPerByte(l.FuelPerByte)
	}
	if l.SpinFuel > 0 {
		c = c.WithSpinFuel(l.SpinFuel)
	}
	q := &c.quotas
	for _, f := range []struct {
		v   int64
		dst any
	}{
		{int64(l.SendsPerCallback), &q.SendsPerCallback}, {l.SendBytesPerCallback, &q.SendBytesPerCallback},
		{int64(l.PendingTimers), &q.PendingTimers}, {int64(l.CallbacksPerInstant), &q.CallbacksPerInstant},
		{int64(l.CallbacksPerSecond), &q.CallbacksPerSecond}, {int64(l.LogLineBytes), &q.LogLineBytes},
		{l.LogBytesPerCallback, &q.LogBytesPerCallback}, {l.LogBytesPerRun, &q.LogBytesPerRun},
		{l.StoreBytes, &q.StoreBytes}, {l.FSBytes, &q.FSBytes},
		{int64(l.MaxKeyBytes), &q.MaxKeyBytes}, {int64(l.MaxValueBytes), &q.MaxValueBytes},
	} {
		if f.v <= 0 {
			continue
		}
		switch dst := f.dst.(type) {
		case *int:
			*dst = int(f.v)
		case *int64:
			*dst = f.v
		}
	}
	return c
}
