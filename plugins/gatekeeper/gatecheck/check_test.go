package gatecheck_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/plugins/gatekeeper/gatecheck"
	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

func invoke(p int, req, user string, amount int) history.Op {
	v, _ := json.Marshal(map[string]any{"req": req, "user": user, "op": "deposit", "amount": amount})
	return history.Op{Process: p, Type: history.OpInvoke, F: "op", Value: v}
}

func complete(p int, typ string, at int64) history.Op {
	return history.Op{Process: p, Type: typ, F: "op", Time: at, Value: json.RawMessage(`{}`)}
}

func applied(req, user string, amount int) trace.Event {
	v, _ := json.Marshal(map[string]any{"req": req, "user": user, "op": "deposit", "amount": amount})
	return trace.Event{Kind: trace.KindEmit, Node: 1, Label: "apply", Data: v}
}

func attack(label, data string) trace.Event {
	return trace.Event{Kind: trace.KindAttack, Node: -1, Label: label, Data: []byte(data)}
}

var params = json.RawMessage(`{"authorised":["c0"],"secrets":["hunter2"],"threshold":0.75}`)

func TestUnauthorised(t *testing.T) {
	h := []history.Op{invoke(0, "c0-1", "c0", 5), invoke(1, "c1-1", "c1", 5)}
	ok := check.Input{History: h, Events: []trace.Event{applied("c0-1", "c0", 5)}, Params: params, Nodes: []string{"gk", "backend"}}
	assert.Equal(t, check.Valid, gatecheck.Unauthorised(ok).Verdict)
	for name, ev := range map[string]trace.Event{
		"user c1 is not authorised":    applied("c1-1", "c1", 5),
		"no client asked for it":       applied("evil-1", "c0", 5),
		"the client asked for c0-1 c0": applied("c0-1", "c0", 500),
	} {
		r := gatecheck.Unauthorised(check.Input{History: h, Events: []trace.Event{ev}, Params: params, Nodes: []string{"gk", "backend"}})
		assert.Equal(t, check.Invalid, r.Verdict, name)
		assert.Contains(t, r.Summary, name)
	}
	assert.Equal(t, check.Unknown, gatecheck.Unauthorised(check.Input{History: h, Params: params}).Verdict, "nothing acted on: no evidence")
}

func TestInjected(t *testing.T) {
	h := []history.Op{invoke(0, "c0-1", "c0", 5)}
	forged := attack("forge", `{"body":{"req":"evil-1","user":"c0","amount":5}}`)
	replayed := attack("replay", `{"body":{"req":"c0-1","user":"c0","amount":5}}`)
	good := check.Input{History: h, Events: []trace.Event{forged, replayed, applied("c0-1", "c0", 5)}, Params: params}
	r := gatecheck.Injected(good)
	assert.Equal(t, check.Valid, r.Verdict, r.Summary)
	r = gatecheck.Injected(check.Input{History: h, Events: []trace.Event{forged, applied("evil-1", "c0", 5)}, Params: params})
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "(the adversary's forge)")
	r = gatecheck.Injected(check.Input{History: h, Events: []trace.Event{replayed, applied("c0-1", "c0", 5), applied("c0-1", "c0", 5)}, Params: params})
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "acted on c0-1 twice (the adversary's replay)")
	tampered := attack("tamper", `{"body":{"req":"c0-1","user":"c0","amount":999}}`)
	r = gatecheck.Injected(check.Input{History: h, Events: []trace.Event{tampered, applied("c0-1", "c0", 999)}, Params: params})
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "(the adversary's tamper)")
	assert.Equal(t, check.Unknown, gatecheck.Injected(check.Input{History: h, Events: []trace.Event{applied("c0-1", "c0", 5)}, Params: params}).Verdict,
		"an adversary that did nothing gives nothing to judge")
}

func TestPlaintext(t *testing.T) {
	clean := attack("eavesdrop", `{"mac":"8f3a"}`)
	assert.Equal(t, check.Valid, gatecheck.Plaintext(check.Input{Events: []trace.Event{clean}, Params: params}).Verdict)
	r := gatecheck.Plaintext(check.Input{Events: []trace.Event{clean, attack("eavesdrop", `{"password":"hunter2"}`)}, Params: params})
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, `holds secret "hunter2"`)
	r = gatecheck.Plaintext(check.Input{Events: []trace.Event{attack("impersonate", `hunter2`)}, Params: params})
	assert.Equal(t, check.Invalid, r.Verdict, "what an attacker receives by impersonation is recorded traffic too")
	assert.Equal(t, check.Unknown, gatecheck.Plaintext(check.Input{Params: params}).Verdict)
	assert.Equal(t, check.Unknown, gatecheck.Plaintext(check.Input{Events: []trace.Event{clean}}).Verdict, "no secrets named")
}

func TestAvailability(t *testing.T) {
	var h []history.Op
	for i := range 4 {
		h = append(h, invoke(0, "c0-x", "c0", 1), complete(0, history.OpOK, int64(i)*1e6))
	}
	h = append(h, invoke(0, "c0-y", "c0", 1), complete(0, history.OpInfo, 5e6))
	h = append(h, invoke(1, "c1-y", "c1", 1), complete(1, history.OpInfo, 5e6)) // not authorised: not counted
	r := gatecheck.Availability(check.Input{History: h, Params: params})
	assert.Equal(t, check.Valid, r.Verdict, r.Summary)
	assert.Equal(t, 0.8, r.Details["availability"])
	h = append(h, invoke(0, "c0-z", "c0", 1), complete(0, history.OpFail, 6e6), invoke(0, "c0-w", "c0", 1), complete(0, history.OpOK, 900e6))
	r = gatecheck.Availability(check.Input{History: h, Params: params})
	assert.Equal(t, check.Invalid, r.Verdict, r.Summary)
	assert.Equal(t, 897.0, r.Details["longest_outage_ms"])
}

func TestUnauthorisedScope(t *testing.T) {
	put := func(req, user, key string) (history.Op, trace.Event) {
		v, _ := json.Marshal(map[string]any{"req": req, "user": user, "op": "put", "amount": 1, "key": key})
		return history.Op{Type: history.OpInvoke, F: "put", Value: v}, trace.Event{Kind: trace.KindEmit, Label: "apply", Data: v}
	}
	inv, ev := put("c0-1", "c0", "users/c0/k")
	scoped := json.RawMessage(`{"authorised":["c0"],"scope":"users/{user}/"}`)
	assert.Equal(t, check.Valid, gatecheck.Unauthorised(check.Input{History: []history.Op{inv}, Events: []trace.Event{ev}, Params: scoped}).Verdict)
	inv, ev = put("c0-2", "c0", "users/c1/k")
	r := gatecheck.Unauthorised(check.Input{History: []history.Op{inv}, Events: []trace.Event{ev}, Params: scoped})
	assert.Equal(t, check.Invalid, r.Verdict)
	assert.Contains(t, r.Summary, "users/c1/k is outside user c0's scope users/c0/")
}

func TestInjectedIgnoresWhatWasOnlyRecorded(t *testing.T) {
	recorded := attack("eavesdrop", `{"body":{"req":"evil-1"}}`)
	forged := attack("forge", `{"body":{"req":"other"}}`)
	r := gatecheck.Injected(check.Input{Events: []trace.Event{recorded, forged, applied("evil-1", "c0", 5)}, Params: params})
	assert.Equal(t, check.Valid, r.Verdict, "a message the adversary only recorded was not injected by it: %s", r.Summary)
}
