package main

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// fuelCase is one terrarium test run whose callbacks' fuel is measured.
type fuelCase struct {
	name string
	f    testFlags
}

// defaultTestFlags are terrarium test's flags with nothing given: every
// default as the command declares it (testFlagSet).
func defaultTestFlags(tb testing.TB) testFlags {
	fs, f := testFlagSet(io.Discard)
	require.NoError(tb, fs.Parse(nil))
	return *f
}

func fuelFlags(tb testing.TB, workload, bin string, nodes int, nemesis, consistency string) testFlags {
	f := defaultTestFlags(tb)
	f.workload, f.bin, f.nodeCount, f.timeLimit, f.rate, f.concurrency = workload, bin, nodes, 20, 100, "2n"
	f.nemesis = nemesis
	if consistency != "" {
		f.consistency = consistency
	}
	return f
}

// fuelCases are our own Maelstrom solutions under Maelstrom's usual test
// lines, and the backlog shape of issue 16 (a goroutine per transaction,
// replicating with SyncRPC and retrying with sleeps, under partitions).
func fuelCases(tb testing.TB) []fuelCase {
	m := func(p string) string { return filepath.Join("..", "..", "plugins", "maelstrom", p) }
	return []fuelCase{
		{"echo", fuelFlags(tb, "echo", filepath.Join("..", "..", "plugins", "echo"), 1, "", "")},
		{"unique-ids", fuelFlags(tb, "unique-ids", m("unique-ids"), 3, "partition", "")},
		{"broadcast", fuelFlags(tb, "broadcast", m("broadcast"), 25, "partition", "")},
		{"g-counter", fuelFlags(tb, "g-counter", m("g-counter"), 3, "partition", "")},
		{"pn-counter", fuelFlags(tb, "pn-counter", m("pn-counter"), 3, "partition", "")},
		{"g-set", fuelFlags(tb, "g-set", m("g-set"), 3, "partition", "")},
		{"lin-kv", fuelFlags(tb, "lin-kv", m("lin-kv"), 3, "partition", "")},
		{"kafka", fuelFlags(tb, "kafka", m("kafka"), 2, "", "")},
		{"txn", fuelFlags(tb, "txn-rw-register", m("txn"), 2, "partition", "read-uncommitted")},
		{"backlog", fuelFlags(tb, "txn-rw-register", filepath.Join("..", "..", "internal", "testguests", "gobacklog"), 2, "partition", "read-uncommitted")},
	}
}

// maxCallbackFuel runs f as terrarium test does and returns the most fuel
// one callback of any node used, which callback, and the most fuel any
// node used between two progress calls (what the spin window bounds).
func maxCallbackFuel(tb testing.TB, f testFlags) (int64, string, int64) {
	reg := patterns.Registry()
	scn, err := testScenario(f, reg)
	require.NoError(tb, err)
	r, err := runner.Prepare(context.Background(), scn, runner.NewOptions().WithRegistry(reg).WithSeed(f.seed))
	require.NoError(tb, err)
	defer r.Close()
	res, err := r.Finish()
	require.NoError(tb, err)
	require.Empty(tb, res.Crashes)
	var most, stretch int64
	where := ""
	for _, n := range r.Nodes() {
		u, s, w, err := r.FuelHighWater(n.Name)
		require.NoError(tb, err)
		if u > most {
			most, where = u, w
		}
		stretch = max(stretch, s)
	}
	return most, where, stretch
}

// BenchmarkTestModeFuel reports the most fuel one callback uses in each
// case (fuel/callback), against which test mode's budget (testFuel) is
// sized, and the most used between two progress calls (fuel/stretch),
// against which its spin window (testSpinFuel) is:
//
//	go test ./cmd/terrarium -run '^$' -bench TestModeFuel -benchtime 1x
func BenchmarkTestModeFuel(b *testing.B) {
	for _, c := range fuelCases(b) {
		b.Run(c.name, func(b *testing.B) {
			var most, stretch int64
			var where string
			for range b.N {
				most, where, stretch = maxCallbackFuel(b, c.f)
			}
			b.ReportMetric(float64(most), "fuel/callback")
			b.ReportMetric(float64(stretch), "fuel/stretch")
			b.Logf("%s: the largest callback (%s) used %d fuel units, %.2f%% of test mode's budget; the longest stretch without progress %d, %.1f%% of its spin window",
				c.name, where, most, 100*float64(most)/float64(testFuel), stretch, 100*float64(stretch)/float64(testSpinFuel))
		})
	}
}
