package golden

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

// The large-run modes change what a run costs, never what it does: with
// every node's store a view of one shared database and every name read
// through host calls instead of the init document, bundled scenarios with
// crashes, restarts and lost unsynced writes keep their golden digests.
func TestScaleModesKeepDigests(t *testing.T) {
	want := readGolden(t)
	reg := patterns.Registry()
	mods := runner.NewModules()
	for _, f := range []string{"plugins/broadcast/faults.yaml", "plugins/saga/scenario.yaml", "plugins/sharding/scenario.yaml",
		"plugins/twopc/scenario.yaml", "plugins/cqrs/scenario.yaml", "plugins/twopc/broken.yaml"} {
		t.Run(f, func(t *testing.T) {
			scn, err := runner.Load("../../"+f, reg)
			require.NoError(t, err)
			scn.Limits.SharedStoreNodes = 1
			scn.Limits.InitNames = 1
			for _, seed := range seeds[:2] {
				res, err := runner.Execute(context.Background(), scn, runner.NewOptions().WithRegistry(reg).WithModules(mods).WithSeed(seed))
				require.NoError(t, err)
				key := fmt.Sprintf("%s seed=%d", f, seed)
				require.Contains(t, want, key)
				assert.Equal(t, want[key], res.TraceSHA256+" "+string(res.Verdict), key)
			}
		})
	}
}
