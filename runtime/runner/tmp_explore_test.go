package runner_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/runner"
)

func TestTmpExplore(t *testing.T) {
	scn, err := runner.Load("testdata/broadcast3d.yaml", nil)
	require.NoError(t, err)
	scn.Duration = 3 * time.Second
	scn.Workload.Params = json.RawMessage(`{"settle": "1s"}`)
	mods := runner.NewModules()
	for _, w := range []int{1, 2, 1, 2} {
		r, err := runner.Prepare(context.Background(), scn, runner.NewOptions().WithModules(mods).WithAllEvents(false).WithWorkers(w))
		require.NoError(t, err)
		start := time.Now()
		res, err := r.Finish()
		require.NoError(t, err)
		t.Logf("w=%d %v %s events=%d %+v", w, time.Since(start), res.TraceSHA256[:12], res.Stats.Events, r.Sim().Parallelism())
		r.Close()
	}
}
