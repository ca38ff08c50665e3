package sim_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/cputime"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/gobuild"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

type guestKind struct {
	name   string
	module func(b *testing.B) []byte // nil: native
	role   string
	fuel   bool
}

func pingpong(b *testing.B) []byte { return goGuest(b, "../../internal/testguests/gopingpong") }

// pingpongNoEnvelope builds the ping-pong guest without the SDK's
// on_envelope export (build tag terrarium_noenvelope): every message then
// reaches the guest through on_message and is read by the guest, as
// before the host read envelopes.
func pingpongNoEnvelope(b *testing.B) []byte {
	w, err := gobuild.BuildWith(context.Background(), "../../internal/testguests/gopingpong", gobuild.Options{Tags: []string{"terrarium_noenvelope"}})
	require.NoError(b, err)
	return w
}

// goBare builds internal/testguests/gobare, which has no SDK, as a reactor.
func goBare(b *testing.B) []byte {
	w, err := gobuild.BuildWith(context.Background(), "../../internal/testguests/gobare", gobuild.Options{Style: gobuild.Reactor})
	require.NoError(b, err)
	return w
}

// guestKinds are the guests BenchmarkDeliveries and BenchmarkBoot compare.
var guestKinds = []guestKind{
	{name: "native"},
	{name: "wat", module: func(b *testing.B) []byte { return wasm(b, "echo") }, fuel: true},
	{name: "go-inline", module: pingpong, role: "inline", fuel: true},
	{name: "go-goroutine", module: pingpong, role: "goroutine", fuel: true},
}

// splitLayers take one Go-guest event apart. Within each group (01-03 the
// host and a Wasm guest, 04-06 Go without the SDK, 07-10 the SDK inline,
// 11-12 the SDK in goroutines) a layer adds one thing to the one before
// (10 swaps 09's field accessors for encoding/json structs), so the
// difference of two neighbours is what that thing costs (RATIONALE.md,
// "Where a Go guest's event goes"). The "-noenv" layers are 07, 08 and 12
// built without on_envelope: each pair is the host-read envelope's
// before and after, in one run.
var splitLayers = []guestKind{
	{name: "01-native"},
	{name: "02-wat-nofuel", module: func(b *testing.B) []byte { return wasm(b, "echo") }},
	{name: "03-wat", module: func(b *testing.B) []byte { return wasm(b, "echo") }, fuel: true},
	{name: "04-go-bare", module: goBare, fuel: true},
	{name: "05-go-bare-idle", module: goBare, role: "idle", fuel: true},
	{name: "06-go-bare-worker", module: goBare, role: "worker", fuel: true},
	{name: "07-go-inline-raw", module: pingpong, role: "inline-raw", fuel: true},
	{name: "08-go-inline", module: pingpong, role: "inline", fuel: true},
	{name: "09-go-inline-fields", module: pingpong, role: "inline-fields", fuel: true},
	{name: "10-go-inline-typed", module: pingpong, role: "inline-typed", fuel: true},
	{name: "11-go-goroutine-raw", module: pingpong, role: "goroutine-raw", fuel: true},
	{name: "12-go-goroutine", module: pingpong, role: "goroutine", fuel: true},
	{name: "07-go-inline-raw-noenv", module: pingpongNoEnvelope, role: "inline-raw", fuel: true},
	{name: "08-go-inline-noenv", module: pingpongNoEnvelope, role: "inline", fuel: true},
	{name: "12-go-goroutine-noenv", module: pingpongNoEnvelope, role: "goroutine", fuel: true},
}

// native echo: the same logic as echo.wat, as a Go closure.
func nativeEcho(h interface{ Send(int32, []byte) int32 }, from int32, msg []byte) {
	h.Send(from, msg)
}

func benchSim(b *testing.B, k guestKind, nodes int) *sim.Sim {
	b.Helper()
	// The default compilation cache (under the user cache directory), so
	// that a module compiles once, not in every b.N round of every run.
	s, err := sim.New(context.Background(), sim.NewConfig().WithEngine(sim.Engine{Unmetered: !k.fuel}).WithTrace(false, nil))
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	spec := sim.NodeSpec{Name: "n", Count: nodes, Module: "m", Role: k.role}
	if k.module == nil {
		spec.Native = func(h abi.Host, from int32, msg []byte) { nativeEcho(h, from, msg) }
	} else {
		require.NoError(b, s.LoadModule("m", k.module(b)))
	}
	_, err = s.AddNodes(spec)
	require.NoError(b, err)
	return s
}

// BenchmarkDeliveries measures end-to-end message deliveries per second:
// nodes/2 pairs bounce one message each, driven by the event loop.
func BenchmarkDeliveries(b *testing.B) {
	for _, k := range guestKinds {
		for _, nodes := range []int{10, 1000} {
			b.Run(fmt.Sprintf("%s/nodes=%d", k.name, nodes), func(b *testing.B) { benchPingPong(b, k, nodes) })
		}
	}
}

// BenchmarkEventSplit runs the ping-pong of BenchmarkDeliveries on 10 nodes
// for each layer of splitLayers; `make profile` prints the differences.
func BenchmarkEventSplit(b *testing.B) {
	for _, k := range splitLayers {
		b.Run(k.name, func(b *testing.B) { benchPingPong(b, k, 10) })
	}
}

func benchPingPong(b *testing.B, k guestKind, nodes int) {
	s := benchSim(b, k, nodes)
	require.NoError(b, s.RunUntil(0)) // boot everyone
	for i := 0; i < nodes; i += 2 {
		from, to := int32(i), int32(i+1)
		env := fmt.Sprintf(`{"src":"n%d","dest":"n%d","body":{"type":"ping"}}`, i, i+1)
		s.At(0, func() { s.Send(from, to, []byte(env)) })
	}
	require.NoError(b, s.RunUntil(0))
	start := s.Stats().Delivered
	b.ResetTimer()
	cpu0 := cputime.Self()
	for s.Stats().Delivered-start < uint64(b.N) {
		ok, err := s.Step()
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			b.StopTimer()
			for _, n := range s.Nodes() {
				require.Empty(b, n.CrashReason(), "node %s", n.Name())
			}
			b.Fatalf("the ping-pong stopped after %d deliveries", s.Stats().Delivered-start)
		}
	}
	b.StopTimer()
	cpu := cputime.Self() - cpu0
	for _, n := range s.Nodes() {
		require.Empty(b, n.CrashReason())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	// The process's CPU time per delivery: steadier than ns/op on a
	// machine that other work shares (RATIONALE.md).
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/delivery")
}

// BenchmarkBoot measures the time to boot one node (store open, instance,
// _initialize and on_init) and the resident memory each node adds.
func BenchmarkBoot(b *testing.B) {
	for _, k := range guestKinds {
		if k.name == "go-goroutine" {
			continue
		}
		b.Run(k.name, func(b *testing.B) {
			s := benchSim(b, k, 1)
			if k.module != nil {
				require.NoError(b, s.LoadModule("m2", k.module(b)))
			}
			spec := sim.NodeSpec{Name: "b", Count: b.N + 1, Module: "m2", Role: k.role}
			if k.module == nil {
				spec.Native = func(h abi.Host, from int32, msg []byte) { nativeEcho(h, from, msg) }
			}
			_, err := s.AddNodes(spec)
			require.NoError(b, err)
			runtime.GC()
			before := rss()
			b.ResetTimer()
			require.NoError(b, s.RunUntil(0))
			b.StopTimer()
			runtime.GC()
			after := rss()
			for _, n := range s.Nodes() {
				require.Empty(b, n.CrashReason())
			}
			b.ReportMetric(float64(after-before)/float64(b.N+2)/(1<<20), "MiB-rss/node")
		})
	}
}

// rss returns the process's resident set size in bytes (Linux).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
