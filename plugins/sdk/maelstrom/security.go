package maelstrom

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/terrarium-sim/terrarium/runtime/abi"
)

// The host key service and the attacker's powers (docs/ABI.md, "Keys" and
// "Attacker"). With an adversary in the run, a message's sender (the
// host's index, Message.Src) is no proof of origin: only cryptography is.
// Sign or MAC what must be authentic with these keys and Go's crypto
// packages (crypto/hmac, crypto/ed25519), which build for wasip1.

// ErrDenied: the host refused a key to an attacker node, or an attack to a
// node that is not one.
var ErrDenied = errors.New("maelstrom: denied (keys are not given to attacker nodes; attacks only to them)")

// ErrAttackBudget: the run's adversary has spent limits.attack_budget.
var ErrAttackBudget = errors.New("maelstrom: the adversary's budget is spent (limits.attack_budget)")

// Secret returns this node's own 32-byte secret. It is also the seed of
// the node's Ed25519 key pair (SigningKey).
func (n *Node) Secret() ([]byte, error) { return hostKey(abi.KeySecret, 0) }

// SigningKey returns this node's Ed25519 private key; any node may learn
// the public half with PublicKey.
func (n *Node) SigningKey() (ed25519.PrivateKey, error) {
	s, err := n.Secret()
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(s), nil
}

// SharedKey returns the 32-byte key this node shares with peer: peer's
// SharedKey for this node is the same key.
func (n *Node) SharedKey(peer string) ([]byte, error) {
	i, err := n.index(peer)
	if err != nil {
		return nil, err
	}
	return hostKey(abi.KeyShared, i)
}

// PublicKey returns node's Ed25519 public key.
func (n *Node) PublicKey(node string) (ed25519.PublicKey, error) {
	i, err := n.index(node)
	if err != nil {
		return nil, err
	}
	k, err := hostKey(abi.KeyPublic, i)
	return ed25519.PublicKey(k), err
}

func (n *Node) index(name string) (int32, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	i, ok := n.indexOfName(name)
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrUnknownDestination, name)
	}
	return i, nil
}

// Forge sends body (a message body, JSON-encoded) to dest in the name of
// from: dest sees from as the sender. Attacker nodes only.
func (n *Node) Forge(from, dest string, body any) error {
	f, err := n.index(from)
	if err != nil {
		return err
	}
	d, err := n.index(dest)
	if err != nil {
		return err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("maelstrom: forge: %w", err)
	}
	return attackErr(hostAttack(abi.AttackForge, f, d, appendEnvelope(nil, from, dest, b, "", 0)))
}

// Eavesdrop records, from now on, every message from → to ("*": any
// endpoint); Recorded reads them. Attacker nodes only.
func (n *Node) Eavesdrop(from, to string) error {
	ends := [2]int32{-1, -1}
	for k, name := range []string{from, to} {
		if name != "*" && name != "" {
			i, err := n.index(name)
			if err != nil {
				return err
			}
			ends[k] = i
		}
	}
	return attackErr(hostAttack(abi.AttackEavesdrop, ends[0], ends[1], nil))
}

// Replay sends the i-th recorded message again, from its sender to its
// receiver as they were. Attacker nodes only.
func (n *Node) Replay(i int) error { return attackErr(hostAttack(abi.AttackReplay, int32(i), 0, nil)) }

// RecordedMessage is one message the adversary recorded.
type RecordedMessage struct {
	Src, Dest string
	// Raw is the message as it crossed the network (a JSON envelope for
	// SDK senders).
	Raw []byte
}

// Recorded returns the i-th message the adversary recorded; false past the
// last. Attacker nodes only.
func (n *Node) Recorded(i int) (RecordedMessage, bool, error) {
	b, err := hostRecorded(int32(i))
	if errors.Is(err, errAbsent) {
		return RecordedMessage{}, false, nil
	}
	if err != nil {
		return RecordedMessage{}, false, err
	}
	from, to := int32(binary.LittleEndian.Uint32(b)), int32(binary.LittleEndian.Uint32(b[4:]))
	n.mu.Lock()
	src, _ := n.nameAt(from)
	dest, _ := n.nameAt(to)
	n.mu.Unlock()
	return RecordedMessage{Src: src, Dest: dest, Raw: b[8:]}, true, nil
}

var errAbsent = errors.New("maelstrom: absent")

// codeErr maps a key or recorded call's negative result to an error.
func codeErr(call string, rc int32) error {
	switch rc {
	case abi.ErrnoDenied:
		return ErrDenied
	case abi.ErrnoAbsent:
		return errAbsent
	}
	return fmt.Errorf("maelstrom: %s returned %d", call, rc)
}

// noHost is what hostAttack returns outside wasip1.
const noHost = -1000

func attackErr(rc int32) error {
	switch rc {
	case 0:
		return nil
	case noHost:
		return errNoHost
	case abi.ErrnoQuota:
		return ErrAttackBudget
	case abi.ErrnoNoDest:
		return ErrUnknownDestination
	case abi.ErrnoTooLarge:
		return ErrTooLarge
	}
	return codeErr("attack", rc)
}
