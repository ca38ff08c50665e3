package sweep

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSeeds(t *testing.T) {
	cases := []struct {
		in    string
		want  []uint64
		canon string
	}{
		{"5", []uint64{5}, "5"},
		{"0", []uint64{0}, "0"},
		{"1..4", []uint64{1, 2, 3, 4}, "1..4"},
		{"7..7", []uint64{7}, "7"},
		{"1,2,9", []uint64{1, 2, 9}, "1,2,9"},
		{"1..3,20..22", []uint64{1, 2, 3, 20, 21, 22}, "1..3,20..22"},
		{" 20..21 , 3 ", []uint64{20, 21, 3}, "20..21,3"},
		{"18446744073709551614..18446744073709551615", []uint64{1<<64 - 2, 1<<64 - 1}, "18446744073709551614..18446744073709551615"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			s, err := ParseSeeds(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, s.List())
			assert.Equal(t, len(tc.want), s.Len())
			assert.Equal(t, tc.canon, s.String())
			for p, v := range tc.want {
				assert.Equal(t, v, s.At(p))
				assert.True(t, s.Contains(v))
			}
		})
	}
	s, err := ParseSeeds("1..1000")
	require.NoError(t, err)
	assert.Equal(t, 1000, s.Len())
	assert.False(t, s.Contains(0))
	assert.False(t, s.Contains(1001))

	bad := []struct{ in, want string }{
		{"", "empty"},
		{"  ", "empty"},
		{"x", `part "x": "x" is not a seed`},
		{"1..x", `part "1..x": "x" is not a seed`},
		{"..5", `part "..5": "" is not a seed`},
		{"3..", `part "3..": "" is not a seed`},
		{"-1", `part "-1"`},
		{"1.5", `part "1.5"`},
		{"1..3,9..5", `part "9..5": range ends (5) before it starts (9)`},
		{"1,,2", "part 2 is empty"},
		{"1,2,", "part 3 is empty"},
		{"1..10,5", `part "5" repeats seeds of part "1..10"`},
		{"5,1..10", `part "1..10" repeats seeds of part "5"`},
		{"1..3,3..4", `part "3..4" repeats seeds of part "1..3"`},
		{"4,4", `part "4" repeats seeds of part "4"`},
		{"1..20000000", `part "1..20000000": more than 10000000 seeds`},
		{"0..18446744073709551615", "more than 10000000 seeds"},
		{"99999999999999999999", `"99999999999999999999" is not a seed`},
	}
	for _, tc := range bad {
		t.Run("bad "+tc.in, func(t *testing.T) {
			_, err := ParseSeeds(tc.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestParseShard(t *testing.T) {
	good := []struct {
		in   string
		want Shard
	}{
		{"0/1", Shard{0, 1}},
		{"0/4", Shard{0, 4}},
		{"3/4", Shard{3, 4}},
		{" 1 / 2 ", Shard{1, 2}},
	}
	for _, tc := range good {
		sh, err := ParseShard(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, sh)
		assert.Equal(t, fmt.Sprintf("%d/%d", tc.want.Index, tc.want.Count), sh.String())
	}
	bad := []struct{ in, want string }{
		{"", "want i/n"},
		{"1", "want i/n"},
		{"2/2", "index 2 must be from 0 to 1"},
		{"4/2", "index 4 must be from 0 to 1"},
		{"-1/2", "index -1 must be from 0 to 1"},
		{"0/0", "count 0 must be at least 1"},
		{"1/-3", "count -3 must be at least 1"},
		{"a/2", `index "a" is not a whole number`},
		{"1/b", `count "b" is not a whole number`},
		{"1/2/3", `count "2/3" is not a whole number`},
	}
	for _, tc := range bad {
		_, err := ParseShard(tc.in)
		if assert.Error(t, err, tc.in) {
			assert.Contains(t, err.Error(), tc.want, tc.in)
		}
	}
}

// Every seed is in exactly one shard, and in the one its position names.
func TestShardsPartitionTheSeedList(t *testing.T) {
	for _, spec := range []string{"1..10", "7", "1..3,100..110,5,50..52", "1..1000"} {
		all, err := ParseSeeds(spec)
		require.NoError(t, err)
		pos := map[uint64]int{}
		for p, v := range all.List() {
			pos[v] = p
		}
		for n := 1; n <= 7; n++ {
			owner := map[uint64]int{}
			total := 0
			for i := range n {
				part := Shard{Index: i, Count: n}.Select(all)
				total += len(part)
				for _, v := range part {
					prev, dup := owner[v]
					require.False(t, dup, "%s: seed %d in shards %d/%d and %d/%d", spec, v, prev, n, i, n)
					owner[v] = i
					assert.Equal(t, i, pos[v]%n, "%s: seed %d at position %d in shard %d/%d", spec, v, pos[v], i, n)
				}
				// Within a shard, seeds keep the list's order.
				for k := 1; k < len(part); k++ {
					assert.Less(t, pos[part[k-1]], pos[part[k]])
				}
			}
			assert.Equal(t, all.Len(), total, "%s into %d", spec, n)
			assert.Len(t, owner, all.Len(), "%s into %d: union is the list", spec, n)
		}
		assert.Equal(t, all.List(), Shard{}.Select(all), "the zero shard is the whole list")
	}
}

func TestSeedsAndShardRoundTripThroughJSON(t *testing.T) {
	type doc struct {
		Seeds Seeds  `json:"seeds"`
		Shard *Shard `json:"shard,omitempty"`
		Miss  Seeds  `json:"miss,omitzero"`
	}
	s, err := ParseSeeds("1..10,20,30..31")
	require.NoError(t, err)
	b, err := json.Marshal(doc{Seeds: s, Shard: &Shard{2, 3}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"seeds":"1..10,20,30..31","shard":"2/3"}`, string(b))
	var d doc
	require.NoError(t, json.Unmarshal(b, &d))
	assert.Equal(t, s.List(), d.Seeds.List())
	assert.Equal(t, Shard{2, 3}, *d.Shard)
	assert.Error(t, json.Unmarshal([]byte(`{"seeds":"3..1"}`), &d))
	assert.Error(t, json.Unmarshal([]byte(`{"seeds":"1","shard":"5/5"}`), &d))
}

func TestSeedsOfCompressesRuns(t *testing.T) {
	assert.Equal(t, "1..3,5,7..8", seedsOf([]uint64{1, 2, 3, 5, 7, 8}).String())
	assert.Equal(t, 0, seedsOf(nil).Len())
	assert.Equal(t, "", seedsOf(nil).String())
}
