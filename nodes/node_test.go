package nodes_test

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// kernel is the smallest simulator a node needs: a settable clock, and a
// record of what the node asked it to schedule.
type kernel struct {
	clock  int64
	timers []int64
	wakes  []int64
	events []trace.Event
	sent   int
}

func (k *kernel) Clock() int64                                   { return k.clock }
func (k *kernel) Send(from, to int32, msg []byte) int32          { k.sent++; return 0 }
func (k *kernel) ScheduleTimer(_ *nodes.Node, _ int64, at int64) { k.timers = append(k.timers, at) }
func (k *kernel) ScheduleWake(_ *nodes.Node, _ uint64, at int64) { k.wakes = append(k.wakes, at) }
func (k *kernel) Record(e trace.Event)                           { k.events = append(k.events, e) }

// nativeNode boots a node that runs fn as its guest.
func nativeNode(t *testing.T, cfg wasmhost.Config, fn nodes.NativeFunc) (*nodes.Node, *kernel) {
	t.Helper()
	eng, err := wasmhost.NewEngine(context.Background(), cfg.WithCacheDir(""))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	st, err := nodes.OpenStore("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	k := &kernel{}
	if fn == nil {
		fn = func(abi.Host, int32, []byte) {}
	}
	n := nodes.New(nodes.Spec{Name: "n0", Native: fn}, k, wasmEngine{eng}, st, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, n.Boot(context.Background()))
	return n, k
}

// exactScaled is d * 1e6 / (1e6 + ppm) in exact arithmetic, clamped.
func exactScaled(d, ppm int64) *big.Int {
	q := new(big.Int).Mul(big.NewInt(d), big.NewInt(1_000_000))
	return q.Quo(q, big.NewInt(1_000_000+ppm))
}

func TestTimerOnDriftingNodeDoesNotOverflow(t *testing.T) {
	n, k := nativeNode(t, wasmhost.NewConfig(), nil)
	n.SetDrift(1000)
	d := int64(2*time.Hour + 48*time.Minute) // d * 1e6 overflows int64
	n.TimerSet(d)
	require.Len(t, k.timers, 1)
	assert.Equal(t, exactScaled(d, 1000).Int64(), k.timers[0])
}

func TestTimerNearMaxDelaySaturates(t *testing.T) {
	n, k := nativeNode(t, wasmhost.NewConfig(), nil)
	k.clock = int64(time.Hour)
	n.TimerSet(math.MaxInt64 - 5)
	n.SetDrift(-999_999) // a clock 10^6 times slow: delays grow 10^6-fold
	n.TimerSet(math.MaxInt64 / 1000)
	assert.Equal(t, []int64{math.MaxInt64, math.MaxInt64}, k.timers)
}

// Reference: DESIGN.md, "Time is virtual": nothing a guest asks for may
// schedule an event before now, and a node's clock never runs backwards.
func TestVirtualTimeNeverGoesBackwards(t *testing.T) {
	n, k := nativeNode(t, wasmhost.NewConfig().WithPendingTimers(1<<30), nil)
	r := rand.New(rand.NewPCG(7, 7))
	extreme := []int64{0, 1, math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64 / 2, 1 << 62, int64(3 * time.Hour)}
	pick := func() int64 { // in [0, MaxInt64], often an extreme
		if r.IntN(3) == 0 {
			return extreme[r.IntN(len(extreme))]
		}
		return r.Int64N(math.MaxInt64)
	}
	for range 20_000 {
		ppm := r.Int64N(1_999_999) - 999_999
		skew := pick() * (1 - 2*r.Int64N(2))
		n.SetDrift(ppm)
		n.SetSkew(skew)
		k.clock = pick()
		k.timers = k.timers[:0]
		delay := pick()
		n.TimerSet(delay)
		require.Len(t, k.timers, 1)
		at := k.timers[0]
		require.GreaterOrEqual(t, at, k.clock, "timer at %d before now %d (delay %d, drift %d)", at, k.clock, delay, ppm)
		want := new(big.Int).Add(big.NewInt(k.clock), exactScaled(delay, ppm))
		if want.IsInt64() {
			require.Equal(t, want.Int64(), at, "delay %d drift %d", delay, ppm)
		} else {
			require.Equal(t, int64(math.MaxInt64), at)
		}

		c1 := k.clock
		now1 := n.Now()
		k.clock = c1 + (math.MaxInt64-c1)/max(r.Int64N(100), 1)
		now2 := n.Now()
		require.GreaterOrEqual(t, now2, now1, "now() went back from %d to %d (clock %d -> %d, drift %d, skew %d)", now1, now2, c1, k.clock, ppm, skew)
		if skew >= 0 {
			require.GreaterOrEqual(t, now1, int64(0), "now() is negative with a non-negative skew")
		}
	}
}

func TestPendingTimersQuotaCrashesTheNode(t *testing.T) {
	var calls int
	n, _ := nativeNode(t, wasmhost.NewConfig().WithPendingTimers(3), func(h abi.Host, _ int32, _ []byte) {
		for {
			calls++
			h.TimerSet(int64(time.Second))
		}
	})
	require.NoError(t, n.Deliver(1, []byte("go")))
	assert.Equal(t, nodes.Crashed, n.State())
	assert.Equal(t, 4, calls)
	assert.Contains(t, n.CrashReason(), "quota pending_timers exceeded")
	assert.Contains(t, n.CrashReason(), "raise limits.pending_timers")
}

func TestCallbacksPerInstantQuota(t *testing.T) {
	n, k := nativeNode(t, wasmhost.NewConfig().WithCallbacksPerInstant(5), nil)
	// boot was callback 1 at time 0; n0 has index 0
	for range 4 {
		require.NoError(t, n.Deliver(0, nil))
	}
	require.Equal(t, nodes.Running, n.State())
	k.clock = 1
	for range 5 {
		require.NoError(t, n.Deliver(0, nil))
	}
	require.Equal(t, nodes.Running, n.State(), "the count starts again at a new instant")
	for range 100 {
		require.NoError(t, n.Deliver(1, nil))
	}
	require.Equal(t, nodes.Running, n.State(), "messages from other nodes do not count")
	require.NoError(t, n.Deliver(0, nil))
	assert.Equal(t, nodes.Crashed, n.State())
	assert.Contains(t, n.CrashReason(), "quota callbacks_per_instant exceeded: more than 5 callbacks at virtual time 1ns")
}

// Reference: issue 15, "CLI": callbacks a node causes itself are counted
// per second of virtual time, across instants; each second starts again,
// and messages from others never count.
func TestCallbacksPerSecondQuota(t *testing.T) {
	n, k := nativeNode(t, wasmhost.NewConfig().WithCallbacksPerSecond(5), nil)
	// boot was callback 1 at time 0; n0 has index 0
	for i := range 4 {
		k.clock = int64(i+1) * int64(100*time.Millisecond)
		require.NoError(t, n.Deliver(0, nil))
	}
	require.Equal(t, nodes.Running, n.State(), n.CrashReason())
	assert.Equal(t, 5, n.PeakCallbacksPerSecond())
	k.clock = int64(time.Second)
	for i := range 5 {
		k.clock += int64(i)
		require.NoError(t, n.Deliver(0, nil))
	}
	require.Equal(t, nodes.Running, n.State(), "the count starts again each second")
	for range 100 {
		require.NoError(t, n.Deliver(1, nil))
	}
	require.Equal(t, nodes.Running, n.State(), "messages from other nodes do not count")
	k.clock += int64(time.Millisecond)
	require.NoError(t, n.Deliver(0, nil))
	assert.Equal(t, nodes.Crashed, n.State())
	assert.Equal(t, "quota callbacks_per_second exceeded: more than 5 callbacks the node caused itself in the virtual second from 1s (a timer loop or a flood of messages to itself?) (raise limits.callbacks_per_second)", n.CrashReason())
	assert.Equal(t, 6, n.PeakCallbacksPerSecond())
}

func TestLogBytesPerRunQuotaSurvivesRestarts(t *testing.T) {
	n, _ := nativeNode(t, wasmhost.NewConfig().WithLogBytes(1<<20, 1000), func(h abi.Host, _ int32, msg []byte) {
		h.Log(abi.LevelInfo, msg)
	})
	line := make([]byte, 400-abi.RecordOverhead)
	require.NoError(t, n.Deliver(1, line))
	require.NoError(t, n.Deliver(1, line))
	require.NoError(t, n.Crash("test"))
	require.NoError(t, n.Boot(context.Background()))
	require.NoError(t, n.Deliver(1, line))
	assert.Equal(t, nodes.Crashed, n.State())
	assert.Contains(t, n.CrashReason(), "quota log_bytes_per_run exceeded")
}

func TestStoreQuotasReturnCodes(t *testing.T) {
	n, _ := nativeNode(t, wasmhost.NewConfig().WithStoreBytes(100).WithKeyValueBytes(8, 50), nil)
	assert.ErrorIs(t, n.KVPut([]byte("123456789"), nil), abi.ErrTooLarge)
	assert.ErrorIs(t, n.KVPut([]byte("k"), make([]byte, 51)), abi.ErrTooLarge)
	assert.ErrorIs(t, n.KVPut(nil, nil), abi.ErrBadKey)
	require.NoError(t, n.KVPut([]byte("a"), make([]byte, 49)))
	require.NoError(t, n.KVPut([]byte("b"), make([]byte, 49)))
	assert.ErrorIs(t, n.KVPut([]byte("c"), make([]byte, 1)), abi.ErrQuota)
	require.NoError(t, n.KVPut([]byte("b"), make([]byte, 10)), "an overwrite that shrinks the buffer fits")
	require.NoError(t, n.KVSync())
}

// An unsynced value the store cannot flush at crash time is lost and named
// in the crash reason; the run does not fail.
func TestCrashTimeFlushFailureCrashesOnlyTheNode(t *testing.T) {
	n, k := nativeNode(t, wasmhost.NewConfig(), nil)
	require.NoError(t, n.KVPut([]byte("k"), []byte("v")))
	require.NoError(t, n.Store().DB().Close()) // the store fails from now on
	require.NoError(t, n.Crash("power cut"))
	assert.Equal(t, nodes.Crashed, n.State())
	assert.Contains(t, n.CrashReason(), "power cut; the unsynced writes were lost")
	last := k.events[len(k.events)-1]
	assert.Equal(t, trace.KindCrash, last.Kind)
	assert.Contains(t, string(last.Data), "unsynced writes were lost")
	assert.Equal(t, 0, n.Store().Unsynced())
}
