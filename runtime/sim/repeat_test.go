package sim_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// idleSim is a simulation of one echo node that nothing talks to.
func idleSim(t *testing.T) *sim.Sim {
	t.Helper()
	s, err := sim.New(context.Background(), sim.NewConfig().WithEngine(sim.Engine{CacheDir: t.TempDir()}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.LoadModule("echo", wasm(t, "echo")))
	_, err = s.AddNodes(sim.NodeSpec{Name: "n0", Module: "echo"})
	require.NoError(t, err)
	return s
}

// order runs a simulation whose schedule is set by plan and
// returns the order in which its functions ran.
func order(t *testing.T, plan func(s *sim.Sim, log func(string) func())) []string {
	t.Helper()
	s := idleSim(t)
	var got []string
	plan(s, func(name string) func() {
		return func() { got = append(got, fmt.Sprintf("%s@%v", name, s.Now())) }
	})
	require.NoError(t, s.RunUntil(time.Second))
	return got
}

// Repeat ties with other events exactly as the loop of At calls it
// replaces, including events queued by each occurrence and events queued
// before and after it at the same instants.
func TestRepeatOrdersLikeEagerAt(t *testing.T) {
	const first, every, stop = 10 * time.Millisecond, 10 * time.Millisecond, 55 * time.Millisecond
	plan := func(repeat bool) func(s *sim.Sim, log func(string) func()) {
		return func(s *sim.Sim, log func(string) func()) {
			s.At(20*time.Millisecond, log("before"))
			strike := func() {
				log("strike")()
				s.After(0, log("heal"))
				s.After(10*time.Millisecond, log("late-heal"))
			}
			if repeat {
				s.Repeat(first, every, stop, strike)
			} else {
				for at := first; at < stop; at += every {
					s.At(at, strike)
				}
			}
			s.At(30*time.Millisecond, log("after"))
			s.At(50*time.Millisecond, log("after"))
		}
	}
	want := order(t, plan(false))
	require.Len(t, want, 5*3+3)
	assert.Equal(t, want, order(t, plan(true)))
}

// However many occurrences a Repeat has, one of them is queued at a time.
func TestRepeatQueuesOneOccurrence(t *testing.T) {
	s := idleSim(t)
	require.NoError(t, s.Start())
	base := s.Pending()
	n := 0
	s.Repeat(time.Microsecond, time.Microsecond, time.Hour, func() { n++ })
	assert.Equal(t, base+1, s.Pending())
	require.NoError(t, s.RunUntil(time.Millisecond))
	assert.Equal(t, 1000, n)
	assert.Equal(t, 1, s.Pending())
	s.Repeat(time.Second, time.Second, time.Second, func() { n++ }) // first at stop: nothing
	assert.Equal(t, 1, s.Pending())
}
