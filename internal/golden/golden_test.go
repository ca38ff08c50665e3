// Package golden pins the trace digest of every bundled scenario over three
// seeds. A change that alters any run fails here until the digests are
// rewritten deliberately (go test ./internal/golden -rewrite) and the change
// is named in its commit. Digests depend on the modules' bytes, so they hold
// for one Go toolchain (go.mod's go line).
package golden

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/digests.txt from this run")

const goldenFile = "testdata/digests.txt"

var seeds = []uint64{1, 2, 3}

func TestGoldenDigests(t *testing.T) {
	keys, got, _ := runAll(t, seeds, 1, func(key string, l sim.Load) {
		// Reference: issue 15, "CLI": the per-node rate caps are for
		// hostile modules; every bundled scenario stays a factor of ten
		// below their defaults (README's Limits table gives the margins).
		t.Logf("%s: peak %d messages in flight, %d callbacks per second", key, l.InFlightMessages, l.CallbacksPerSecond)
		assert.Less(t, l.InFlightMessages, int64(sim.DefaultMaxInFlightMessages/10), "%s: limits.in_flight_messages", key)
		assert.Less(t, l.CallbacksPerSecond, wasmhost.DefaultCallbacksPerSecond/10, "%s: limits.callbacks_per_second", key)
	})
	if *rewrite {
		var b strings.Builder
		b.WriteString("# scenario seed=N trace_sha256 verdict; rewrite with: go test ./internal/golden -rewrite\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "%s %s\n", k, got[k])
		}
		require.NoError(t, os.WriteFile(goldenFile, []byte(b.String()), 0o644))
		return
	}
	want := readGolden(t)
	for _, k := range keys {
		w, ok := want[k]
		if !assert.True(t, ok, "%s has no golden digest: run go test ./internal/golden -rewrite", k) {
			continue
		}
		assert.Equal(t, w, got[k], "%s: the run changed (if on purpose: go test ./internal/golden -rewrite, and say so)", k)
	}
	for k := range want {
		assert.Contains(t, got, k, "golden digest for a scenario that is gone")
	}
}

// TestGoldenDigestsWithWorkers runs every bundled scenario with several
// workers (runner.Options.WithWorkers): the digests and verdicts must be
// the golden ones. Four workers run seed 1 only, to keep the test's time
// within reason on a small machine.
func TestGoldenDigestsWithWorkers(t *testing.T) {
	if *rewrite {
		t.Skip("rewriting")
	}
	want := readGolden(t)
	for _, tc := range []struct {
		workers int
		seeds   []uint64
	}{{2, seeds}, {4, seeds[:1]}} {
		t.Run(fmt.Sprintf("workers=%d", tc.workers), func(t *testing.T) {
			keys, got, par := runAll(t, tc.seeds, tc.workers, nil)
			for _, k := range keys {
				assert.Equal(t, want[k], got[k], "%s with %d workers differs from the golden run", k, tc.workers)
			}
			assert.Positive(t, par.Windows, "some windows must run on workers: %+v", par)
			t.Logf("%d runs: %+v", len(keys), par)
		})
	}
}

// scenarios lists the bundled scenario files.
func scenarios(t *testing.T) []string {
	var files []string
	for _, pattern := range []string{"../../plugins/*/*.yaml", "../../plugins/maelstrom/*/*.yaml"} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		for _, f := range m {
			// plugins/examples' modules are built by its own test (asc, wat2wasm)
			if !strings.Contains(filepath.ToSlash(f), "/plugins/examples/") {
				files = append(files, f)
			}
		}
	}
	require.NotEmpty(t, files)
	sort.Strings(files)
	return files
}

// runAll runs every bundled scenario on each seed with the given workers
// and returns the keys in order, "digest verdict" by key, and the runs'
// parallelism summed. load, if set, gets each run's peak load.
func runAll(t *testing.T, seeds []uint64, workers int, load func(key string, l sim.Load)) ([]string, map[string]string, sim.Parallelism) {
	reg := patterns.Registry()
	mods := runner.NewModules()
	got := map[string]string{}
	var keys []string
	var par sim.Parallelism
	for _, f := range scenarios(t) {
		scn, err := runner.Load(f, reg)
		require.NoError(t, err)
		for _, seed := range seeds {
			opts := runner.NewOptions().WithRegistry(reg).WithModules(mods).WithSeed(seed).WithWorkers(workers).WithAllEvents(false)
			r, err := runner.Prepare(context.Background(), scn, opts)
			require.NoError(t, err, "%s seed %d", f, seed)
			res, err := r.Finish()
			require.NoError(t, err, "%s seed %d", f, seed)
			p := r.Parallelism()
			par.Windows += p.Windows
			par.ParallelEvents += p.ParallelEvents
			par.SerialEvents += p.SerialEvents
			par.ZeroLookahead += p.ZeroLookahead
			par.Stalls += p.Stalls
			key := fmt.Sprintf("%s seed=%d", strings.TrimPrefix(filepath.ToSlash(f), "../../"), seed)
			if load != nil {
				load(key, r.PeakLoad())
			}
			require.NoError(t, r.Close())
			keys = append(keys, key)
			got[key] = res.TraceSHA256 + " " + string(res.Verdict)
		}
	}
	return keys, got, par
}

func readGolden(t *testing.T) map[string]string {
	f, err := os.Open(goldenFile)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		require.Len(t, fields, 4, "bad golden line %q", line)
		out[fields[0]+" "+fields[1]] = fields[2] + " " + fields[3]
	}
	require.NoError(t, sc.Err())
	return out
}
