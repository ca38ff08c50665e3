package sim_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/netsim"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// scaleSteps are BenchmarkScale's runs: tiny WAT nodes up to 100,000 and
// Go SDK nodes from 10 to 10,000 (issue 11's targets: 10,000 Go nodes in 16 GiB
// booted in 20 s, 100,000 tiny nodes in 4 GiB).
var scaleSteps = []struct {
	kind  string
	nodes int
}{
	{"wat", 1000}, {"wat", 10_000}, {"wat", 100_000},
	{"go", 10}, {"go", 100}, {"go", 1000}, {"go", 10_000},
}

// scaleNeed is a generous estimate of the memory a step needs, per node
// (measured: 0.035 MiB a WAT node, 1.0 MiB a Go node at 1,000 nodes), so
// that a step the machine cannot hold is skipped instead of pushing it
// out of memory.
var scaleNeed = map[string]int64{"wat": 64 << 10, "go": 3 << 19}

// memAvailable returns the kernel's estimate of the memory available for
// new work (Linux; -1 if unknown).
func memAvailable() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

// scaleVirtual is how long each run goes on after the boot, and
// scaleLatency the network's constant latency: every pair of nodes
// bounces one echo, so a run delivers nodes x scaleVirtual/(2 x latency)
// messages.
const (
	scaleVirtual = time.Second
	scaleLatency = 10 * time.Millisecond
)

// BenchmarkScale boots many nodes (stores shared and names by host call,
// the defaults at this size) and runs a second of virtual time of echo
// traffic between pairs. It reports the wall time of the boot per node,
// the resident memory per node once the traffic has run, the events per
// wall second of the traffic (the run after the boot: how the cost of an
// event grows with the number of nodes), and the whole run's wall time.
func BenchmarkScale(b *testing.B) {
	for _, st := range scaleSteps {
		b.Run(fmt.Sprintf("%s-nodes=%d", st.kind, st.nodes), func(b *testing.B) {
			need := scaleNeed[st.kind]*int64(st.nodes) + 1<<30
			if avail := memAvailable(); avail >= 0 && avail < need {
				b.Skipf("needs about %d MiB, the machine has %d MiB available", need>>20, avail>>20)
			}
			var module []byte
			role := ""
			if st.kind == "wat" {
				module = wasm(b, "echo")
			} else {
				module, role = pingpong(b), "inline"
			}
			var sum scaleFigures
			for range b.N {
				sum = sum.plus(scaleRun(b, module, role, st.nodes))
			}
			boot, total, mem, pmem := sum.boot, sum.total, sum.mem, sum.pmem
			n := float64(b.N) * float64(st.nodes)
			b.ReportMetric(float64(boot.Microseconds())/1000/n, "ms-boot/node")
			b.ReportMetric(float64(mem)/n/(1<<20), "MiB-rss/node")
			b.ReportMetric(float64(pmem)/n/(1<<20), "MiB-pss/node")
			b.ReportMetric(total.Seconds()/float64(b.N), "s-wall")
			b.ReportMetric(float64(sum.events)/(total-boot).Seconds(), "events/s")
		})
	}
}

// scaleFigures are one run's figures (or a sum of runs'): the boot's
// wall time, the whole run's (both without compiling the module), the
// events after the boot, and the resident memory the run added (RSS and
// PSS).
type scaleFigures struct {
	boot, total time.Duration
	events      uint64
	mem, pmem   int64
}

func (f scaleFigures) plus(o scaleFigures) scaleFigures {
	return scaleFigures{f.boot + o.boot, f.total + o.total, f.events + o.events, f.mem + o.mem, f.pmem + o.pmem}
}

// scaleRun is one run of BenchmarkScale: the boot's wall time, the whole
// run's (both without compiling the module), the events after the boot,
// and the resident memory the run added, as the kernel's resident set size counts it and as its
// proportional set size does (pss). The two differ for Go guests: every
// instance maps the module's memory image copy-on-write, and RSS counts
// each mapping's unwritten, shared pages again, PSS once.
func scaleRun(b *testing.B, module []byte, role string, nodes int) (f scaleFigures) {
	b.Helper()
	b.StopTimer()
	runtime.GC()
	debug.FreeOSMemory()
	before, pbefore := rss(), pss()
	// The default compilation cache (a zero Engine), as benchSim.
	cfg := sim.NewConfig().WithTrace(false, nil).
		WithNetwork(netsim.Link{Latency: netsim.Constant(scaleLatency)})
	s, err := sim.New(context.Background(), cfg)
	require.NoError(b, err)
	defer func() { _ = s.Close() }()
	require.NoError(b, s.LoadModule("m", module)) // compiled once, then from the cache
	b.StartTimer()
	start := time.Now()
	_, err = s.AddNodes(sim.NodeSpec{Name: "n", Count: nodes, Module: "m", Role: role})
	require.NoError(b, err)
	require.NoError(b, s.Start())
	require.NoError(b, s.RunUntil(0))
	f.boot = time.Since(start)
	booted := s.Stats().Events
	for i := 0; i < nodes-1; i += 2 {
		from, to := int32(i), int32(i+1)
		env := fmt.Sprintf(`{"src":"n%d","dest":"n%d","body":{"type":"ping"}}`, i, i+1)
		s.At(0, func() { s.Send(from, to, []byte(env)) })
	}
	require.NoError(b, s.RunFor(scaleVirtual))
	b.StopTimer()
	f.mem, f.pmem = rss()-before, pss()-pbefore
	if path := os.Getenv("BENCH_HEAPPROF"); path != "" {
		f, err := os.Create(path)
		require.NoError(b, err)
		require.NoError(b, pprof.WriteHeapProfile(f))
		require.NoError(b, f.Close())
	}
	f.total = time.Since(start)
	st := s.Stats()
	f.events = st.Events - booted
	require.Zero(b, st.Crashes, "a node crashed: %s", firstCrash(s))
	want := uint64(nodes/2) * uint64(scaleVirtual/scaleLatency)
	require.GreaterOrEqual(b, st.Delivered, want, "the echo traffic stalled")
	b.StartTimer()
	return f
}

// pss returns the process's proportional set size in bytes (Linux): its
// resident memory with each shared page counted once.
func pss() int64 {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Pss:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func firstCrash(s *sim.Sim) string {
	for _, n := range s.Nodes() {
		if r := n.CrashReason(); r != "" {
			return n.Name() + ": " + r
		}
	}
	return ""
}
