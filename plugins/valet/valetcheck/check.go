package valetcheck

import (
	"encoding/json"
	"fmt"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// LeakedKeys measures the Valet Key's stated limitation: a leaked key
// works until it expires. It counts the writes storage applied that no
// client asked for (the attacker's, with a stolen key) and how long after
// the key's expiry (by the key service's clock, which is the run's: the
// event's virtual time) the last one was accepted; a storage node whose
// clock lags, or that takes the request's word for the time, accepts keys
// that have expired. It never fails (the limit
// is the pattern's, not a bug); unknown if nothing was applied.
func LeakedKeys(in check.Input) check.Result {
	asked := map[string]bool{}
	for _, o := range in.History {
		var v struct {
			Req string `json:"req"`
		}
		if o.Type == history.OpInvoke && json.Unmarshal(o.Value, &v) == nil && v.Req != "" {
			asked[v.Req] = true
		}
	}
	applied, leaked := 0, 0
	var worst int64
	for _, e := range in.Events {
		if e.Kind != trace.KindEmit || e.Label != "apply" {
			continue
		}
		var a struct {
			Req string `json:"req"`
			Exp int64  `json:"exp"`
		}
		if json.Unmarshal(e.Data, &a) != nil {
			continue
		}
		applied++
		if !asked[a.Req] {
			leaked++
			worst = max(worst, e.Time-a.Exp)
		}
	}
	d := map[string]any{"applied": applied, "leaked_key_writes": leaked, "max_after_expiry_ms": float64(worst) / 1e6}
	if applied == 0 {
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "nothing was written"}
	}
	s := fmt.Sprintf("%d writes with a stolen key were accepted", leaked)
	if leaked > 0 && worst > 0 {
		s += fmt.Sprintf(", the latest %.0f ms after the key expired by the run's clock (storage judged it by another: its own lagging, or the request's)", float64(worst)/1e6)
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: s}
}
