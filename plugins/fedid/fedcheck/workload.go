package fedcheck

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

// Workload is the "fedid" workload. Each client is a user named after it.
// It logs in to the provider (params.idp, default "idp") with
// {"type":"login","user","ts","mac"} (mac: hex HMAC-SHA256 of
// "login|user|ts" under params.passwords[name], "guess" without one) when
// it has no token or its token expires within an Interval, then every
// Interval transfers 1 to 100 at its target with {"type":"transfer","req",
// "token","amount","ts"}. History: login {"user"} (ok {"exp"}); transfer
// invoke {"req","user","op":"transfer","amount"}, ok, fail {"reason"}, or
// info on a timeout.
type Workload struct{}

type workloadParams struct {
	Passwords map[string]string `json:"passwords"`
	IDP       string            `json:"idp"`
}

// Start implements workload.Workload.
func (Workload) Start(env workload.Env, spec workload.Spec) (time.Duration, error) {
	p := workloadParams{IDP: "idp"}
	if len(spec.Params) > 0 {
		if err := json.Unmarshal(spec.Params, &p); err != nil {
			return 0, fmt.Errorf("workload fedid: params: %w", err)
		}
	}
	if len(spec.Targets) == 0 {
		return 0, fmt.Errorf("workload fedid: no targets")
	}
	for i, c := range spec.Clients {
		pw, ok := p.Passwords[c.Name()]
		if !ok {
			pw = "guess"
		}
		u := &user{env: env, spec: spec, c: c, idp: p.IDP, target: spec.Targets[i%len(spec.Targets)], password: []byte(pw), seed: spec.Rand.Uint64()}
		env.At(spec.Start+time.Duration(i)*spec.Interval/time.Duration(len(spec.Clients)), u.next)
	}
	return spec.Duration + spec.Timeout, nil
}

type user struct {
	env         workload.Env
	spec        workload.Spec
	c           workload.Client
	idp, target string
	password    []byte
	seed        uint64
	n           int
	token       string
	exp         int64
}

func (u *user) next() {
	if u.env.Now() >= u.spec.Duration || (u.spec.Ops > 0 && u.n >= u.spec.Ops) {
		return
	}
	if u.token == "" || int64(u.env.Now()+u.spec.Interval) >= u.exp {
		u.login()
		return
	}
	u.transfer()
}

func (u *user) login() {
	ts := int64(u.env.Now())
	m := hmac.New(sha256.New, u.password)
	fmt.Fprintf(m, "login|%s|%d", u.c.Name(), ts)
	u.c.Invoke("login", map[string]any{"user": u.c.Name()}, u.idp)
	body := map[string]any{"type": "login", "user": u.c.Name(), "ts": ts, "mac": hex.EncodeToString(m.Sum(nil))}
	err := u.c.Call(u.idp, body, u.spec.Timeout, func(r history.Reply) {
		var b struct {
			Token  string `json:"token"`
			Exp    int64  `json:"exp"`
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(r.Body, &b)
		switch {
		case r.TimedOut:
			u.c.Complete(history.OpInfo, "login", map[string]any{"user": u.c.Name()}, u.idp, "timeout")
		case r.Type == "login_ok":
			u.token, u.exp = b.Token, b.Exp
			u.c.Complete(history.OpOK, "login", map[string]any{"user": u.c.Name(), "exp": b.Exp}, u.idp, "")
		default:
			u.c.Complete(history.OpFail, "login", map[string]any{"user": u.c.Name()}, u.idp, b.Reason)
		}
		u.env.After(u.spec.Interval, u.next)
	})
	if err != nil {
		u.c.Complete(history.OpFail, "login", map[string]any{"user": u.c.Name()}, u.idp, err.Error())
	}
}

func (u *user) transfer() {
	u.n++
	req := fmt.Sprintf("%s-%d", u.c.Name(), u.n)
	amount := int64((u.seed+uint64(u.n)*0x9e3779b97f4a7c15)*0xbf58476d1ce4e5b9>>32%100) + 1
	v := map[string]any{"req": req, "user": u.c.Name(), "op": "transfer", "amount": amount}
	u.c.Invoke("transfer", v, u.target)
	body := map[string]any{"type": "transfer", "req": req, "token": u.token, "amount": amount, "ts": int64(u.env.Now())}
	done := func(typ string, errText string) {
		u.c.Complete(typ, "transfer", map[string]any{"req": req, "reason": errText}, u.target, errText)
		u.env.After(u.spec.Interval, u.next)
	}
	err := u.c.Call(u.target, body, u.spec.Timeout, func(r history.Reply) {
		var b struct {
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(r.Body, &b)
		switch {
		case r.TimedOut:
			done(history.OpInfo, "timeout")
		case r.Type == "transfer_ok":
			done(history.OpOK, "")
		default:
			if b.Reason == "token expired" {
				u.token = ""
			}
			done(history.OpFail, b.Reason)
		}
	})
	if err != nil {
		done(history.OpFail, err.Error())
	}
}
