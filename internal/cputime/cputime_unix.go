//go:build unix

// Package cputime reads the CPU time this process has used, for
// benchmarks that report CPU per operation beside wall time (a figure
// that holds up on a machine shared with other work).
package cputime

import (
	"syscall"
	"time"
)

// Self returns the CPU time (user and system) this process has used, or 0
// where it cannot be read.
func Self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
