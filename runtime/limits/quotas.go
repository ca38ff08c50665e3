package limits

// Quotas are the per-node bounds a node enforces (docs/ABI.md, "Limits").
// Every one is counted in guest actions, never in wall time.
type Quotas struct {
	SendsPerCallback     int
	SendBytesPerCallback int64
	PendingTimers        int
	CallbacksPerInstant  int
	CallbacksPerSecond   int
	LogLineBytes         int
	LogBytesPerCallback  int64
	LogBytesPerRun       int64
	StoreBytes           int64
	MaxKeyBytes          int
	MaxValueBytes        int
	FSBytes              int64
}

// DefaultQuotas returns the default quotas.
func DefaultQuotas() Quotas {
	return Quotas{
		SendsPerCallback:     DefaultSendsPerCallback,
		SendBytesPerCallback: DefaultSendBytesPerCallback,
		PendingTimers:        DefaultPendingTimers,
		CallbacksPerInstant:  DefaultCallbacksPerInstant,
		CallbacksPerSecond:   DefaultCallbacksPerSecond,
		LogLineBytes:         DefaultLogLineBytes,
		LogBytesPerCallback:  DefaultLogBytesPerCallback,
		LogBytesPerRun:       DefaultLogBytesPerRun,
		StoreBytes:           DefaultStoreBytes,
		MaxKeyBytes:          MaxKeyBytes,
		MaxValueBytes:        MaxValueBytes,
		FSBytes:              DefaultFSBytes,
	}
}
