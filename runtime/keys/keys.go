// Package keys is Terrarium's host key service: every node's secret, the
// key two nodes share and every node's Ed25519 public key, all derived
// from the run's seed, so a run stays a pure function of its inputs while
// guests sign, MAC and verify with real cryptography (docs/ABI.md, "Keys").
//
// The derivation is HMAC-SHA256 keyed by the seed under a domain label. A
// guest could compute it from the seed too, which is why attacker nodes
// are not given the seed in their init document, nor any key by the host
// calls: in the model, an attacker is a program that knows only what it
// observed.
package keys

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// Size is the length of a secret and of a shared key, in bytes.
const Size = 32

// Service derives the keys of one run.
type Service struct{ root [Size]byte }

// New returns the key service of the run with this seed.
func New(seed uint64) Service {
	var s Service
	copy(s.root[:], derive([]byte("terrarium keys v1"), binary.LittleEndian.AppendUint64(nil, seed)))
	return s
}

func derive(key, label []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(label)
	return m.Sum(nil)
}

// Secret returns node's own 32-byte secret; it is also the seed of the
// node's Ed25519 key pair (ed25519.NewKeyFromSeed).
func (s Service) Secret(node string) []byte {
	return derive(s.root[:], append([]byte("secret\x00"), node...))
}

// Shared returns the 32-byte key nodes a and b share; Shared(a, b) and
// Shared(b, a) are the same key.
func (s Service) Shared(a, b string) []byte {
	if b < a {
		a, b = b, a
	}
	label := append([]byte("shared\x00"), a...)
	label = append(append(label, 0), b...)
	return derive(s.root[:], label)
}

// Public returns node's Ed25519 public key.
func (s Service) Public(node string) ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(s.Secret(node)).Public().(ed25519.PublicKey)
}
