package runner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// TestScripts runs the data-driven scripts in testdata/scripts with
// github.com/cockroachdb/datadriven: each directive is a command, a line
// "----", and the output it must give (go test ./runtime/runner -run
// TestScripts -rewrite refreshes the outputs; read the diff). A command
// that fails gives "error: " and its error. Commands, one handler file for
// each family:
//
//	script_run_test.go     scenario [FILE] [seed=N] (YAML below, or FILE
//	                       relative to the script), run D, step N, finish,
//	                       events [kinds=(K,...)], trace-tail N
//	script_faults_test.go  partition A,B | C,D; partition-oneway A B; repair;
//	                       crash N; restart N; bounce N; pause N; resume N;
//	                       hold A B; release A B; nodes
//	script_store_test.go   kv-get NODE KEY, kv-scan NODE [PREFIX]
func TestScripts(t *testing.T) {
	commands := map[string]command{}
	for _, family := range []map[string]command{runCommands(), faultCommands(), storeCommands()} {
		for name, c := range family {
			commands[name] = c
		}
	}
	datadriven.Walk(t, "testdata/scripts", func(t *testing.T, path string) {
		s := &script{path: path}
		defer s.close()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			c, ok := commands[d.Cmd]
			if !ok {
				d.Fatalf(t, "unknown command %q", d.Cmd)
			}
			var out string
			var err error
			if d.Cmd != "scenario" && s.r == nil {
				err = fmt.Errorf("%s: no run (no scenario yet, or it failed)", d.Cmd)
			} else {
				out, err = c(s, d)
			}
			if err != nil {
				out = "error: " + err.Error()
			}
			var b strings.Builder
			for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				if line = strings.TrimRight(line, " "); line != "" || b.Len() > 0 {
					b.WriteString(line + "\n")
				}
			}
			return b.String()
		})
	})
}

// command runs one script directive and returns its output.
type command func(s *script, d *datadriven.TestData) (string, error)

// script is the state of one script file: its run, and how many of the
// run's events the events command has shown.
type script struct {
	path  string
	r     *runner.Run
	shown int
}

func (s *script) close() {
	if s.r != nil {
		s.r.Close()
	}
}

// positional returns a directive's arguments that have no value, in order.
func positional(d *datadriven.TestData) []string {
	var out []string
	for _, a := range d.CmdArgs {
		if len(a.Vals) == 0 {
			out = append(out, a.Key)
		}
	}
	return out
}

// arg returns the i-th positional argument, or an error naming the command.
func arg(d *datadriven.TestData, i int) (string, error) {
	p := positional(d)
	if i >= len(p) {
		return "", fmt.Errorf("%s: want at least %d arguments, got %d", d.Cmd, i+1, len(p))
	}
	return p[i], nil
}
