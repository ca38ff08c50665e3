package sim

// The adversary in the network (DESIGN.md, "An adversary in the network"):
// the fault kinds eavesdrop, tamper, replay, forge, impersonate and secure
// (fault.AdversaryKinds), and the powers an attacker node uses through its
// host calls. Everything here runs on the loop's goroutine, at a send
// (sendMsg calls intercept) or when a fault applies; a run with an attacker
// node uses one worker (runWindow), since its host calls act on the Sim
// synchronously. Every action is one trace event of kind attack, the
// ground truth checkers judge against, and spends one unit of the run's
// budget (limits.attack_budget).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/keys"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// AttackerRole is the role of attacker nodes: only they may use the
// adversary's host calls, and the key service gives them no key.
const AttackerRole = abi.AttackerRole

// adversary is what the adversary knows and does in one run.
type adversary struct {
	rules     []advRule   // standing eavesdrop and tamper rules, in order
	redirects []redirect  // standing impersonations
	recorded  []recording // every message it recorded, in order
	spent     int64
	over      bool       // the budget ran out (recorded once)
	injecting bool       // a forged or replayed message is being sent
	rand      *rand.Rand // the adversary's own stream
}

type advRule struct {
	kind     fault.Kind
	from, to int32 // -1: any
	body     map[string]json.RawMessage
}

type redirect struct{ victim, attacker int32 }

type recording struct {
	from, to int32
	payload  []byte
}

// adversary returns the run's adversary, creating it on first use: a run
// without one never draws from its stream.
func (s *Sim) adversary() *adversary {
	if s.adv == nil {
		s.adv = &adversary{rand: Stream(s.cfg.seed, "adversary")}
	}
	return s.adv
}

// spend charges one action to the budget; false (and, the first time, a
// budget event) when it has run out.
func (s *Sim) spend(actor int32) bool {
	a := s.adversary()
	if a.spent >= s.cfg.attackBudget {
		if !a.over {
			a.over = true
			s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindAttack, Node: actor, Peer: -1, Label: "budget",
				Data: fmt.Appendf(nil, "the adversary's budget of %d actions is spent (limits.attack_budget)", s.cfg.attackBudget)})
		}
		return false
	}
	a.spent++
	return true
}

func (s *Sim) attack(actor, peer int32, msg uint64, label string, data []byte) {
	s.rec.Record(trace.Event{Time: s.now, Kind: trace.KindAttack, Node: actor, Peer: peer, Msg: msg, Label: label, Data: data})
}

// applyAdversary carries out an adversary fault (Apply has validated it
// and recorded it).
func (s *Sim) applyAdversary(f fault.Fault) error {
	a := s.adversary()
	switch f.Kind {
	case fault.Eavesdrop, fault.Tamper:
		from, err := s.endpoint(f.From[0])
		if err != nil {
			return err
		}
		to, err := s.endpoint(f.To[0])
		if err != nil {
			return err
		}
		r := advRule{kind: f.Kind, from: from, to: to}
		if f.Body != "" {
			_ = json.Unmarshal([]byte(f.Body), &r.body) // Validate checked it is an object
		}
		a.rules = append(a.rules, r)
	case fault.Replay:
		return s.replayOne(-1, f.From[0], f.To[0])
	case fault.Forge:
		from, _ := s.Index(f.From[0])
		to, _ := s.Index(f.To[0])
		s.inject(-1, "forge", from, to, forgedEnvelope(f.From[0], f.To[0], []byte(f.Body)))
	case fault.Impersonate:
		victim, attacker := s.node(f.Node), s.node(f.Attacker)
		if victim == nil || attacker == nil {
			return fmt.Errorf("impersonate: %s and %s must both be nodes", f.Node, f.Attacker)
		}
		a.redirects = append(a.redirects, redirect{victim: victim.Index, attacker: attacker.Index})
	case fault.Secure:
		a.rules, a.redirects = nil, nil
	}
	return nil
}

// replayOne re-sends one recorded message of from → to ("*": any), drawn
// from the adversary's stream; with none recorded it does nothing.
func (s *Sim) replayOne(actor int32, from, to string) error {
	f, err := s.endpoint(from)
	if err != nil {
		return err
	}
	t, err := s.endpoint(to)
	if err != nil {
		return err
	}
	a := s.adversary()
	var match []int
	for i, r := range a.recorded {
		if (f < 0 || f == r.from) && (t < 0 || t == r.to) {
			match = append(match, i)
		}
	}
	if len(match) == 0 {
		return nil
	}
	r := a.recorded[match[a.rand.IntN(len(match))]]
	s.inject(actor, "replay", r.from, r.to, r.payload)
	return nil
}

// inject sends payload from → to on the adversary's behalf: one attack
// event (the ground truth, naming the message), then the message goes as
// any other, sent in from's name.
func (s *Sim) inject(actor int32, label string, from, to int32, payload []byte) int32 {
	if !s.spend(actor) {
		return abi.ErrnoQuota
	}
	a := s.adversary()
	s.attack(actor, to, s.msgSeq+1, label, payload)
	a.injecting = true
	defer func() { a.injecting = false }()
	return s.sendMsg(from, to, payload, false)
}

// intercept applies the standing rules to a message being sent and
// returns its destination: an impersonated node's messages go to its
// attacker, eavesdrop records, tamper rewrites m.payload.
func (s *Sim) intercept(m *message) int32 {
	a := s.adv
	if a.injecting {
		return m.to
	}
	for _, r := range a.redirects {
		if r.victim == m.to && s.spend(r.attacker) {
			s.attack(r.attacker, m.to, m.id, "impersonate", m.payload)
			m.to, m.toInc = r.attacker, max(s.nodes[r.attacker].Incarnation(), 1)
			break
		}
	}
	for _, r := range a.rules {
		if (r.from >= 0 && r.from != m.from) || (r.to >= 0 && r.to != m.to) || !s.spend(-1) {
			continue
		}
		switch r.kind {
		case fault.Eavesdrop:
			a.recorded = append(a.recorded, recording{from: m.from, to: m.to, payload: m.payload})
			s.attack(-1, m.to, m.id, "eavesdrop", m.payload)
		case fault.Tamper:
			m.payload = a.tamper(m.payload, r.body)
			s.attack(-1, m.to, m.id, "tamper", m.payload)
		}
	}
	return m.to
}

// forgedEnvelope wraps a forged body in a Maelstrom envelope from → to, unless
// it is a JSON object with a "body" (an envelope already) or not a JSON
// object at all (sent as it is).
func forgedEnvelope(from, to string, body []byte) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil || obj == nil || obj["body"] != nil {
		return body
	}
	out, _ := json.Marshal(struct {
		Src  string          `json:"src"`
		Dest string          `json:"dest"`
		Body json.RawMessage `json:"body"`
	}{from, to, body}) // strings and a valid JSON object: it cannot fail
	return out
}

// tamper returns a changed copy of p: body's fields written over the
// fields of p's Maelstrom body (or of p itself if it has none) when they
// are JSON objects, else one byte drawn from the stream flipped (an empty
// message gains a byte).
func (a *adversary) tamper(p []byte, body map[string]json.RawMessage) []byte {
	if body != nil {
		if out, ok := merge(p, body); ok {
			return out
		}
	}
	if len(p) == 0 {
		return []byte{byte(a.rand.Uint32())}
	}
	out := bytes.Clone(p)
	i := a.rand.IntN(len(out))
	out[i] ^= byte(1 + a.rand.IntN(255))
	return out
}

// merge writes fields over the JSON object p, or over its "body" object
// when it has one; false if p is not a JSON object.
func merge(p []byte, fields map[string]json.RawMessage) ([]byte, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(p, &obj) != nil || obj == nil {
		return nil, false
	}
	if inner, ok := obj["body"]; ok {
		if b, ok := merge(inner, fields); ok {
			obj["body"] = b
			out, err := json.Marshal(obj) // sorted keys: deterministic
			return out, err == nil
		}
	}
	for k, v := range fields {
		obj[k] = v
	}
	out, err := json.Marshal(obj)
	return out, err == nil
}

// Recorded returns the messages the adversary has recorded so far, in
// order: from, to and the bytes.
func (s *Sim) Recorded() []RecordedMessage {
	if s.adv == nil {
		return nil
	}
	out := make([]RecordedMessage, len(s.adv.recorded))
	for i, r := range s.adv.recorded {
		out[i] = RecordedMessage{From: s.name(r.from), To: s.name(r.to), Payload: slices.Clone(r.payload)}
	}
	return out
}

// RecordedMessage is one message the adversary recorded.
type RecordedMessage struct {
	From, To string
	Payload  []byte
}

// hasAttacker reports whether any node has the attacker role.
func (s *Sim) hasAttacker() bool {
	if s.attacks == 0 {
		s.attacks = 1
		for _, n := range s.nodes {
			if n.Role == AttackerRole {
				s.attacks = 2
			}
		}
	}
	return s.attacks == 2
}

// security is what nodes reach through their key and attack host calls
// (nodes.Security): the run's key service and its adversary.
type security struct {
	s    *Sim
	keys keys.Service
}

func (sec security) endpoint(i int32) bool {
	return i >= 0 && int(i) < len(sec.s.nodes)+len(sec.s.clients)
}

// Key implements nodes.Security: attackers get public keys only.
func (sec security) Key(n *nodes.Node, kind, peer int32) ([]byte, int32) {
	if n.Role == AttackerRole && kind != abi.KeyPublic {
		return nil, abi.ErrnoDenied
	}
	switch kind {
	case abi.KeySecret:
		return sec.keys.Secret(n.Name), 0
	case abi.KeyShared, abi.KeyPublic:
		if !sec.endpoint(peer) {
			return nil, abi.ErrnoAbsent
		}
		if kind == abi.KeyShared {
			return sec.keys.Shared(n.Name, sec.s.name(peer)), 0
		}
		return sec.keys.Public(sec.s.name(peer)), 0
	}
	return nil, abi.ErrnoAbsent
}

// Attack implements nodes.Security: an attacker forges, replays or starts
// eavesdropping.
func (sec security) Attack(n *nodes.Node, op, a, b int32, msg []byte) int32 {
	s := sec.s
	if n.Role != AttackerRole {
		return abi.ErrnoDenied
	}
	switch op {
	case abi.AttackForge:
		if !sec.endpoint(a) || !sec.endpoint(b) {
			return abi.ErrnoNoDest
		}
		return s.inject(n.Index, "forge", a, b, msg)
	case abi.AttackReplay:
		adv := s.adversary()
		if a < 0 || int(a) >= len(adv.recorded) {
			return abi.ErrnoAbsent
		}
		r := adv.recorded[a]
		return s.inject(n.Index, "replay", r.from, r.to, r.payload)
	case abi.AttackEavesdrop:
		if (a != -1 && !sec.endpoint(a)) || (b != -1 && !sec.endpoint(b)) {
			return abi.ErrnoNoDest
		}
		s.adversary().rules = append(s.adversary().rules, advRule{kind: fault.Eavesdrop, from: a, to: b})
		return 0
	}
	return abi.ErrnoAbsent
}

// Recorded implements nodes.Security: an attacker reads what the adversary
// recorded.
func (sec security) Recorded(n *nodes.Node, i int32) (from, to int32, msg []byte, code int32) {
	if n.Role != AttackerRole {
		return 0, 0, nil, abi.ErrnoDenied
	}
	adv := sec.s.adversary()
	if i < 0 || int(i) >= len(adv.recorded) {
		return 0, 0, nil, abi.ErrnoAbsent
	}
	r := adv.recorded[i]
	return r.from, r.to, r.payload, 0
}
