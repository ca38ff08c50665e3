package runner

import (
	"encoding/json"
	"math/rand/v2"

	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/sim"
)

// adversaryStrike applies one adversary nemesis kind (eavesdrop, tamper,
// replay, forge) to targets in the order the fault stream shuffled them,
// and returns how to heal it: a secure for the standing kinds (it ends
// every standing eavesdrop and tamper, the scenario's too), nil for the
// one-shot ones. Eavesdrop and tamper stand against the first target;
// replay and forge aim at the first target the adversary has recorded a
// message to (none: they do nothing, and no fault is recorded). Every
// choice is drawn from r, the run's fault stream; the adversary's own
// stream decides the rest (which recording a replay sends, which byte a
// tamper flips).
func adversaryStrike(s *sim.Sim, kind fault.Kind, shuffled []string, r *rand.Rand, do func(fault.Fault)) func() {
	if len(shuffled) == 0 {
		return nil
	}
	switch kind {
	case fault.Eavesdrop, fault.Tamper:
		do(fault.Fault{Kind: kind, From: []string{"*"}, To: []string{shuffled[0]}})
		return func() { do(fault.Fault{Kind: fault.Secure}) }
	case fault.Replay, fault.Forge:
		recorded := s.Recorded()
		for i, victim := range shuffled {
			to := recordedTo(recorded, victim)
			if len(to) == 0 {
				continue
			}
			if kind == fault.Replay {
				do(fault.Fault{Kind: fault.Replay, From: []string{"*"}, To: []string{victim}})
			} else if f, ok := forgery(to[r.IntN(len(to))], victim, append(shuffled[i+1:], shuffled[:i]...)); ok {
				do(f)
			}
			break
		}
	}
	return nil
}

// recordedTo returns the recorded messages sent to victim.
func recordedTo(recorded []sim.RecordedMessage, victim string) []sim.RecordedMessage {
	var out []sim.RecordedMessage
	for _, m := range recorded {
		if m.To == victim {
			out = append(out, m)
		}
	}
	return out
}

// forgery builds a forge fault from a recorded message m to victim: its
// body, claimed to come from the first of others that is neither its
// sender nor the victim. False when m has no JSON object body or no other
// node can be claimed.
func forgery(m sim.RecordedMessage, victim string, others []string) (fault.Fault, bool) {
	var env struct {
		Body json.RawMessage `json:"body"`
	}
	if json.Unmarshal(m.Payload, &env) != nil || len(env.Body) == 0 || env.Body[0] != '{' {
		return fault.Fault{}, false
	}
	for _, claimed := range others {
		if claimed != m.From && claimed != victim {
			return fault.Fault{Kind: fault.Forge, From: []string{claimed}, To: []string{victim}, Body: string(env.Body)}, true
		}
	}
	return fault.Fault{}, false
}
