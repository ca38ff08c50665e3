// Package scenariotest runs scenario files from tests.
package scenariotest

import (
	"context"
	"testing"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// Run loads the scenario at path and runs it with seed, failing the test on
// any error (a checker's verdict is not an error: read it from the result).
func Run(t testing.TB, path string, seed uint64) *runner.Result {
	t.Helper()
	reg := patterns.Registry()
	scn, err := runner.Load(path, reg)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithSeed(seed).WithRegistry(reg))
	if err != nil {
		t.Fatalf("run %s with seed %d: %v", path, seed, err)
	}
	return res
}
