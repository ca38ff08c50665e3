package golden

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/runtime/runner"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// beforeState are the golden digests of the runs whose guests emit their
// state (maelstrom.Node.SetState: twopc's participants, sharding's shards)
// from before they did.
var beforeState = map[string]string{
	"plugins/twopc/broken.yaml seed=1":      "de67d651dad3747914aa7064f9e0823486af9622fe1a56f572567592f4dbd4da",
	"plugins/twopc/broken.yaml seed=2":      "b7af1f9f9315eab77e120f8478d1620766188c66c6048ba1f43ea9185c3f3a68",
	"plugins/twopc/broken.yaml seed=3":      "45ed17598781d582199a366344a34fa7dec49989299ec6489b307f43eb672d1c",
	"plugins/twopc/limit.yaml seed=1":       "231a1440faa002a985b66a15fe5228c881969e958fce447ee0b1c1f0a92ce410",
	"plugins/twopc/limit.yaml seed=2":       "a1b157d87eb1066b24873bc0236e79773944d0300e34763291122e6c3e0487ec",
	"plugins/twopc/limit.yaml seed=3":       "fb9eae137e21af9bacd920e08badff9389845031caeef1e1636cacb61e24b5fe",
	"plugins/twopc/scenario.yaml seed=1":    "059a71cdeb76e53c88de06761c70a9bb17e8563af359dbefd9e6f25b70a5f531",
	"plugins/twopc/scenario.yaml seed=2":    "1fb05345a3b216303ba62ed4c0ef62bbd53c795f7d525275e047e253f5bd1545",
	"plugins/twopc/scenario.yaml seed=3":    "50b09d0326aa6af97d1f56f39c6dff6b7b7c02cfdb436792bfd706317073e682",
	"plugins/sharding/broken.yaml seed=1":   "034ba49ce91d4c88f30a702bed13fffe48d70fd1a2d34ebe722bb64dcc92ef84",
	"plugins/sharding/broken.yaml seed=2":   "8b3cb3639c0194fe5162ecebf278b54331e44f62ad5ae57f4a5cac8694a37510",
	"plugins/sharding/broken.yaml seed=3":   "8fa6803718acd240fdc4d56569682e11d2bb6e6b983f43a4166ee423b6e86a28",
	"plugins/sharding/limit.yaml seed=1":    "5bf94c9433c05bb61267a743d9c6a2e148311988822123b685f99f5ef589eac3",
	"plugins/sharding/limit.yaml seed=2":    "7299b15c30417cee09649212e51e950789e8cd1073ee61e2dd88cdd48b92cc63",
	"plugins/sharding/limit.yaml seed=3":    "3d2838fad6f133c85c43cc98370a83de595fb0e75bb98562a37317de841a04b5",
	"plugins/sharding/range.yaml seed=1":    "86194b5f76dcec9033083d3144d7a633b1058797ccd4864f793d0b20008f07fd",
	"plugins/sharding/range.yaml seed=2":    "deff3ee399ce416cf0cdfb8de40ef9b96818bf554714a50e8416530c4ffc5815",
	"plugins/sharding/range.yaml seed=3":    "81f3aba18984ebf230808842c0116a477e746d4158e65c0b2c5c03e0fc15a37f",
	"plugins/sharding/scenario.yaml seed=1": "213ab2dae807516dad7d38d1e961275c70b90f164ed1cb647bdce563c31f4f1b",
	"plugins/sharding/scenario.yaml seed=2": "e19d7d4f462a2ea6b6a58f04eb02594a440360b05329a257be8c687225d98a20",
	"plugins/sharding/scenario.yaml seed=3": "3c25bd6915ffa8225f68cf55d1308e60d286aac732f327901bf3fb0acc6daa22",
}

// TestStateEmitsAddOnlyEvents: a guest's state emits add trace events and
// change nothing else. Each run, without its "state" emits and numbered
// again, digests to what the run digested before its guest emitted them:
// the same events, in the same order, at the same times. (A state emit
// that allocated would move the Go guest's garbage collections, and with
// them its goroutines, and change the run; this test catches that.)
func TestStateEmitsAddOnlyEvents(t *testing.T) {
	reg := patterns.Registry()
	mods := runner.NewModules()
	for _, f := range []string{"twopc/broken", "twopc/limit", "twopc/scenario", "sharding/broken", "sharding/limit", "sharding/range", "sharding/scenario"} {
		file := filepath.Join("../../plugins", f+".yaml")
		scn, err := runner.Load(file, reg)
		require.NoError(t, err)
		for _, seed := range seeds {
			k := key(file, seed)
			r, err := runner.Prepare(context.Background(), scn, runner.NewOptions().WithRegistry(reg).WithModules(mods).WithSeed(seed).WithAllEvents(true))
			require.NoError(t, err, k)
			_, err = r.Finish()
			require.NoError(t, err, k)
			rec := trace.NewRecorder(false, nil)
			states := 0
			for _, e := range r.Events(0, 1<<31-1) {
				if e.Kind == trace.KindEmit && e.Label == "state" {
					states++
					continue
				}
				rec.Record(e)
			}
			require.NoError(t, r.Close())
			assert.Positive(t, states, "%s emits its state", k)
			assert.Equal(t, beforeState[k], rec.Digest(), "%s without its state emits", k)
		}
	}
}
