package gatecheck

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/terrarium-sim/terrarium/runtime/history"
	"github.com/terrarium-sim/terrarium/runtime/workload"
)

// Workload is the "gatekeeper" workload. Each client is a user named after
// it: every Interval it asks its target (Targets[i mod len]) to deposit or
// withdraw an amount drawn from 1 to 100, one request at a time, as
// {"type":"op","req":"c0-7","user":"c0","op","amount","ts","mac"}, where
// mac is hex HMAC-SHA256 of "req|user|op|amount|ts" under its password
// (params.passwords[name]; a client without one uses "guess", and the
// gatekeeper refuses it). ts is the virtual time in ns. History: invoke
// {"req","user","op","amount"}; ok {"req","balance"}; fail (op_denied)
// {"req","reason"}; info on a timeout.
type Workload struct{}

type workloadParams struct {
	Passwords map[string]string `json:"passwords"`
}

// Start implements workload.Workload.
func (Workload) Start(env workload.Env, spec workload.Spec) (time.Duration, error) {
	var p workloadParams
	if len(spec.Params) > 0 {
		if err := json.Unmarshal(spec.Params, &p); err != nil {
			return 0, fmt.Errorf("workload gatekeeper: params: %w", err)
		}
	}
	if len(spec.Targets) == 0 {
		return 0, fmt.Errorf("workload gatekeeper: no targets")
	}
	for i, c := range spec.Clients {
		pw, ok := p.Passwords[c.Name()]
		if !ok {
			pw = "guess"
		}
		u := user{env: env, spec: spec, c: c, target: spec.Targets[i%len(spec.Targets)], password: []byte(pw), seed: spec.Rand.Uint64()}
		env.At(spec.Start+time.Duration(i)*spec.Interval/time.Duration(len(spec.Clients)), u.next)
	}
	return spec.Duration + spec.Timeout, nil
}

// user is one client's closed loop.
type user struct {
	env      workload.Env
	spec     workload.Spec
	c        workload.Client
	target   string
	password []byte
	seed     uint64
	n        int
}

func (u *user) next() {
	if u.env.Now() >= u.spec.Duration || (u.spec.Ops > 0 && u.n >= u.spec.Ops) {
		return
	}
	u.n++
	req := fmt.Sprintf("%s-%d", u.c.Name(), u.n)
	op := "deposit"
	draw := (u.seed + uint64(u.n)*0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9
	if draw>>63 == 1 {
		op = "withdraw"
	}
	amount := int64(draw>>32%100) + 1
	ts := int64(u.env.Now())
	m := hmac.New(sha256.New, u.password)
	fmt.Fprintf(m, "%s|%s|%s|%d|%d", req, u.c.Name(), op, amount, ts)
	body := map[string]any{"type": "op", "req": req, "user": u.c.Name(), "op": op, "amount": amount, "ts": ts, "mac": hex.EncodeToString(m.Sum(nil))}
	u.c.Invoke("op", map[string]any{"req": req, "user": u.c.Name(), "op": op, "amount": amount}, u.target)
	done := func(typ string, v map[string]any, errText string) {
		v["req"] = req
		u.c.Complete(typ, "op", v, u.target, errText)
		u.env.After(u.spec.Interval, u.next)
	}
	err := u.c.Call(u.target, body, u.spec.Timeout, func(r history.Reply) {
		var b struct {
			Balance int64  `json:"balance"`
			Reason  string `json:"reason"`
		}
		_ = json.Unmarshal(r.Body, &b)
		switch {
		case r.TimedOut:
			done(history.OpInfo, map[string]any{}, "timeout")
		case r.Type == "op_ok":
			done(history.OpOK, map[string]any{"balance": b.Balance}, "")
		default:
			done(history.OpFail, map[string]any{"reason": b.Reason}, b.Reason)
		}
	})
	if err != nil {
		done(history.OpFail, map[string]any{"reason": err.Error()}, err.Error())
	}
}
