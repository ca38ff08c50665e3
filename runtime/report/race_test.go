//go:build race

package report_test

// raceEnabled relaxes timing assertions under the race detector.
const raceEnabled = true
