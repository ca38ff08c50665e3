package shardcheck_test

import (
	"github.com/terrarium-sim/terrarium/internal/scenariotest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/plugins/patterns"
	"github.com/terrarium-sim/terrarium/plugins/sharding/shardcheck"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/runner"
)

func registered(t *testing.T) {
	t.Helper()
	if _, err := patterns.Registry().Check("sharding-linearizable"); err != nil {
		t.Fatalf("not in the plugins/patterns catalogue: %v", err)
	}
}

func run(t *testing.T, file string, seed uint64) *runner.Result {
	t.Helper()
	return scenariotest.Run(t, file, seed)
}

func TestScenarioPassesUnderFaults(t *testing.T) {
	registered(t)
	for _, seed := range []uint64{1, 2, 3} {
		res := run(t, "../scenario.yaml", seed)
		for name, c := range res.Checks {
			assert.Equal(t, check.Valid, c.Verdict, "seed %d %s: %s", seed, name, c.Summary)
		}
		require.Equal(t, check.Valid, res.Verdict, "seed %d", seed)
		// the rebalance happened and the spare shard served
		load := res.Checks["sharding-load"].Details["per_shard"].(map[string]int)
		assert.Positive(t, load["s3"], "seed %d: s3 served nothing after the rebalance", seed)
		if seed == 1 {
			again := run(t, "../scenario.yaml", seed)
			assert.Equal(t, res.TraceSHA256, again.TraceSHA256, "same seed, different trace")
		}
	}
}

func TestRangeScenarioPasses(t *testing.T) {
	registered(t)
	res := run(t, "../range.yaml", 1)
	for name, c := range res.Checks {
		assert.Equal(t, check.Valid, c.Verdict, "%s: %s", name, c.Summary)
	}
	assert.Positive(t, res.Checks["sharding-load"].Details["per_shard"].(map[string]int)["s3"])
}

func TestBrokenStaleMapFailsNamingTheKey(t *testing.T) {
	registered(t)
	res := run(t, "../broken.yaml", 1)
	require.Equal(t, check.Invalid, res.Verdict)

	own := res.Checks["sharding-ownership"]
	require.Equal(t, check.Invalid, own.Verdict, own.Summary)
	keys := own.Details["keys_with_two_owners"].([]string)
	require.NotEmpty(t, keys)
	first := own.Details["violations"].([]shardcheck.Violation)[0]
	assert.Contains(t, own.Summary, "key "+first.Key)
	assert.Contains(t, own.Summary, first.Owner)
	assert.Contains(t, own.Summary, first.Other)

	lin := res.Checks["sharding-linearizable"]
	require.Equal(t, check.Invalid, lin.Verdict, lin.Summary)
	key := lin.Details["key"].(string)
	assert.Contains(t, lin.Summary, "key "+key)
	assert.Contains(t, keys, key, "the non-linearizable key should be one served by two shards")
}

func TestLimitShowsAHotShard(t *testing.T) {
	registered(t)
	res := run(t, "../limit.yaml", 1)
	load := res.Checks["sharding-load"]
	require.Equal(t, check.Valid, load.Verdict, load.Summary)
	assert.Greater(t, load.Details["max_mean_ratio"].(float64), 1.8, load.Summary)
	assert.Len(t, load.Details["per_shard"], 4)
	assert.Equal(t, check.Valid, res.Checks["sharding-linearizable"].Verdict)
}
