package runfolder_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runfolder"
)

func TestWriteThenRead(t *testing.T) {
	dir := t.TempDir()
	in := &runfolder.Result{Scenario: "s.yaml", Seed: 7, Valid: true, Verdict: check.Valid, Reproducible: true,
		Checks: map[string]check.Result{"echo": {Verdict: check.Valid}}, Nodes: []string{"n0"}, Clients: []string{"c0"}}
	require.NoError(t, runfolder.WriteResults(dir, in))
	out, err := runfolder.ReadResults(dir)
	require.NoError(t, err)
	assert.Equal(t, in, out)
}

func TestCheckFailsOnBadFolders(t *testing.T) {
	dir := t.TempDir()
	err := runfolder.Check(dir)
	require.ErrorIs(t, err, runfolder.ErrNotRunFolder)
	assert.Contains(t, err.Error(), "has no results.json")

	require.NoError(t, os.WriteFile(filepath.Join(dir, runfolder.ResultsFile), []byte("{"), 0o644))
	err = runfolder.Check(dir)
	assert.Contains(t, err.Error(), "has no trace.jsonl")
	_, err = runfolder.ReadResults(dir)
	require.ErrorIs(t, err, runfolder.ErrNotRunFolder, "results.json that does not parse")

	err = runfolder.Check(filepath.Join(dir, runfolder.ResultsFile))
	assert.Contains(t, err.Error(), "is not a directory")
}

func ExampleReadResults() {
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	res := &runfolder.Result{Scenario: "echo.yaml", Seed: 42, Valid: true, Verdict: check.Valid, Reproducible: true}
	if err := runfolder.WriteResults(dir, res); err != nil {
		fmt.Println(err)
		return
	}
	back, err := runfolder.ReadResults(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.Scenario, back.Seed, back.Verdict)
	// Output: echo.yaml 42 valid
}
