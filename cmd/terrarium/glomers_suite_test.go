package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
)

// glomersSuiteLines are the Gossip Glomers command lines, one per
// challenge and as each challenge's page gives it (fly.io/dist-sys/1 to
// 6c; 6b gives two, without and with partitions), with the program our
// solution: echo is plugins/echo, the rest live under plugins/maelstrom.
// The flags are Maelstrom's (jepsen-io/maelstrom doc/workloads.md, and
// doc/02-echo/index.md and doc/03-broadcast for --time-limit, --rate,
// --node-count, --latency, --nemesis, --topology); terrarium test takes
// them as Maelstrom does. Kafka runs kafka-owner (an owner per key, the log
// in memory) and txn runs txn-rc (totally available, read committed):
// RATIONALE.md, "Heavy workloads".
var glomersSuiteLines = []struct{ name, bin, line string }{
	{"1-echo", "echo", "-w echo --node-count 1 --time-limit 10"},
	{"2-unique-ids", "maelstrom/unique-ids", "-w unique-ids --time-limit 30 --rate 1000 --node-count 3 --availability total --nemesis partition"},
	{"3a-broadcast", "maelstrom/broadcast", "-w broadcast --node-count 1 --time-limit 20 --rate 10"},
	{"3b-broadcast", "maelstrom/broadcast", "-w broadcast --node-count 5 --time-limit 20 --rate 10"},
	{"3c-broadcast", "maelstrom/broadcast", "-w broadcast --node-count 5 --time-limit 20 --rate 10 --nemesis partition"},
	{"3d-broadcast", "maelstrom/broadcast", "-w broadcast --node-count 25 --time-limit 20 --rate 100 --latency 100"},
	{"3e-broadcast", "maelstrom/broadcast", "-w broadcast --node-count 25 --time-limit 20 --rate 100 --latency 100"},
	{"4-g-counter", "maelstrom/g-counter", "-w g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis partition"},
	{"5a-kafka", "maelstrom/kafka-owner", "-w kafka --node-count 1 --concurrency 2n --time-limit 20 --rate 1000"},
	{"5b-kafka", "maelstrom/kafka-owner", "-w kafka --node-count 2 --concurrency 2n --time-limit 20 --rate 1000"},
	{"5c-kafka", "maelstrom/kafka-owner", "-w kafka --node-count 2 --concurrency 2n --time-limit 20 --rate 1000"},
	{"6a-txn", "maelstrom/txn-rc", "-w txn-rw-register --node-count 1 --time-limit 20 --rate 1000 --concurrency 2n --consistency-models read-uncommitted --availability total"},
	{"6b-txn", "maelstrom/txn-rc", "-w txn-rw-register --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted"},
	{"6b-txn-partition", "maelstrom/txn-rc", "-w txn-rw-register --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted --availability total --nemesis partition"},
	{"6c-txn", "maelstrom/txn-rc", "-w txn-rw-register --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-committed --availability total --nemesis partition"},
}

// glomersFlags reads one maelstrom test line into terrarium test's flags,
// with terrarium test's defaults for the rest; TERRARIUM_GLOMERS_SECONDS,
// when set, replaces every --time-limit.
func glomersFlags(tb testing.TB, bin, line string) (testFlags, error) {
	f := defaultTestFlags(tb)
	f.bin = filepath.Join("..", "..", "plugins", bin)
	args := strings.Fields(line)
	if len(args)%2 != 0 {
		return f, fmt.Errorf("glomers line %q: flags come in pairs", line)
	}
	nums := map[string]*float64{"--time-limit": &f.timeLimit, "--rate": &f.rate, "--latency": &f.latency}
	strs := map[string]*string{"-w": &f.workload, "--concurrency": &f.concurrency, "--nemesis": &f.nemesis,
		"--availability": &f.availability, "--consistency-models": &f.consistency}
	for i := 0; i < len(args); i += 2 {
		k, v := args[i], args[i+1]
		var err error
		switch {
		case k == "--node-count":
			f.nodeCount, err = strconv.Atoi(v)
		case nums[k] != nil:
			*nums[k], err = strconv.ParseFloat(v, 64)
		case strs[k] != nil:
			*strs[k] = v
		default:
			err = errors.New("not a flag the suite reads")
		}
		if err != nil {
			return f, fmt.Errorf("glomers line %q: %s: %w", line, k, err)
		}
	}
	if os.Getenv("TERRARIUM_GLOMERS_SECONDS") != "" {
		f.timeLimit = glomersTimeLimit()
	}
	return f, nil
}

// BenchmarkGlomersSuite runs the whole Gossip Glomers command suite with
// our solutions, each challenge once per iteration, as terrarium test runs
// it, and must pass every checker. Each challenge reports its virtual
// seconds, wall seconds (simulation and checks: what a user waits for
// once the module is compiled), x-realtime, x-realtime-cpu, messages and
// events per second; the last sub-benchmark, overall, sums the challenges
// run before it (all the virtual time over all the wall time). make
// glomers-bench runs it and prints the table:
//
//	go test ./cmd/terrarium -run '^$' -bench GlomersSuite -benchtime 1x
func BenchmarkGlomersSuite(b *testing.B) {
	var all glomersRun
	for _, c := range glomersSuiteLines {
		f, err := glomersFlags(b, c.bin, c.line)
		require.NoError(b, err)
		b.Run(c.name, func(b *testing.B) {
			var sum glomersRun
			for range b.N {
				sum = sum.plus(runGlomers(b, f, true))
			}
			all = all.plus(sum)
			sum.report(b)
		})
	}
	b.Run("overall", func(b *testing.B) {
		require.Positive(b, all.virtual, "run the challenges first: -bench 'GlomersSuite'")
		all.report(b)
	})
}

// plus adds two runs' figures.
func (g glomersRun) plus(o glomersRun) glomersRun {
	return glomersRun{virtual: g.virtual + o.virtual, sim: g.sim + o.sim, check: g.check + o.check,
		cpu: g.cpu + o.cpu, events: g.events + o.events, sent: g.sent + o.sent}
}

// report gives the suite's figures of g as b's metrics.
func (g glomersRun) report(b *testing.B) {
	wall := g.sim + g.check
	b.ReportMetric(g.virtual.Seconds(), "virtual-s")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(g.virtual.Seconds()/max(wall, time.Nanosecond).Seconds(), "x-realtime")
	b.ReportMetric(g.virtual.Seconds()/max(g.cpu, time.Nanosecond).Seconds(), "x-realtime-cpu")
	b.ReportMetric(float64(g.sent)/max(g.sim, time.Nanosecond).Seconds(), "msgs/s")
	b.ReportMetric(float64(g.events)/max(g.sim, time.Nanosecond).Seconds(), "events/s")
}

// TestGlomersSuiteLines: every line of the suite reads into a scenario
// terrarium test accepts; a flag the suite does not read, or a bad
// number, fails.
func TestGlomersSuiteLines(t *testing.T) {
	for _, c := range glomersSuiteLines {
		f, err := glomersFlags(t, c.bin, c.line)
		require.NoError(t, err, c.name)
		_, err = testScenario(f, patterns.Registry())
		require.NoError(t, err, c.name)
	}
	for _, bad := range []string{"-w echo --bogus 1", "-w echo --node-count x", "-w echo --rate", "-w echo --time-limit 1s"} {
		_, err := glomersFlags(t, "echo", bad)
		require.Error(t, err, bad)
	}
}

// glomersRates are BenchmarkGlomersRate's client rates, and
// glomersRateSeconds its --time-limit (the final phase comes after).
var glomersRates = []float64{100, 1000, 10_000}

const glomersRateSeconds = 5

// BenchmarkGlomersRate runs the kafka 5b and txn 6c shapes (our solutions,
// BenchmarkGlomers' flags) at rates 100, 1,000 and 10,000 requests a
// second with a 5 s time limit, reporting events per second of the
// simulation and the wall time per event: how the cost of an event grows
// with the load.
//
//	go test ./cmd/terrarium -run '^$' -bench GlomersRate -benchtime 1x
func BenchmarkGlomersRate(b *testing.B) {
	for _, c := range glomersCases(b)[1:3] {
		for _, rate := range glomersRates {
			f := c.f
			f.rate, f.timeLimit = rate, glomersRateSeconds
			b.Run(fmt.Sprintf("%s/rate=%g", c.name, rate), func(b *testing.B) {
				var sum glomersRun
				for range b.N {
					sum = sum.plus(runGlomers(b, f, true))
				}
				sum.report(b)
				b.ReportMetric(float64(sum.sim.Nanoseconds())/float64(sum.events), "ns/event")
				b.ReportMetric(sum.check.Seconds()/(sum.sim+sum.check).Seconds(), "check-share")
			})
		}
	}
}
