package cputime_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/internal/cputime"
)

func TestSelfGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("CPU time is not read here")
	}
	before := cputime.Self()
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	assert.NotZero(t, x)
	assert.Greater(t, cputime.Self(), before, "CPU time must grow after a busy loop")
}
