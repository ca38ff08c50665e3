package workload_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// started is one operation as a test op saw it begin.
type started struct {
	client, n int
	at        time.Duration
}

// runLoop runs l over two clients whose operations each take 3 ms, and
// returns the operations in the order they began and how many clients
// reported stopping.
func runLoop(t *testing.T, l workload.ClosedLoop, spec workload.Spec) ([]started, int) {
	t.Helper()
	s := &fakeEnv{}
	spec.Clients = []workload.Client{echoClient{env: s, name: "c0"}, echoClient{env: s, name: "c1"}}
	stops := 0
	l.Stopped = func() { stops++ }
	var got []started
	inFlight := map[int]bool{}
	l.Run(s, spec, func(ci int, _ workload.Client, n int, next func()) {
		require.False(t, inFlight[ci], "client %d has one operation in flight at a time", ci)
		inFlight[ci] = true
		got = append(got, started{ci, n, s.Now()})
		s.After(3*time.Millisecond, func() { inFlight[ci] = false; next() })
	})
	s.run(time.Second)
	return got, stops
}

func TestClosedLoopPacesEachClientAfterItsReply(t *testing.T) {
	got, stops := runLoop(t, workload.ClosedLoop{Start: 5 * time.Millisecond},
		workload.Spec{Duration: 25 * time.Millisecond, Interval: 10 * time.Millisecond})
	ms := time.Millisecond
	// client 1 starts half an interval after client 0; each next operation
	// begins an interval after the reply (3 ms) to the previous one
	assert.Equal(t, []started{{0, 1, 5 * ms}, {1, 1, 10 * ms}, {0, 2, 18 * ms}, {1, 2, 23 * ms}}, got)
	assert.Equal(t, 2, stops, "each client reports stopping once")
}

func TestClosedLoopStopsAtOps(t *testing.T) {
	got, stops := runLoop(t, workload.ClosedLoop{}, workload.Spec{Duration: time.Second, Interval: time.Millisecond, Ops: 3})
	assert.Len(t, got, 6, "three operations for each of two clients")
	assert.Equal(t, 2, stops)
}

func TestClosedLoopStopEarlyEndsAClientAsItsLastReplyArrives(t *testing.T) {
	spec := workload.Spec{Duration: 25 * time.Millisecond, Interval: 10 * time.Millisecond}
	var stoppedAt []time.Duration
	s := &fakeEnv{}
	spec.Clients = []workload.Client{echoClient{env: s, name: "c0"}}
	l := workload.ClosedLoop{StopEarly: true, Stopped: func() { stoppedAt = append(stoppedAt, s.Now()) }}
	ops := 0
	l.Run(s, spec, func(_ int, _ workload.Client, _ int, next func()) {
		ops++
		s.After(3*time.Millisecond, next)
	})
	s.run(time.Second)
	// operations at 0 and 13 ms; after the reply at 16 ms the next would
	// begin at 26 ms, past the duration, so the client stops at 16 ms
	assert.Equal(t, 2, ops)
	assert.Equal(t, []time.Duration{16 * time.Millisecond}, stoppedAt)
}
