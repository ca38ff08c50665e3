package scenario_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// TestParseErrorScripts parses the YAML of each directive in
// testdata/errors/*.txt (one file per area of the schema) and requires
// its exact error: every problem, rendered, one per line. The messages are
// the contract (docs/SCENARIO.md); -rewrite refreshes the outputs
// only for a deliberate change.
//
//	parse [no-final-newline] [workloads=(A,B)] [checks=(A,B)] [no-checks]
//	YAML
//	----
//	s.yaml:LINE:COLUMN: FIELD: MESSAGE
//
// The YAML gets a final newline unless no-final-newline; workloads and
// checks are the registry the names are checked against (no-checks: an
// empty one).
func TestParseErrorScripts(t *testing.T) {
	datadriven.Walk(t, "testdata/errors", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd != "parse" {
				d.Fatalf(t, "unknown command %q", d.Cmd)
			}
			src := d.Input
			if !d.HasArg("no-final-newline") {
				src += "\n"
			}
			var opts scenario.Options
			if a, ok := d.Arg("workloads"); ok {
				opts.Workloads = a.Vals
			}
			if a, ok := d.Arg("checks"); ok {
				opts.Checks = a.Vals
			}
			if d.HasArg("no-checks") {
				opts.Checks = []string{}
			}
			s, err := scenario.ParseWith("s.yaml", []byte(src), opts)
			if err == nil {
				return "ok\n"
			}
			assert.Nil(t, s, d.Pos)
			var errs scenario.Errors
			require.True(t, errors.As(err, &errs), "%s: error is %T, want scenario.Errors", d.Pos, err)
			require.Len(t, errs, strings.Count(err.Error(), "\n")+1, d.Pos)
			for _, e := range errs {
				assert.Equal(t, "s.yaml", e.File, d.Pos)
			}
			return err.Error() + "\n"
		})
	})
}
