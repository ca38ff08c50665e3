package shardcheck

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Load reports how the requests spread over the shards, the pattern's
// limitation made visible: per-shard request counts (serve events), per-key
// counts, and the ratio of the busiest shard's count to the mean (1.0 is a
// perfect spread; a hot key makes it large). Every shard that started
// (shard_up) counts, even one that served nothing. It is valid once it is
// computed; params {"max_ratio": x} (optional) make a ratio above x invalid.
func Load(in check.Input) check.Result {
	var p struct {
		MaxRatio float64 `json:"max_ratio"`
	}
	if len(in.Params) > 0 {
		if err := json.Unmarshal(in.Params, &p); err != nil {
			return check.Result{Verdict: check.Unknown, Summary: "bad params: " + err.Error()}
		}
	}
	perShard := map[string]int{}
	for _, e := range in.Events {
		if e.Kind == trace.KindEmit && e.Label == "shard_up" {
			var b struct {
				Shard string `json:"shard"`
			}
			if json.Unmarshal(e.Data, &b) == nil && b.Shard != "" {
				perShard[b.Shard] += 0
			}
		}
	}
	perKey := map[string]int{}
	total := 0
	for _, s := range serves(in.Events, in.Nodes) {
		perShard[s.Shard]++
		perKey[s.Key]++
		total++
	}
	d := map[string]any{"per_shard": perShard, "per_key": perKey, "requests": total, "shards": len(perShard)}
	if total == 0 || len(perShard) == 0 {
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "no shard served a request"}
	}
	names := make([]string, 0, len(perShard))
	for n := range perShard {
		names = append(names, n)
	}
	sort.Strings(names)
	hot, maxN, minN := "", -1, math.MaxInt
	for _, n := range names {
		if perShard[n] > maxN {
			hot, maxN = n, perShard[n]
		}
		minN = min(minN, perShard[n])
	}
	mean := float64(total) / float64(len(perShard))
	ratio := math.Round(float64(maxN)/mean*1000) / 1000
	d["max"], d["min"], d["mean"], d["max_mean_ratio"], d["hottest"] = maxN, minN, math.Round(mean*1000)/1000, ratio, hot
	sum := fmt.Sprintf("busiest shard %s served %d of %d requests; max/mean %.2f over %d shards", hot, maxN, total, ratio, len(perShard))
	if p.MaxRatio > 0 && ratio > p.MaxRatio {
		return check.Result{Verdict: check.Invalid, Details: d, Summary: sum + fmt.Sprintf(" (above max_ratio %.2f)", p.MaxRatio)}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: sum}
}
