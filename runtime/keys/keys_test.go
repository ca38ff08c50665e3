package keys_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/keys"
)

func TestKeysAreAFunctionOfSeedAndNames(t *testing.T) {
	a, b := keys.New(1), keys.New(1)
	assert.Equal(t, a.Secret("n0"), b.Secret("n0"))
	assert.Len(t, a.Secret("n0"), keys.Size)
	assert.NotEqual(t, a.Secret("n0"), a.Secret("n1"))
	assert.NotEqual(t, a.Secret("n0"), keys.New(2).Secret("n0"))
	assert.Equal(t, a.Shared("n0", "n1"), a.Shared("n1", "n0"))
	assert.NotEqual(t, a.Shared("n0", "n1"), a.Shared("n0", "n2"))
	// labels cannot run into each other: ("ab","c") is not ("a","bc")
	assert.NotEqual(t, a.Shared("ab", "c"), a.Shared("a", "bc"))
}

func TestPublicKeyVerifiesWhatTheSecretSigns(t *testing.T) {
	k := keys.New(7)
	priv := ed25519.NewKeyFromSeed(k.Secret("idp"))
	sig := ed25519.Sign(priv, []byte("token"))
	assert.True(t, ed25519.Verify(k.Public("idp"), []byte("token"), sig))
	assert.False(t, ed25519.Verify(k.Public("other"), []byte("token"), sig), "another node's key must not verify")
	sig[0] ^= 1
	assert.False(t, ed25519.Verify(k.Public("idp"), []byte("token"), sig), "a tampered signature must not verify")
}
