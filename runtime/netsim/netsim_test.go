package netsim_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/netsim"
)

func TestLatencyDistributions(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name     string
		lat      netsim.Latency
		min, max time.Duration
		mean     time.Duration // expected mean, ±10%
	}{
		{"constant", netsim.Constant(5 * ms), 5 * ms, 5 * ms, 5 * ms},
		{"uniform", netsim.Uniform(2*ms, 10*ms), 2 * ms, 10 * ms, 6 * ms},
		{"normal", netsim.Normal(20*ms, 2*ms), 0, time.Hour, 20 * ms},
		{"normal clamped", netsim.Latency{Dist: netsim.DistNormal, Mean: 20 * ms, Stddev: 50 * ms, Min: 10 * ms, Max: 30 * ms}, 10 * ms, 30 * ms, 0},
		{"exponential", netsim.Exponential(ms, 4*ms), ms, time.Hour, 5 * ms},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := netsim.New(netsim.Link{Latency: tc.lat})
			require.NoError(t, err)
			r := rand.New(rand.NewPCG(1, 2))
			var sum int64
			const k = 20000
			for range k {
				f := n.Fate(0, 1, r)
				require.False(t, f.Dropped)
				require.Len(t, f.Delays, 1)
				d := time.Duration(f.Delays[0])
				require.GreaterOrEqual(t, d, tc.min)
				require.LessOrEqual(t, d, tc.max)
				sum += f.Delays[0]
			}
			if tc.mean > 0 {
				assert.InEpsilon(t, float64(tc.mean), float64(sum)/k, 0.1)
			}
		})
	}
}

func TestLinkProbabilities(t *testing.T) {
	n, err := netsim.New(netsim.Link{Latency: netsim.Constant(time.Millisecond), Loss: 0.25, Duplicate: 0.5, Reorder: 0.5})
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(3, 4))
	var lost, dup, reordered int
	const k = 20000
	for range k {
		f := n.Fate(0, 1, r)
		switch {
		case f.Dropped:
			lost++
			assert.Equal(t, "loss", f.Reason)
		default:
			if len(f.Delays) == 2 {
				dup++
			}
			if f.Reordered {
				reordered++
				assert.Greater(t, f.Delays[0], int64(time.Millisecond)-1)
			}
		}
	}
	assert.InEpsilon(t, 0.25*k, float64(lost), 0.1)
	assert.InEpsilon(t, 0.5*0.75*k, float64(dup), 0.1)
	assert.InEpsilon(t, 0.5*0.75*k, float64(reordered), 0.1)
}

func TestPartitionsAndOverrides(t *testing.T) {
	n, err := netsim.New(netsim.Link{Latency: netsim.Constant(time.Millisecond)})
	require.NoError(t, err)
	n.PartitionOneWay([]int32{0}, []int32{1, 2})
	assert.True(t, n.Cut(0, 1))
	assert.True(t, n.Cut(0, 2))
	assert.False(t, n.Cut(1, 0))
	n.Partition([]int32{3}, []int32{4})
	assert.Equal(t, [][2]int32{{0, 1}, {0, 2}, {3, 4}, {4, 3}}, n.Cuts())
	n.Repair()
	assert.Empty(t, n.Cuts())

	require.NoError(t, n.SetLink(1, 2, netsim.Link{Latency: netsim.Constant(9 * time.Millisecond)}))
	assert.Equal(t, netsim.Constant(9*time.Millisecond), n.Link(1, 2).Latency)
	assert.Equal(t, netsim.Constant(time.Millisecond), n.Link(2, 1).Latency)
}

func TestValidation(t *testing.T) {
	cases := map[string]netsim.Link{
		"loss above one":     {Loss: 1.5},
		"negative duplicate": {Duplicate: -0.1},
		"reorder above one":  {Reorder: 2},
		"inverted range":     {Latency: netsim.Uniform(5*time.Millisecond, time.Millisecond)},
		"negative latency":   {Latency: netsim.Constant(-time.Millisecond)},
		"unknown dist":       {Latency: netsim.Latency{Dist: "gaussian"}},
	}
	for name, l := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := netsim.New(l)
			assert.Error(t, err)
		})
	}
	_, err := netsim.ParseDist("gaussian")
	assert.ErrorContains(t, err, `unknown latency distribution "gaussian"`)
}

func TestMinLatencyIsTheLeastMinOverEveryLink(t *testing.T) {
	ms := time.Millisecond
	n, err := netsim.New(netsim.Link{Latency: netsim.Constant(5 * ms)})
	require.NoError(t, err)
	assert.Equal(t, 5*ms, n.MinLatency())
	require.NoError(t, n.SetLink(1, 2, netsim.Link{Latency: netsim.Uniform(2*ms, 9*ms), Reorder: 1, Duplicate: 1}))
	assert.Equal(t, 2*ms, n.MinLatency())
	require.NoError(t, n.SetLink(2, 1, netsim.Link{Latency: netsim.Exponential(3*ms, ms)}))
	assert.Equal(t, 2*ms, n.MinLatency())
	// Every sample, duplicates and reordering included, is at least it.
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		for _, d := range n.Fate(1, 2, r).Delays {
			require.GreaterOrEqual(t, time.Duration(d), n.MinLatency())
		}
	}
	n.ClearLink(1, 2)
	assert.Equal(t, 3*ms, n.MinLatency())
	require.Error(t, n.SetLink(3, 4, netsim.Link{Latency: netsim.Uniform(ms, 0)}), "a bad link changes nothing")
	assert.Equal(t, 3*ms, n.MinLatency())
	require.NoError(t, n.SetDefault(netsim.Link{Latency: netsim.Normal(20*ms, 5*ms)}))
	assert.Equal(t, time.Duration(0), n.MinLatency(), "a normal latency without a Min clamp can be 0")
}

// Latency.Check refuses an unknown distribution and a max below min
// where max bounds the distribution, and makes a constant one's Max its
// Min; Dist.Params names the durations each distribution needs.
func TestLatencyCheck(t *testing.T) {
	assert.EqualError(t, (&netsim.Latency{Dist: "pareto"}).Check("dist"), `unknown distribution "pareto" (known: constant, uniform, normal, exponential)`)
	assert.NoError(t, (&netsim.Latency{Dist: netsim.DistNormal}).Check("dist"))
	for _, l := range []netsim.Latency{{Min: 2, Max: 1}, {Dist: netsim.DistUniform, Min: 2}, {Dist: netsim.DistNormal, Min: 2, Max: 1}} {
		assert.EqualError(t, l.Check("max"), fmt.Sprintf("must not be less than min (%s), got %s", l.Min, l.Max), "%+v", l)
	}
	assert.NoError(t, (&netsim.Latency{Dist: netsim.DistExponential, Min: 2}).Check("max"), "max 0 does not clamp")
	c := netsim.Latency{Dist: netsim.DistConstant, Min: 5, Max: 1}
	require.NoError(t, c.Check("max"))
	assert.Equal(t, time.Duration(5), c.Max)
	assert.Equal(t, []string{"min", "max"}, netsim.DistDefault.Params())
	assert.Equal(t, []string{"mean", "stddev"}, netsim.DistNormal.Params())
}
