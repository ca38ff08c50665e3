package valetcheck

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

// Workload is the "valet" workload. Each client is a user named after it.
// It asks the key service (params.keys, default "keys") for a valet key
// with {"type":"grant","user","ts","mac"} (mac: hex HMAC-SHA256 of
// "grant|user|ts" under params.passwords[name]) when it has none or it
// expires within an Interval, then every Interval puts an amount under
// "users/<name>/k<i>" at its target (the storage node) with its key. A
// user in params.trespass writes under params.trespass[name]'s prefix
// instead. History: grant {"user"}; put invoke {"req","user","op":"put",
// "amount","key"}, ok, fail {"reason"}, info on a timeout.
type Workload struct{}

type workloadParams struct {
	Passwords map[string]string `json:"passwords"`
	Keys      string            `json:"keys"`
	Trespass  map[string]string `json:"trespass"`
}

// Start implements workload.Workload.
func (Workload) Start(env workload.Env, spec workload.Spec) (time.Duration, error) {
	p := workloadParams{Keys: "keys"}
	if len(spec.Params) > 0 {
		if err := json.Unmarshal(spec.Params, &p); err != nil {
			return 0, fmt.Errorf("workload valet: params: %w", err)
		}
	}
	if len(spec.Targets) == 0 {
		return 0, fmt.Errorf("workload valet: no targets")
	}
	for i, c := range spec.Clients {
		pw, ok := p.Passwords[c.Name()]
		if !ok {
			pw = "guess"
		}
		owner := c.Name()
		if o, ok := p.Trespass[c.Name()]; ok {
			owner = o
		}
		u := &user{env: env, spec: spec, c: c, keys: p.Keys, target: spec.Targets[i%len(spec.Targets)], password: []byte(pw), owner: owner}
		env.At(spec.Start+time.Duration(i)*spec.Interval/time.Duration(len(spec.Clients)), u.next)
	}
	return spec.Duration + spec.Timeout, nil
}

type user struct {
	env          workload.Env
	spec         workload.Spec
	c            workload.Client
	keys, target string
	password     []byte
	owner        string
	n            int
	token        string
	exp          int64
}

func (u *user) next() {
	if u.env.Now() >= u.spec.Duration || (u.spec.Ops > 0 && u.n >= u.spec.Ops) {
		return
	}
	if u.token == "" || int64(u.env.Now()+u.spec.Interval) >= u.exp {
		u.grant()
		return
	}
	u.put()
}

func (u *user) grant() {
	ts := int64(u.env.Now())
	m := hmac.New(sha256.New, u.password)
	fmt.Fprintf(m, "grant|%s|%d", u.c.Name(), ts)
	v := map[string]any{"user": u.c.Name()}
	u.c.Invoke("grant", v, u.keys)
	body := map[string]any{"type": "grant", "user": u.c.Name(), "ts": ts, "mac": hex.EncodeToString(m.Sum(nil))}
	err := u.c.Call(u.keys, body, u.spec.Timeout, func(r history.Reply) {
		var b struct {
			Token  string `json:"token"`
			Exp    int64  `json:"exp"`
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(r.Body, &b)
		switch {
		case r.TimedOut:
			u.c.Complete(history.OpInfo, "grant", v, u.keys, "timeout")
		case r.Type == "grant_ok":
			u.token, u.exp = b.Token, b.Exp
			u.c.Complete(history.OpOK, "grant", v, u.keys, "")
		default:
			u.c.Complete(history.OpFail, "grant", v, u.keys, b.Reason)
		}
		u.env.After(u.spec.Interval, u.next)
	})
	if err != nil {
		u.c.Complete(history.OpFail, "grant", v, u.keys, err.Error())
	}
}

func (u *user) put() {
	u.n++
	req := fmt.Sprintf("%s-%d", u.c.Name(), u.n)
	key := fmt.Sprintf("users/%s/k%d", u.owner, u.n%5)
	amount := int64(u.n)
	u.c.Invoke("put", map[string]any{"req": req, "user": u.c.Name(), "op": "put", "amount": amount, "key": key}, u.target)
	body := map[string]any{"type": "put", "req": req, "key": key, "amount": amount, "token": u.token}
	done := func(typ string, errText string) {
		u.c.Complete(typ, "put", map[string]any{"req": req, "reason": errText}, u.target, errText)
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
		case r.Type == "put_ok":
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
