package sim_test

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/keys"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// cryptoSim runs internal/testguests/gocrypto as g0, g1 (and an attacker
// "evil"), and a native driver d that sends requests and keeps replies.
func cryptoSim(t testing.TB, seed uint64) (*sim.Sim, func(to, op string, n int, extra map[string]any) map[string]any) {
	s, err := sim.New(t.Context(), sim.NewConfig().WithSeed(seed).WithTrace(false, nil))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.LoadModule("c", goGuest(t, "../../internal/testguests/gocrypto")))
	var last map[string]any
	for _, spec := range []sim.NodeSpec{
		{Name: "g", Count: 2, Module: "c"},
		{Name: "evil", Module: "c", Role: abi.AttackerRole},
		{Name: "d", Native: func(_ abi.Host, _ int32, msg []byte) {
			var env struct{ Body map[string]any }
			_ = json.Unmarshal(msg, &env)
			last = env.Body
		}},
	} {
		_, err := s.AddNodes(spec)
		require.NoError(t, err)
	}
	require.NoError(t, s.Start())
	call := func(to, op string, n int, extra map[string]any) map[string]any {
		body := map[string]any{"type": "crypto", "op": op, "n": n, "msg_id": 1}
		for k, v := range extra {
			body[k] = v
		}
		b, _ := json.Marshal(map[string]any{"src": "d", "dest": to, "body": body})
		toI, _ := s.Index(to)
		dI, _ := s.Index("d")
		last = nil
		s.At(s.Now(), func() { s.Send(dI, toI, b) })
		require.NoError(t, s.RunUntil(s.Now()+10*time.Millisecond))
		return last
	}
	return s, call
}

// Reference: DESIGN.md, "An adversary in the network": keys come from a
// host key service seeded by the run; a guest's own crypto with them
// agrees with the host's; attacker nodes get no key.
func TestGoGuestCryptoWithHostKeys(t *testing.T) {
	_, call := cryptoSim(t, 9)
	k := keys.New(9)
	m := hmac.New(sha256.New, k.Shared("g0", "g1"))
	m.Write(make([]byte, 64))
	assert.Equal(t, map[string]any{"type": "crypto_ok", "sum": hex.EncodeToString(m.Sum(nil)), "in_reply_to": 1.0}, call("g0", "hmac", 1, map[string]any{"peer": "g1"}))
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(k.Secret("g1")), make([]byte, 64))
	assert.Equal(t, hex.EncodeToString(sig), call("g1", "sign", 1, nil)["sum"], "the guest signs with the key the host derives")
	assert.Equal(t, "01", call("g0", "verify", 1, map[string]any{"peer": "g1", "sig": hex.EncodeToString(sig)})["sum"])
	sig[3] ^= 1
	assert.Equal(t, "00", call("g0", "verify", 1, map[string]any{"peer": "g1", "sig": hex.EncodeToString(sig)})["sum"])
	// the host's crypto calls give the same bytes
	assert.Equal(t, hex.EncodeToString(m.Sum(nil)), call("g0", "host-hmac", 1, map[string]any{"peer": "g1"})["sum"])
	sig[3] ^= 1
	assert.Equal(t, hex.EncodeToString(sig), call("g1", "host-sign", 1, nil)["sum"])
	assert.Equal(t, "01", call("g0", "host-verify", 1, map[string]any{"peer": "g1", "sig": hex.EncodeToString(sig)})["sum"])
	sig[3] ^= 1
	assert.Equal(t, "00", call("g0", "host-verify", 1, map[string]any{"peer": "g1", "sig": hex.EncodeToString(sig)})["sum"])
	assert.Equal(t, "crypto_error", call("evil", "host-sign", 1, nil)["type"], "the host signs for no attacker")
	got := call("evil", "hmac", 1, map[string]any{"peer": "g1"})
	assert.Equal(t, "crypto_error", got["type"], "an attacker gets no shared key")
	assert.Contains(t, got["error"], "denied")
	assert.Equal(t, "crypto_error", call("evil", "sign", 1, nil)["type"], "nor a secret")
	assert.Equal(t, "01", call("evil", "verify", 1, map[string]any{"peer": "g1", "sig": hex.EncodeToString(ed25519.Sign(ed25519.NewKeyFromSeed(k.Secret("g1")), make([]byte, 64)))})["sum"],
		"public keys are public")
}

// BenchmarkGuestCrypto measures HMAC-SHA256 and Ed25519 sign and verify
// of 64 bytes in a Go guest (Go's crypto packages compiled to wasip1, run
// by wazero with fuel metering), per operation, beside the same in the
// host, and the cost of one key host call.
func BenchmarkGuestCrypto(b *testing.B) {
	k := keys.New(1)
	sig := hex.EncodeToString(ed25519.Sign(ed25519.NewKeyFromSeed(k.Secret("g1")), make([]byte, 64)))
	for _, op := range []string{"noop", "hmac", "sign", "verify", "keys", "host-hmac", "host-sign", "host-verify"} {
		b.Run("guest/"+op, func(b *testing.B) {
			_, call := cryptoSim(b, 1)
			per := 200 // operations per message, so that its round trip is amortised
			if op == "sign" || op == "verify" {
				per = 20 // the guest's own Ed25519 would run past limits.fuel
			}
			b.ResetTimer()
			for range max(1, b.N/per) {
				r := call("g0", op, per, map[string]any{"peer": "g1", "sig": sig})
				if r["type"] != "crypto_ok" {
					b.Fatal(fmt.Sprint(r))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(1, b.N/per)*per), "ns/crypto-op")
		})
	}
	b.Run("host/hmac", func(b *testing.B) {
		key, msg := k.Shared("g0", "g1"), make([]byte, 64)
		for range b.N {
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			m.Sum(nil)
		}
	})
	priv := ed25519.NewKeyFromSeed(k.Secret("g1"))
	b.Run("host/sign", func(b *testing.B) {
		for range b.N {
			ed25519.Sign(priv, make([]byte, 64))
		}
	})
	b.Run("host/verify", func(b *testing.B) {
		s := ed25519.Sign(priv, make([]byte, 64))
		for range b.N {
			ed25519.Verify(priv.Public().(ed25519.PublicKey), make([]byte, 64), s)
		}
	})
}

// Reference: docs/ABI.md, "Keys": the host's crypto calls charge fuel for
// the bytes they hash, so the host's work for a guest is bounded by the
// guest's budget: HMAC of 1 MiB costs about 52 million units, which a 10
// million budget does not cover.
func TestHostCryptoChargesFuel(t *testing.T) {
	want := hmac.New(sha256.New, nil)
	want.Write(make([]byte, 1<<20))
	for _, c := range []struct {
		fuel  int64
		crash bool
	}{{2_000_000_000, false}, {10_000_000, true}} {
		s, err := sim.New(t.Context(), sim.NewConfig().WithLimits(limits.Limits{Fuel: c.fuel}))
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		require.NoError(t, s.LoadModule("h", wasm(t, "hmacbig")))
		_, err = s.AddNodes(sim.NodeSpec{Name: "h", Module: "h"})
		require.NoError(t, err)
		require.NoError(t, s.Start())
		s.At(time.Millisecond, func() { s.Send(0, 0, []byte("go")) })
		require.NoError(t, s.RunUntil(10*time.Millisecond))
		var mac []byte
		for _, e := range s.Events() {
			if e.Kind == trace.KindEmit && e.Label == "mac" {
				mac = e.Data
			}
		}
		reason := s.Nodes()[0].CrashReason()
		if c.crash {
			assert.Contains(t, reason, "fuel", "fuel %d", c.fuel)
			assert.Nil(t, mac)
		} else {
			assert.Empty(t, reason)
			assert.Equal(t, want.Sum(nil), mac, "the host's HMAC is crypto/hmac's")
		}
	}
}
