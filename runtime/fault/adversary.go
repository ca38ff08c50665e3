package fault

import (
	"encoding/json"
	"fmt"
	"slices"
)

// The adversary's kinds (DESIGN.md, "An adversary in the network"). The
// adversary sits in the network: it records what crosses a link, alters
// it, re-injects it, injects messages with any claimed sender, and takes a
// node's inbound traffic for an attacker node. eavesdrop, tamper and
// impersonate stand until secure; replay and forge act once. Every action
// the adversary takes is recorded in the trace (trace.KindAttack) as the
// ground truth a checker judges against.
const (
	// Eavesdrop records every message sent from From[0] to To[0] ("*"
	// matches any).
	Eavesdrop Kind = "eavesdrop"
	// Tamper alters every message sent from From[0] to To[0]: with a Body
	// (a JSON object) its fields are written over the message's JSON
	// fields; without one, one byte drawn from the adversary's stream is
	// flipped.
	Tamper Kind = "tamper"
	// Replay re-sends now one message the adversary recorded from From[0]
	// to To[0], drawn from the adversary's stream.
	Replay Kind = "replay"
	// Forge sends Body to To[0] claiming to come from From[0].
	Forge Kind = "forge"
	// Impersonate sends every message meant for Node to Attacker instead.
	Impersonate Kind = "impersonate"
	// Secure ends every standing eavesdrop, tamper and impersonate.
	Secure Kind = "secure"
)

// AdversaryKinds lists the adversary's kinds in documentation order. They
// are fault kinds (Known) listed apart from Kinds.
var AdversaryKinds = []Kind{Eavesdrop, Tamper, Replay, Forge, Impersonate, Secure}

// Adversary reports whether k is one of the adversary's kinds.
func (k Kind) Adversary() bool { return slices.Contains(AdversaryKinds, k) }

// adversaryArgs returns the argument fields of an adversary kind.
func adversaryArgs(k Kind) []string {
	switch k {
	case Eavesdrop, Replay:
		return []string{"from", "to"}
	case Tamper, Forge:
		return []string{"from", "to", "body"}
	case Impersonate:
		return []string{"node", "attacker"}
	}
	return nil
}

// validateAdversary checks the arguments of an adversary kind.
func (f Fault) validateAdversary() error {
	if f.Kind == Secure {
		return nil
	}
	if f.Kind == Impersonate {
		if f.Node == "" || f.Attacker == "" {
			return fmt.Errorf("fault: impersonate needs a node and an attacker")
		}
		if f.Node == f.Attacker {
			return fmt.Errorf("fault: impersonate: %s cannot impersonate itself", f.Node)
		}
		return nil
	}
	if len(f.From) != 1 || len(f.To) != 1 || f.From[0] == "" || f.To[0] == "" {
		return fmt.Errorf("fault: %s needs one name (or \"*\") in from and in to", f.Kind)
	}
	switch f.Kind {
	case Forge:
		if f.From[0] == "*" || f.To[0] == "*" {
			return fmt.Errorf("fault: forge needs one node in from (the claimed sender) and one in to, not \"*\"")
		}
	case Tamper:
		if f.Body != "" {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal([]byte(f.Body), &obj); err != nil {
				return fmt.Errorf("fault: tamper: body must be a JSON object whose fields overwrite the message's: %w", err)
			}
		}
	}
	return nil
}
