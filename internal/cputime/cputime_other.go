//go:build !unix

// Package cputime reads the CPU time this process has used, for
// benchmarks that report CPU per operation beside wall time (a figure
// that holds up on a machine shared with other work).
package cputime

import "time"

// Self returns 0: CPU time is not read on this system.
func Self() time.Duration { return 0 }
