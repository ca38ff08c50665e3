package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var digestRE = regexp.MustCompile(`trace_sha256=([0-9a-f]{64})`)

// Reference: DESIGN.md, "CLI contract".
func TestRunBundledScenariosPassAndRepeat(t *testing.T) {
	for _, p := range []string{"echo", "broadcast"} {
		t.Run(p, func(t *testing.T) {
			scn := filepath.Join("..", "..", "plugins", p, "scenario.yaml")
			var digests []string
			for i := range 2 {
				dir := filepath.Join(t.TempDir(), "out")
				code, out, errs := cli(t, "run", scn, "--seed", "7", "--out", dir)
				require.Equal(t, 0, code, "run %d: %s\n%s", i, out, errs)
				last := lastLine(out)
				assert.True(t, strings.HasPrefix(last, "PASS "+scn+" seed=7"), last)
				m := digestRE.FindStringSubmatch(last)
				require.NotNil(t, m, last)
				digests = append(digests, m[1])

				var res map[string]any
				b, err := os.ReadFile(filepath.Join(dir, "results.json"))
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(b, &res))
				assert.Equal(t, true, res["valid"])
				assert.Equal(t, float64(7), res["seed"])
				assert.Equal(t, m[1], res["trace_sha256"])
				assert.Contains(t, res, "checks")
				stats := res["stats"].(map[string]any)
				for _, k := range []string{"messages_sent", "messages_delivered", "messages_dropped", "messages_duplicated", "events", "virtual_ns", "wall_ns"} {
					assert.Contains(t, stats, k)
				}
				for _, f := range []string{"trace.jsonl", "history.jsonl", "lamport.html", "stats.json", "timeline.json", "shiviz.log"} {
					st, err := os.Stat(filepath.Join(dir, f))
					require.NoError(t, err)
					assert.Positive(t, st.Size(), f)
				}
			}
			assert.Equal(t, digests[0], digests[1], "same seed, same trace")
		})
	}
}

func TestRunBrokenModuleFailsWithReproduceCommand(t *testing.T) {
	code, out, _ := cli(t, "run", "testdata/badecho.yaml", "--seed", "3")
	assert.Equal(t, 1, code)
	assert.Regexp(t, `^FAIL testdata/badecho.yaml seed=3 verdict=invalid trace_sha256=[0-9a-f]{64} reproduce: terrarium run testdata/badecho.yaml --seed 3$`, lastLine(out))
	assert.Contains(t, out, `got "garbled" back`)
}

func TestRunBadInputExits2NamingFileAndLine(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"bad_unknown_field.yaml", []string{"testdata/bad_unknown_field.yaml:5:", `unknown field "colour"`}},
		{"bad_missing_module.yaml", []string{"testdata/bad_missing_module.yaml:6:", "nodes[0].module", `"nosuch"`}},
		{"bad_duration.yaml", []string{"testdata/bad_duration.yaml:1:", "duration", `"10 seconds"`}},
		{"bad_role.yaml", []string{"testdata/bad_role.yaml:5:", "nodes[0].role", `"leader"`}},
		{"bad_wasm.yaml", []string{"testdata/bad_wasm.yaml:3:", "modules.junk"}},
		{"does_not_exist.yaml", []string{"does_not_exist.yaml"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			code, out, errs := cli(t, "run", "testdata/"+tc.file)
			assert.Equal(t, 2, code, out)
			for _, w := range tc.want {
				assert.Contains(t, errs, w)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	code, _, errs := cli(t)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "usage:")
	code, _, errs = cli(t, "fly")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `unknown command "fly"`)
	code, _, errs = cli(t, "run", "a.yaml", "b.yaml")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "want one SCENARIO file, got 2")
	code, _, errs = cli(t, "run", "a.yaml", "--persist")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--persist needs --out")
}

func TestShrinkWritesAMinimalFailingScenario(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "min.yaml")
	code, out, errs := cli(t, "shrink", "../../runtime/shrink/testdata/broken_schedule.yaml", "--seed", "1", "--out", dst)
	require.Equal(t, 0, code, "%s\n%s", out, errs)
	assert.Contains(t, out, "faults: 9 -> 1")
	assert.Contains(t, out, "at 2s: partition [n0] | [n1 n2 n3]")
	assert.Contains(t, out, "reproduce: terrarium run "+dst+" --seed 1")
	code, out, _ = cli(t, "run", dst, "--seed", "1")
	assert.Equal(t, 1, code, "the minimal scenario still fails")
	assert.Contains(t, lastLine(out), "FAIL "+dst+" seed=1 verdict=invalid")

	code, _, errs = cli(t, "shrink", "../../plugins/echo/scenario.yaml")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "want SCENARIO and --seed N")
}

func TestRunWorkersWriteTheSameRunFiles(t *testing.T) {
	scn := filepath.Join("..", "..", "plugins", "broadcast", "scenario.yaml")
	files := map[string]map[string][]byte{}
	for _, w := range []string{"1", "2"} {
		dir := filepath.Join(t.TempDir(), "out")
		code, out, errs := cli(t, "run", scn, "--seed", "3", "--out", dir, "--workers", w)
		require.Equal(t, 0, code, "--workers %s: %s\n%s", w, out, errs)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		files[w] = map[string][]byte{}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			files[w][e.Name()] = wallRE.ReplaceAll(b, []byte(`"wall_ns":0`))
		}
	}
	require.NotEmpty(t, files["1"])
	assert.Equal(t, len(files["1"]), len(files["2"]))
	for name, b := range files["1"] {
		assert.True(t, bytes.Equal(b, files["2"][name]), "%s differs between --workers 1 and 2", name)
	}

	code, _, errs := cli(t, "run", scn, "--workers", "-1")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--workers -1")
}

// wallRE matches the wall-clock fields of run files, the one thing that
// may differ between two runs of a seed.
var wallRE = regexp.MustCompile(`"wall_ns": ?[0-9]+`)
