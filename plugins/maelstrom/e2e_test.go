// Package maelstrom_test runs our solutions to Maelstrom's workloads, and
// their deliberately broken variants, end to end.
package maelstrom_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// modules is shared so that each solution is built once.
var modules = runner.NewModules()

func run(t *testing.T, file string, seed uint64) *runner.Result {
	t.Helper()
	reg := patterns.Registry()
	scn, err := runner.Load(file, reg)
	require.NoError(t, err)
	res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithSeed(seed).WithRegistry(reg).WithModules(modules))
	require.NoError(t, err)
	return res
}

var cases = []struct {
	dir, scenario, broken, check string
}{
	{"unique-ids", "scenario.yaml", "broken.yaml", "unique-ids"},
	{"g-set", "scenario.yaml", "broken.yaml", "g-set"},
	{"g-counter", "scenario.yaml", "broken.yaml", "g-counter"},
	{"pn-counter", "scenario.yaml", "broken.yaml", "pn-counter"},
	{"lin-kv", "scenario.yaml", "broken.yaml", "lin-kv"},
	{"kafka", "scenario.yaml", "broken.yaml", "kafka"},
	{"txn", "rw-register.yaml", "rw-register-broken.yaml", "txn-rw-register"},
	{"txn", "list-append.yaml", "list-append-broken.yaml", "txn-list-append"},
	{"broadcast", "scenario.yaml", "broken.yaml", "maelstrom-broadcast"},
}

// TestSolutionsPassWithPartitions: every solution passes its workload's
// checker under partitions, on several seeds.
func TestSolutionsPassWithPartitions(t *testing.T) {
	for _, c := range cases {
		t.Run(c.check, func(t *testing.T) {
			for _, seed := range []uint64{1, 2} {
				res := run(t, filepath.Join(c.dir, c.scenario), seed)
				cr := res.Checks[c.check]
				assert.Equal(t, check.Valid, cr.Verdict, "seed %d: %s", seed, cr.Summary)
				assert.NotEmpty(t, res.Injected, "seed %d: the nemesis injected no partition", seed)
			}
		})
	}
}

// TestBrokenNodesFail: every deliberately broken variant fails its
// checker.
func TestBrokenNodesFail(t *testing.T) {
	for _, c := range cases {
		t.Run(c.check, func(t *testing.T) {
			res := run(t, filepath.Join(c.dir, c.broken), 1)
			cr := res.Checks[c.check]
			assert.Equal(t, check.Invalid, cr.Verdict, cr.Summary)
			assert.False(t, res.Valid)
		})
	}
}

// TestSameSeedSameDigest: a run with a service and partitions is a pure
// function of its seed.
func TestSameSeedSameDigest(t *testing.T) {
	a := run(t, "g-counter/scenario.yaml", 3)
	b := run(t, "g-counter/scenario.yaml", 3)
	assert.Equal(t, a.TraceSHA256, b.TraceSHA256)
	c := run(t, "g-counter/scenario.yaml", 4)
	assert.NotEqual(t, a.TraceSHA256, c.TraceSHA256)
}

// TestServicesNameTheirLanes: results.json names every endpoint by its
// trace index, services included (between the nodes and the clients), so
// the report's lanes are right.
func TestServicesNameTheirLanes(t *testing.T) {
	res := run(t, "g-counter/scenario.yaml", 1)
	assert.Equal(t, []string{"n0", "n1", "n2", "seq-kv"}, res.Nodes)
	assert.Equal(t, []string{"c0", "c1", "c2", "c3", "c4"}, res.Clients)
}
