package gatecheck

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// params are the security checkers' settings.
type params struct {
	// Emit is the key of the event a node emits when it acts on an
	// operation ("apply"): {"req","user","op","amount"}.
	Emit string `json:"emit"`
	// Authorised are the users allowed to operate (clients by name).
	Authorised []string `json:"authorised"`
	// Secrets are the strings the adversary must never read in plaintext.
	Secrets []string `json:"secrets"`
	// Threshold is the availability an authorised user must get.
	Threshold float64 `json:"threshold"`
	// Scope, if set, is the key prefix each user may write, with {user}
	// standing for the user ("users/{user}/").
	Scope string `json:"scope"`
}

func readParams(in check.Input) (params, error) {
	p := params{Emit: "apply", Threshold: 0.9}
	if len(in.Params) > 0 {
		if err := json.Unmarshal(in.Params, &p); err != nil {
			return p, fmt.Errorf("params: %w", err)
		}
	}
	return p, nil
}

// operation is what a client asked for, or what a node acted on.
type operation struct {
	Req    string `json:"req"`
	User   string `json:"user"`
	Op     string `json:"op"`
	Amount int64  `json:"amount"`
	Key    string `json:"key,omitempty"`
}

func (o operation) String() string {
	if o.Key != "" {
		return fmt.Sprintf("%s %s %s %s=%d", o.Req, o.User, o.Op, o.Key, o.Amount)
	}
	return fmt.Sprintf("%s %s %s %d", o.Req, o.User, o.Op, o.Amount)
}

// asked returns what clients asked for, by req.
func asked(h []history.Op) map[string]operation {
	out := map[string]operation{}
	for _, o := range h {
		if o.Type != history.OpInvoke {
			continue
		}
		var v operation
		if json.Unmarshal(o.Value, &v) == nil && v.Req != "" {
			out[v.Req] = v
		}
	}
	return out
}

// acted is one operation a node acted on (its emit), with when and where.
type acted struct {
	operation
	at   int64
	node string
	from string // the sender as the node saw it, when it says
}

func actedOn(in check.Input, key string) []acted {
	var out []acted
	for _, e := range in.Events {
		if e.Kind != trace.KindEmit || e.Label != key {
			continue
		}
		var a acted
		var from struct {
			From string `json:"from"`
		}
		if json.Unmarshal(e.Data, &a.operation) == nil {
			_ = json.Unmarshal(e.Data, &from)
			a.at, a.node, a.from = e.Time, nodeName(in.Nodes, e.Node), from.From
			out = append(out, a)
		}
	}
	return out
}

func nodeName(names []string, i int32) string {
	if i >= 0 && int(i) < len(names) {
		return names[i]
	}
	return fmt.Sprintf("#%d", i)
}

var reqField = regexp.MustCompile(`"req"\s*:\s*"([^"]*)"`)

// groundTruth maps each req an adversary action carried to the actions
// (forge, replay, tamper, impersonate, eavesdrop) that carried it, from
// the trace's attack events; counts sums them by action.
func groundTruth(events []trace.Event) (byReq map[string][]string, counts map[string]int) {
	byReq, counts = map[string][]string{}, map[string]int{}
	for _, e := range events {
		if e.Kind != trace.KindAttack {
			continue
		}
		counts[e.Label]++
		for _, m := range reqField.FindAllSubmatch(e.Data, -1) {
			r := string(m[1])
			if !slices.Contains(byReq[r], e.Label) {
				byReq[r] = append(byReq[r], e.Label)
			}
		}
	}
	return byReq, counts
}

// carried reports whether an active adversary action (not only an
// eavesdropper's recording) carried req.
func carried(truth map[string][]string, req string) bool {
	return slices.ContainsFunc(truth[req], func(l string) bool { return l != "eavesdrop" })
}

// cause names what the adversary did with req, from the ground truth.
func cause(truth map[string][]string, req string) string {
	var active []string
	for _, l := range truth[req] {
		if l != "eavesdrop" {
			active = append(active, l)
		}
	}
	if len(active) == 0 {
		return "no adversary action carried it"
	}
	return "the adversary's " + strings.Join(active, "+")
}

// Unauthorised checks that every operation a node acted on was asked for,
// exactly so, by an authorised user: no unauthorised operation succeeded.
func Unauthorised(in check.Input) check.Result {
	p, err := readParams(in)
	if err != nil {
		return check.Result{Verdict: check.Unknown, Summary: err.Error()}
	}
	want, applied := asked(in.History), actedOn(in, p.Emit)
	truth, _ := groundTruth(in.Events)
	var bad []string
	for _, a := range applied {
		w, ok := want[a.Req]
		var why string
		switch {
		case !ok:
			why = "no client asked for it"
		case !slices.Contains(p.Authorised, w.User):
			why = fmt.Sprintf("user %s is not authorised", w.User)
		case w != a.operation:
			why = fmt.Sprintf("the client asked for %v", w)
		case p.Scope != "" && !strings.HasPrefix(a.Key, strings.ReplaceAll(p.Scope, "{user}", w.User)):
			why = fmt.Sprintf("%s is outside user %s's scope %s", a.Key, w.User, strings.ReplaceAll(p.Scope, "{user}", w.User))
		default:
			continue
		}
		c := cause(truth, a.Req)
		if truth[a.Req] == nil && a.from != "" {
			c = "sent by " + a.from
		}
		bad = append(bad, fmt.Sprintf("%s acted on %v at %dms: %s (%s)", a.node, a.operation, a.at/1e6, why, c))
	}
	d := map[string]any{"acted_on": len(applied), "authorised": p.Authorised}
	switch {
	case len(bad) > 0:
		d["unauthorised"] = bad[:min(len(bad), 20)]
		d["unauthorised_count"] = len(bad)
		return check.Result{Verdict: check.Invalid, Details: d,
			Summary: fmt.Sprintf("%d unauthorised operations succeeded; first: %s", len(bad), bad[0])}
	case len(applied) == 0:
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "no operation was acted on"}
	}
	return check.Result{Verdict: check.Valid, Details: d,
		Summary: fmt.Sprintf("all %d operations acted on were asked for by authorised users", len(applied))}
}

// Injected checks, against the trace's ground truth, that no message the
// adversary forged, replayed or tampered with was acted on: no operation
// was acted on twice (a replay), and none the adversary carried was acted
// on unless a client asked for exactly it.
func Injected(in check.Input) check.Result {
	p, err := readParams(in)
	if err != nil {
		return check.Result{Verdict: check.Unknown, Summary: err.Error()}
	}
	want, applied := asked(in.History), actedOn(in, p.Emit)
	truth, counts := groundTruth(in.Events)
	times := map[string]int{}
	var bad []string
	for _, a := range applied {
		times[a.Req]++
		w, genuine := want[a.Req]
		switch {
		case times[a.Req] == 2:
			bad = append(bad, fmt.Sprintf("%s acted on %s twice (%s)", a.node, a.Req, cause(truth, a.Req)))
		case carried(truth, a.Req) && (!genuine || w != a.operation):
			bad = append(bad, fmt.Sprintf("%s acted on %v (%s)", a.node, a.operation, cause(truth, a.Req)))
		}
	}
	d := map[string]any{"adversary": counts, "acted_on": len(applied)}
	active := counts["forge"] + counts["replay"] + counts["tamper"] + counts["impersonate"]
	switch {
	case len(bad) > 0:
		d["acted_on_injected"] = bad[:min(len(bad), 20)]
		return check.Result{Verdict: check.Invalid, Details: d,
			Summary: fmt.Sprintf("%d adversary messages were acted on; first: %s", len(bad), bad[0])}
	case active == 0:
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "the adversary injected or altered nothing: nothing to judge"}
	}
	return check.Result{Verdict: check.Valid, Details: d,
		Summary: fmt.Sprintf("none of the adversary's %d forged, replayed, tampered or redirected messages was acted on", active)}
}

// Plaintext checks that nothing the adversary recorded (eavesdropped or
// received by impersonation) holds one of the secrets in plaintext.
func Plaintext(in check.Input) check.Result {
	p, err := readParams(in)
	if err != nil {
		return check.Result{Verdict: check.Unknown, Summary: err.Error()}
	}
	if len(p.Secrets) == 0 {
		return check.Result{Verdict: check.Unknown, Summary: "params.secrets names no secret to look for"}
	}
	recorded := 0
	var leaks []string
	for _, e := range in.Events {
		if e.Kind != trace.KindAttack || (e.Label != "eavesdrop" && e.Label != "impersonate") {
			continue
		}
		recorded++
		for _, s := range p.Secrets {
			if strings.Contains(string(e.Data), s) {
				leaks = append(leaks, fmt.Sprintf("message %d at %dms holds secret %q", e.Msg, e.Time/1e6, s))
			}
		}
	}
	d := map[string]any{"recorded": recorded, "secrets": len(p.Secrets)}
	switch {
	case len(leaks) > 0:
		d["leaks"] = leaks[:min(len(leaks), 20)]
		return check.Result{Verdict: check.Invalid, Details: d, Summary: fmt.Sprintf("%d leaks; first: %s", len(leaks), leaks[0])}
	case recorded == 0:
		return check.Result{Verdict: check.Unknown, Details: d, Summary: "the adversary recorded nothing"}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: fmt.Sprintf("none of the %d messages the adversary recorded holds a secret", recorded)}
}

// Availability measures what authorised users got under attack: the share
// of their operations that succeeded, and the longest time with none
// succeeding. It holds when the share is at least params.threshold.
func Availability(in check.Input) check.Result {
	p, err := readParams(in)
	if err != nil {
		return check.Result{Verdict: check.Unknown, Summary: err.Error()}
	}
	done, _ := history.Pairs(in.History)
	var ok, failed, timedOut int
	reasons := map[string]int{}
	var okTimes []int64
	for _, pr := range done {
		var v operation
		_ = json.Unmarshal(pr[0].Value, &v)
		if !slices.Contains(p.Authorised, v.User) {
			continue
		}
		switch pr[1].Type {
		case history.OpOK:
			ok++
			okTimes = append(okTimes, pr[1].Time)
		case history.OpFail:
			failed++
			reasons[pr[1].Error]++
		default:
			timedOut++
		}
	}
	total := ok + failed + timedOut
	if total == 0 {
		return check.Result{Verdict: check.Unknown, Summary: "no authorised operation completed"}
	}
	sort.Slice(okTimes, func(i, j int) bool { return okTimes[i] < okTimes[j] })
	var gap int64
	for i := 1; i < len(okTimes); i++ {
		gap = max(gap, okTimes[i]-okTimes[i-1])
	}
	share := float64(ok) / float64(total)
	d := map[string]any{"availability": share, "ok": ok, "failed": failed, "timed_out": timedOut,
		"longest_outage_ms": float64(gap) / 1e6, "threshold": p.Threshold, "refusals": reasons}
	s := fmt.Sprintf("%.1f%% of %d authorised operations succeeded (threshold %.1f%%); longest stretch without one: %.0f ms",
		100*share, total, 100*p.Threshold, float64(gap)/1e6)
	if share < p.Threshold {
		return check.Result{Verdict: check.Invalid, Details: d, Summary: s}
	}
	return check.Result{Verdict: check.Valid, Details: d, Summary: s}
}
