package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// floodRun runs the hostile module beside two good ticker nodes (as
// hostileRun) on a jittered 1 ms network, so that a flood's messages land
// at many instants and callbacks_per_instant cannot catch it. The run-wide
// event cap is far above what the per-node caps allow and far below the
// default: a flood that reaches it fails the test (instead of filling the
// machine).
func floodRun(t *testing.T, module string, cfg sim.Config, workers int) *sim.Sim {
	t.Helper()
	link := netsim.Link{Latency: netsim.Latency{Dist: netsim.DistNormal, Mean: time.Millisecond, Stddev: 200 * time.Microsecond, Min: 500 * time.Microsecond}}
	s := newSim(t, cfg.WithSeed(3).WithNetwork(link).WithMaxEvents(3_000_000).WithWorkers(workers))
	require.NoError(t, s.LoadModule("good", wasm(t, "ticker")))
	require.NoError(t, s.LoadModule("bad", wasm(t, module)))
	for _, spec := range []sim.NodeSpec{{Name: "good0", Module: "good"}, {Name: "h", Module: "bad"}, {Name: "good2", Module: "good"}} {
		_, err := s.AddNodes(spec)
		require.NoError(t, err)
	}
	require.NoError(t, s.RunFor(2*time.Second), "the hostile node must crash before the run reaches its event cap")
	return s
}

// Reference: issue 15, "CLI": a node that answers every message to itself
// with two more (the self-flood of selfflood.wat on a jittered network), or
// that re-arms a 1 ns timer forever, crashes on a per-node quota within a
// bounded number of events, counted in virtual events only: the same trace
// with one worker and with two. The good nodes keep ticking.
func TestFloodsCrashTheirNodeOnAPerNodeQuota(t *testing.T) {
	cases := []struct {
		name, module string
		cfg          sim.Config
		crash        string
		maxEvents    uint64
	}{
		{name: "self-flood", module: "selfflood", cfg: sim.NewConfig(),
			crash:     "quota in_flight_messages exceeded: more than 100000 of this node's messages on their way at once",
			maxEvents: 1_000_000},
		{name: "self-flood, small cap", module: "selfflood", cfg: sim.NewConfig().WithMaxInFlightMessages(500),
			crash:     "quota in_flight_messages exceeded: more than 500 of this node's messages on their way at once (a flood that grows with every hop?) (raise limits.in_flight_messages)",
			maxEvents: 10_000},
		{name: "timer loop", module: "timerloop", cfg: sim.NewConfig(),
			crash:     "quota callbacks_per_second exceeded: more than 200000 callbacks the node caused itself in the virtual second from 0s",
			maxEvents: 500_000},
		{name: "self-flood, callbacks per second", module: "selfflood",
			cfg:       sim.NewConfig().WithLimits(limits.Limits{CallbacksPerSecond: 1000}),
			crash:     "quota callbacks_per_second exceeded: more than 1000 callbacks the node caused itself in the virtual second from 0s (a timer loop or a flood of messages to itself?) (raise limits.callbacks_per_second)",
			maxEvents: 20_000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var runs []*sim.Sim
			for _, workers := range []int{1, 2} {
				s := floodRun(t, tc.module, tc.cfg, workers)
				h := s.Node("h")
				t.Logf("workers=%d: %d events, %v virtual, %v wall, peak %+v: %s", workers, s.Stats().Events, s.Now(), s.Stats().Wall, s.PeakLoad(), h.CrashReason())
				require.Equal(t, nodes.Crashed, h.State(), "workers=%d", workers)
				assert.Contains(t, h.CrashReason(), tc.crash, "workers=%d", workers)
				assert.Less(t, s.Stats().Events, tc.maxEvents, "the flood ended within a bounded number of events")
				for _, good := range []string{"good0", "good2"} {
					require.Equal(t, nodes.Running, s.Node(good).State(), s.Node(good).CrashReason())
				}
				assert.Equal(t, map[int32]int{0: 200, 2: 200}, ticks(s), "good nodes kept serving")
				runs = append(runs, s)
			}
			sameRun(t, runs[0], runs[1])
			var crashes int
			for _, e := range runs[0].Events() {
				if e.Kind == trace.KindCrash {
					crashes++
				}
			}
			assert.Equal(t, 1, crashes)
		})
	}
}
