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
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/digests.txt from this run")

const goldenFile = "testdata/digests.txt"

// checkpointEvery is how many events lie between two checkpoints a run
// takes. The golden file keeps at most maxCheckpoints of them per entry,
// evenly spaced (see thin): few enough to review, close enough that a
// failure names a stretch of the run to read in a trace diff.
const (
	checkpointEvery = 1_000
	maxCheckpoints  = 10
)

// checkpointDigits is how much of a checkpoint's digest the golden file
// keeps: enough to tell runs apart (the final digest is kept whole).
const checkpointDigits = 16

const goldenHeader = "# scenario seed=N trace_sha256 verdict; rewrite with: go test ./internal/golden -rewrite\n" +
	"# the indented line under an entry: @EVENTS and the first 16 hex digits of the trace digest after that many events\n"

var seeds = []uint64{1, 2, 3}

// entry is a golden entry: a run's final digest and verdict ("digest
// verdict") and its checkpoints ("@EVENTS DIGEST" each, oldest first).
type entry struct {
	final string
	cps   []string
}

// checkpoints renders a run's checkpoints as the golden file keeps them.
func checkpoints(cps []trace.Checkpoint) []string {
	out := make([]string, len(cps))
	for i, c := range cps {
		out[i] = fmt.Sprintf("@%d %s", c.Events, c.Digest[:checkpointDigits])
	}
	return out
}

// thin keeps at most maxCheckpoints of a run's checkpoints, one every
// 1, 2 or 5 times a power of ten thousand events.
func thin(cps []string) []string {
	if len(cps) == 0 {
		return nil
	}
	total := checkpointEvents(cps[len(cps)-1])
	stride := uint64(checkpointEvery)
	for i := 0; total/stride > maxCheckpoints; i++ {
		stride = uint64(checkpointEvery) * []uint64{2, 5, 10}[i%3] * pow10(i/3)
	}
	var out []string
	for _, c := range cps {
		if checkpointEvents(c)%stride == 0 {
			out = append(out, c)
		}
	}
	return out
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// where says where a run that differs from its golden entry changed: the
// first golden checkpoint the run does not match bounds it from above, the
// one before it from below.
func where(want, got entry) string {
	have := map[string]bool{}
	for _, c := range got.cps {
		have[c] = true
	}
	var from uint64 // the events both runs share
	for _, c := range want.cps {
		if !have[c] {
			to := checkpointEvents(c)
			return fmt.Sprintf("the run changed within events %d-%d (checkpoint @%d is the first that differs)%s", from+1, to, to, diffHint)
		}
		from = checkpointEvents(c)
	}
	if len(want.cps) == 0 {
		return "the golden entry has no checkpoints to place the change" + diffHint
	}
	return fmt.Sprintf("the run changed after event %d, the last golden checkpoint (%d of them)%s", from, len(want.cps), diffHint)
}

const diffHint = "; terrarium diff of the two runs' folders names the event"

// matches reports whether a run's checkpoints hold every golden one.
func matches(want, got entry) bool {
	return want.final == got.final && !strings.HasPrefix(where(want, got), "the run changed within")
}

// checkpointEvents returns the event count of a checkpoint "@EVENTS DIGEST".
func checkpointEvents(cp string) uint64 {
	n, _ := strconv.ParseUint(strings.TrimPrefix(strings.Fields(cp)[0], "@"), 10, 64)
	return n
}

func TestGoldenDigests(t *testing.T) {
	keys, got, _ := runAll(t, scenarios(t), seeds, func(o runner.Options) runner.Options { return o }, func(key string, l sim.Load) {
		// Reference: issue 15, "CLI": the per-node rate caps are for
		// hostile modules; every bundled scenario stays a factor of ten
		// below their defaults (README's Limits table gives the margins).
		t.Logf("%s: peak %d messages in flight, %d callbacks per second", key, l.InFlightMessages, l.CallbacksPerSecond)
		assert.Less(t, l.InFlightMessages, int64(sim.DefaultMaxInFlightMessages/10), "%s: limits.in_flight_messages", key)
		assert.Less(t, l.CallbacksPerSecond, wasmhost.DefaultCallbacksPerSecond/10, "%s: limits.callbacks_per_second", key)
	})
	if *rewrite {
		var b strings.Builder
		b.WriteString(goldenHeader)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s %s\n", k, got[k].final)
			if cps := thin(got[k].cps); len(cps) > 0 {
				fmt.Fprintf(&b, "  %s\n", strings.Join(cps, " "))
			}
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
		if assert.Equal(t, w.final, got[k].final, "%s: %s (if on purpose: go test ./internal/golden -rewrite, and say so)", k, where(w, got[k])) {
			assert.True(t, matches(w, got[k]), "%s: the final digest holds, but %s", k, where(w, got[k]))
		}
	}
	for k := range want {
		assert.Contains(t, got, k, "golden digest for a scenario that is gone")
	}
}

// scenarios lists the bundled scenario files.
func scenarios(t *testing.T) []string {
	var files []string
	for _, pattern := range []string{"../../plugins/*/*.yaml", "../../plugins/maelstrom/*/*.yaml"} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		for _, f := range m {
			// plugins/examples' modules are built by its own test (asc,
			// wat2wasm); a tour.yaml is a guided tour, not a scenario.
			if !strings.Contains(filepath.ToSlash(f), "/plugins/examples/") && filepath.Base(f) != "tour.yaml" {
				files = append(files, f)
			}
		}
	}
	require.NotEmpty(t, files)
	sort.Strings(files)
	return files
}

// key names a run of a bundled scenario file in the golden file.
func key(file string, seed uint64) string {
	return fmt.Sprintf("%s seed=%d", strings.TrimPrefix(filepath.ToSlash(file), "../../"), seed)
}

// runAll runs each scenario file on each seed with the options opts makes
// and returns the keys in order, the entries by key, and the runs'
// parallelism summed. load, if set, gets each run's peak load.
func runAll(t *testing.T, files []string, seeds []uint64, opts func(runner.Options) runner.Options, load func(key string, l sim.Load)) ([]string, map[string]entry, sim.Parallelism) {
	reg := patterns.Registry()
	mods := runner.NewModules()
	got := map[string]entry{}
	var keys []string
	var par sim.Parallelism
	for _, f := range files {
		scn, err := runner.Load(f, reg)
		require.NoError(t, err)
		for _, seed := range seeds {
			k := key(f, seed)
			e, p, l := runOne(t, scn, opts(runner.NewOptions().WithRegistry(reg).WithModules(mods).WithSeed(seed)))
			par.Windows += p.Windows
			par.ParallelEvents += p.ParallelEvents
			par.SerialEvents += p.SerialEvents
			par.ZeroLookahead += p.ZeroLookahead
			par.Stalls += p.Stalls
			if load != nil {
				load(k, l)
			}
			keys = append(keys, k)
			got[k] = e
		}
	}
	return keys, got, par
}

// runOne runs scn to the end and returns its entry, parallelism and peak
// load.
func runOne(t *testing.T, scn *scenario.Scenario, opts runner.Options) (entry, sim.Parallelism, sim.Load) {
	r, err := runner.Prepare(context.Background(), scn, opts.WithAllEvents(false).WithCheckpoints(checkpointEvery))
	require.NoError(t, err, "%s seed %d", scn.File, opts.Seed(scn.Seed))
	defer func() { require.NoError(t, r.Close()) }()
	res, err := r.Finish()
	require.NoError(t, err, "%s seed %d", scn.File, opts.Seed(scn.Seed))
	return entry{final: res.TraceSHA256 + " " + string(res.Verdict), cps: checkpoints(r.Checkpoints())}, r.Parallelism(), r.PeakLoad()
}

// readGolden reads the golden file: entries by key.
func readGolden(t *testing.T) map[string]entry {
	f, err := os.Open(goldenFile)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]entry{}
	last := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if strings.HasPrefix(line, " ") {
			require.NotEmpty(t, last, "checkpoints before any entry: %q", line)
			require.True(t, len(fields)%2 == 0, "bad checkpoint line %q", line)
			e := out[last]
			for i := 0; i < len(fields); i += 2 {
				e.cps = append(e.cps, fields[i]+" "+fields[i+1])
			}
			out[last] = e
			continue
		}
		require.Len(t, fields, 4, "bad golden line %q", line)
		last = fields[0] + " " + fields[1]
		out[last] = entry{final: fields[2] + " " + fields[3]}
	}
	require.NoError(t, sc.Err())
	return out
}
