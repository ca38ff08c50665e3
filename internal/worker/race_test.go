//go:build race

package worker

// raceEnabled: the race detector reserves memory that RLIMIT_DATA refuses.
const raceEnabled = true
