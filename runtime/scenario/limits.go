package scenario

import "github.com/terrarium-sim/terrarium/internal/wasmhost"

// Apply returns c with every limit the scenario sets; absent (zero) limits
// keep c's values.
func (l Limits) Apply(c wasmhost.Config) wasmhost.Config {
	q := c.Quotas()
	set := func(v int, dst *int) {
		if v > 0 {
			*dst = v
		}
	}
	set64 := func(v int64, dst *int64) {
		if v > 0 {
			*dst = v
		}
	}
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
	set(l.SendsPerCallback, &q.SendsPerCallback)
	set64(l.SendBytesPerCallback, &q.SendBytesPerCallback)
	set(l.PendingTimers, &q.PendingTimers)
	set(l.CallbacksPerInstant, &q.CallbacksPerInstant)
	set(l.CallbacksPerSecond, &q.CallbacksPerSecond)
	set(l.LogLineBytes, &q.LogLineBytes)
	set64(l.LogBytesPerCallback, &q.LogBytesPerCallback)
	set64(l.LogBytesPerRun, &q.LogBytesPerRun)
	set64(l.StoreBytes, &q.StoreBytes)
	set64(l.FSBytes, &q.FSBytes)
	set(l.MaxKeyBytes, &q.MaxKeyBytes)
	set(l.MaxValueBytes, &q.MaxValueBytes)
	return c.WithSendsPerCallback(q.SendsPerCallback).WithSendBytesPerCallback(q.SendBytesPerCallback).WithPendingTimers(q.PendingTimers).
		WithCallbacksPerInstant(q.CallbacksPerInstant).WithCallbacksPerSecond(q.CallbacksPerSecond).WithLogLineBytes(q.LogLineBytes).
		WithLogBytes(q.LogBytesPerCallback, q.LogBytesPerRun).WithStoreBytes(q.StoreBytes).WithFSBytes(q.FSBytes).
		WithKeyValueBytes(q.MaxKeyBytes, q.MaxValueBytes)
}
