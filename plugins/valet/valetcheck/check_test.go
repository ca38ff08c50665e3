package valetcheck_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/plugins/valet/valetcheck"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func TestLeakedKeysMeasures(t *testing.T) {
	inv := history.Op{Type: history.OpInvoke, Value: json.RawMessage(`{"req":"c0-1"}`)}
	own := trace.Event{Kind: trace.KindEmit, Label: "apply", Time: 10e6, Data: json.RawMessage(`{"req":"c0-1","exp":50000000}`)}
	stolen := trace.Event{Kind: trace.KindEmit, Label: "apply", Time: 300e6, Data: json.RawMessage(`{"req":"evil-1","exp":100000000}`)}
	r := valetcheck.LeakedKeys(check.Input{History: []history.Op{inv}, Events: []trace.Event{own, stolen}})
	assert.Equal(t, check.Valid, r.Verdict)
	assert.Equal(t, 1, r.Details["leaked_key_writes"])
	assert.Equal(t, 200.0, r.Details["max_after_expiry_ms"])
	assert.Contains(t, r.Summary, "200 ms after the key expired")
	assert.Equal(t, check.Unknown, valetcheck.LeakedKeys(check.Input{}).Verdict)
}
