package fedcheck_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// jsonLines decodes each line of a run folder's file into a T.
func jsonLines[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var v T
		require.NoError(t, json.Unmarshal(sc.Bytes(), &v))
		out = append(out, v)
	}
	require.NoError(t, sc.Err())
	return out
}

type rotationRun struct {
	res     *runner.Result
	refused []time.Duration // when "unknown signing key" refusals completed
	okAfter []time.Duration // transfers that succeeded, by completion time
	learned []time.Duration // the bank's key_learned emits
}

// runRotation runs rotation.yaml, keeping or dropping its partition.
func runRotation(t *testing.T, partition bool) rotationRun {
	t.Helper()
	reg := patterns.Registry()
	scn, err := runner.Load("../rotation.yaml", reg)
	require.NoError(t, err)
	if !partition {
		scn.Faults = slices.DeleteFunc(scn.Faults, func(f scenario.Fault) bool {
			return f.Kind == fault.Partition || f.Kind == fault.Repair
		})
	}
	dir := t.TempDir()
	res, err := runner.Execute(t.Context(), scn, runner.NewOptions().WithRegistry(reg).WithOutDir(dir))
	require.NoError(t, err)
	r := rotationRun{res: res}
	for _, op := range jsonLines[struct {
		Type, F, Error string
		Time           int64
	}](t, filepath.Join(dir, "history.jsonl")) {
		switch {
		case op.F == "transfer" && op.Error == "unknown signing key":
			r.refused = append(r.refused, time.Duration(op.Time))
		case op.F == "transfer" && op.Type == "ok":
			r.okAfter = append(r.okAfter, time.Duration(op.Time))
		}
	}
	for _, ev := range jsonLines[struct {
		Kind, Label string
		T           int64
	}](t, filepath.Join(dir, "trace.jsonl")) {
		if ev.Kind == "emit" && ev.Label == "key_learned" {
			r.learned = append(r.learned, time.Duration(ev.T))
		}
	}
	return r
}

// Reference: federated identity's limitation, key rotation under a
// partition: the provider starts signing with a new key at 700 ms while
// the bank is cut off from it (500 ms to 1500 ms), so the bank refuses
// genuine tokens until the partition heals and it can fetch the key; no
// security property breaks meanwhile.
func TestRotationUnderPartitionLocksOut(t *testing.T) {
	r := runRotation(t, true)
	for name, c := range r.res.Checks {
		require.Equal(t, check.Valid, c.Verdict, "%s: %s", name, c.Summary)
	}
	refusals := r.res.Checks["security-availability"].Details["refusals"].(map[string]int)
	assert.Greater(t, refusals["unknown signing key"], 30, "genuine tokens refused while the key cannot be fetched")
	require.NotEmpty(t, r.refused)
	assert.Greater(t, r.refused[0], 700*time.Millisecond, "nothing refused before the rotation")
	assert.Less(t, r.refused[len(r.refused)-1], 1700*time.Millisecond, "the refusals stop once the partition heals")
	require.Len(t, r.learned, 1, "the bank learns the new key once")
	assert.Greater(t, r.learned[0], 1500*time.Millisecond, "only after the repair")
	assert.True(t, slices.ContainsFunc(r.okAfter, func(d time.Duration) bool { return d > r.learned[0] }), "transfers succeed again")
}

// Reference: the same rotation without the partition costs the bank one
// key fetch: the few transfers that race it are refused, then it serves.
// (The lockout above is the partition's doing, not the rotation's.)
func TestRotationWithoutPartitionIsBrief(t *testing.T) {
	r := runRotation(t, false)
	require.Len(t, r.learned, 1)
	assert.Less(t, r.learned[0], 1000*time.Millisecond)
	assert.LessOrEqual(t, len(r.refused), 3, "at most one refusal per user before the key arrives")
	for _, d := range r.refused {
		assert.Less(t, d, r.learned[0]+50*time.Millisecond)
	}
}
