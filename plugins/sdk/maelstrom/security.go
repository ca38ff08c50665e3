package maelstrom

import (
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

// SecurityError is an error of the key and attack calls. Its values are
// constants, so that a guest that does not use these calls carries none of
// them (the SDK's other guests stay byte for byte what they were).
type SecurityError string

func (e SecurityError) Error() string { return string(e) }

const (
	// ErrDenied: the host refused a key to an attacker node, or an attack
	// to a node that is not one.
	ErrDenied SecurityError = "maelstrom: denied (keys are not given to attacker nodes; attacks only to them)"
	// ErrAttackBudget: the run's adversary has spent limits.attack_budget.
	ErrAttackBudget SecurityError = "maelstrom: the adversary's budget is spent (limits.attack_budget)"
	errAbsent       SecurityError = "maelstrom: absent"
)

// Keys is the host key service as one node sees it (KeysOf). Keys and
// Attacker are types of their own, not methods of Node, so that a guest
// that does not use them carries nothing of them: the SDK's other guests
// stay byte for byte what they were.
type Keys struct{ n *Node }

// KeysOf returns node n's view of the host key service.
func KeysOf(n *Node) Keys { return Keys{n} }

// Attacker is an attacker node's powers (AttackerOf); the host refuses
// them (ErrDenied) to a node whose role is not "attacker".
type Attacker struct{ n *Node }

// AttackerOf returns node n's attacker powers.
func AttackerOf(n *Node) Attacker { return Attacker{n} }

// Secret returns this node's own 32-byte secret. It is also the seed of
// the node's Ed25519 key pair: ed25519.NewKeyFromSeed(secret) is its
// private key, whose public half any node gets with PublicKey. (The SDK
// does not import crypto/ed25519 itself, so that guests that do not sign
// do not carry its tables.)
func (k Keys) Secret() ([]byte, error) { return hostKey(abi.KeySecret, 0) }

// SharedKey returns the 32-byte key this node shares with peer: peer's
// SharedKey for this node is the same key.
func (k Keys) SharedKey(peer string) ([]byte, error) {
	i, err := index(k.n, peer)
	if err != nil {
		return nil, err
	}
	return hostKey(abi.KeyShared, i)
}

// PublicKey returns node's 32-byte Ed25519 public key (an
// ed25519.PublicKey).
func (k Keys) PublicKey(node string) ([]byte, error) {
	i, err := index(k.n, node)
	if err != nil {
		return nil, err
	}
	return hostKey(abi.KeyPublic, i)
}

func index(n *Node, name string) (int32, error) {
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
func (a Attacker) Forge(from, dest string, body any) error {
	f, err := index(a.n, from)
	if err != nil {
		return err
	}
	d, err := index(a.n, dest)
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
func (a Attacker) Eavesdrop(from, to string) error {
	ends := [2]int32{-1, -1}
	for k, name := range []string{from, to} {
		if name != "*" && name != "" {
			i, err := index(a.n, name)
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
func (a Attacker) Replay(i int) error {
	return attackErr(hostAttack(abi.AttackReplay, int32(i), 0, nil))
}

// RecordedMessage is one message the adversary recorded.
type RecordedMessage struct {
	Src, Dest string
	// Raw is the message as it crossed the network (a JSON envelope for
	// SDK senders).
	Raw []byte
}

// Recorded returns the i-th message the adversary recorded; false past the
// last. Attacker nodes only.
func (a Attacker) Recorded(i int) (RecordedMessage, bool, error) {
	n := a.n
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

// Sign returns this node's Ed25519 signature of msg, made by the host
// (ed25519_sign): many times faster than Go's crypto/ed25519 in the guest
// (RATIONALE.md), and the same signature.
func (k Keys) Sign(msg []byte) ([]byte, error) { return hostSign(msg) }

// HostHMAC returns HMAC-SHA256 of msg under key, computed by the host
// (hmac_sha256): the same bytes as crypto/hmac in the guest, faster.
func HostHMAC(key, msg []byte) ([]byte, error) { return hostHMAC(key, msg) }

// HostVerify reports whether sig is pub's Ed25519 signature of msg,
// checked by the host (ed25519_verify). pub must be 32 bytes and sig 64.
func HostVerify(pub, msg, sig []byte) (bool, error) {
	if len(pub) != 32 || len(sig) != 64 {
		return false, nil
	}
	return hostVerify(pub, msg, sig)
}
