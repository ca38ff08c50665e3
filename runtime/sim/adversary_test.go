package sim_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/fault"
	"github.com/terrarium-sim/terrarium/runtime/keys"
	"github.com/terrarium-sim/terrarium/runtime/limits"
	"github.com/terrarium-sim/terrarium/runtime/sim"
	"github.com/terrarium-sim/terrarium/runtime/trace"
)

type got struct {
	from int32
	msg  string
}

// Reference: DESIGN.md, "An adversary in the network": an attacker node
// forges and replays through its host calls; other nodes may not; the
// key service gives keys to every node but attackers.
func TestAttackerHostCalls(t *testing.T) {
	var at0 []got
	var codes []int32
	var hosts = map[string]abi.Host{}
	keep := func(name string) func(abi.Host, int32, []byte) {
		return func(h abi.Host, from int32, msg []byte) {
			hosts[name] = h
			if name == "n0" {
				at0 = append(at0, got{from, string(msg)})
			}
		}
	}
	s := nativeSim(t, sim.NewConfig().WithSeed(5).WithLimits(limits.Limits{AttackBudget: 3}),
		sim.NodeSpec{Name: "n0", Native: keep("n0")},
		sim.NodeSpec{Name: "n1", Native: keep("n1")},
		sim.NodeSpec{Name: "evil", Role: abi.AttackerRole, Native: keep("evil")},
	)
	require.NoError(t, s.Start())
	s.At(time.Millisecond, func() {
		s.Send(0, 2, []byte("wake")) // so every node's host is known
		s.Send(0, 1, []byte("wake"))
		s.Send(2, 0, []byte("wake"))
	})
	s.At(3*time.Millisecond, func() {
		evil, n1 := hosts["evil"], hosts["n1"]
		codes = append(codes,
			n1.Attack(abi.AttackForge, 1, 0, []byte("nope")), // not an attacker
			evil.Attack(abi.AttackEavesdrop, 1, 0, nil),
			evil.Attack(abi.AttackForge, 1, 0, []byte("forged")), // claims n1
			evil.Attack(abi.AttackForge, 1, 99, []byte("x")),     // no such endpoint
		)
		n1.Send(0, []byte("real"))
	})
	s.At(10*time.Millisecond, func() {
		evil := hosts["evil"]
		from, to, msg, code := evil.Recorded(0)
		require.Equal(t, int32(0), code)
		assert.Equal(t, []any{int32(1), int32(0), "real"}, []any{from, to, string(msg)})
		_, _, _, code = evil.Recorded(1)
		codes = append(codes, code, evil.Attack(abi.AttackReplay, 0, 0, nil), evil.Attack(abi.AttackReplay, 0, 0, nil))
	})
	require.NoError(t, s.RunUntil(50*time.Millisecond))
	assert.Equal(t, []int32{abi.ErrnoDenied, 0, 0, abi.ErrnoNoDest, abi.ErrnoAbsent, 0, abi.ErrnoQuota}, codes,
		"denied, eavesdrop, forge, no destination, nothing recorded at 1, replay, then over the budget of 3")
	assert.Equal(t, []got{{2, "wake"}, {1, "forged"}, {1, "real"}, {1, "real"}}, at0, "the forgery and the replay arrive in n1's name")
	var labels []string
	for _, e := range s.Events() {
		if e.Kind == trace.KindAttack {
			labels = append(labels, fmt.Sprintf("%s by %d", e.Label, e.Node))
		}
	}
	assert.Equal(t, []string{"forge by 2", "eavesdrop by -1", "replay by 2", "budget by 2"}, labels)

	k := keys.New(5)
	sec, code := hosts["n0"].Key(abi.KeySecret, 0)
	assert.Equal(t, []any{k.Secret("n0"), int32(0)}, []any{sec, code})
	shared, _ := hosts["n0"].Key(abi.KeyShared, 1)
	back, _ := hosts["n1"].Key(abi.KeyShared, 0)
	assert.Equal(t, shared, back, "both ends of a link get one shared key")
	_, code = hosts["evil"].Key(abi.KeySecret, 2)
	assert.Equal(t, int32(abi.ErrnoDenied), code, "an attacker gets no secret")
	_, code = hosts["evil"].Key(abi.KeyShared, 0)
	assert.Equal(t, int32(abi.ErrnoDenied), code, "an attacker shares no key")
	pub, code := hosts["evil"].Key(abi.KeyPublic, 0)
	assert.Equal(t, []any{[]byte(k.Public("n0")), int32(0)}, []any{pub, code}, "public keys are public")
	_, code = hosts["n0"].Key(abi.KeyShared, 42)
	assert.Equal(t, int32(abi.ErrnoAbsent), code)
}

// adversaryRun runs two native nodes that send each other numbered
// messages every millisecond, with faults applied from script, and
// returns the run and what each node received.
func adversaryRun(t *testing.T, script []byte, budget int64) (*sim.Sim, map[string]bool, map[string]bool) {
	sent, received := map[string]bool{}, map[string]bool{}
	var s *sim.Sim
	recv := func(_ abi.Host, _ int32, msg []byte) { received[string(msg)] = true }
	var err error
	s = nativeSim(t, sim.NewConfig().WithLimits(limits.Limits{AttackBudget: budget}),
		sim.NodeSpec{Name: "n0", Native: recv}, sim.NodeSpec{Name: "n1", Native: recv}, sim.NodeSpec{Name: "n2", Native: recv})
	require.NoError(t, s.Start())
	names := []string{"n0", "n1", "n2", "*"}
	kinds := fault.AdversaryKinds
	for i := 0; i+2 < len(script); i += 3 {
		k := kinds[int(script[i])%len(kinds)]
		a, b := names[int(script[i+1])%4], names[int(script[i+2])%4]
		f := fault.Fault{Kind: k}
		switch k {
		case fault.Impersonate:
			f.Node, f.Attacker = names[int(script[i+1])%3], names[int(script[i+2])%3]
		case fault.Secure:
		default:
			f.From, f.To = []string{a}, []string{b}
		}
		if k == fault.Forge {
			f.Body = fmt.Sprintf(`{"type":"forged","n":%d}`, i)
		}
		if k == fault.Tamper && script[i]%2 == 0 {
			f.Body = `{"n":-1}`
		}
		at := time.Duration(i) * time.Millisecond
		s.At(at, func() { err = s.Apply(f) }) // invalid faults (forge *, self-impersonation) are refused
	}
	for ms := range 40 {
		s.At(time.Duration(ms)*time.Millisecond, func() {
			from, to := int32(ms%3), int32((ms+1)%3)
			b := fmt.Sprintf(`{"type":"m","n":%d}`, ms)
			sent[b] = true
			s.Send(from, to, []byte(b))
		})
	}
	require.NoError(t, s.RunUntil(100*time.Millisecond))
	_ = err
	return s, sent, received
}

// FuzzAdversaryRules: whatever the adversary does, a run stays a pure
// function of its inputs, the adversary stays within its budget, every
// message a node acts on was either sent by a node or is in the trace's
// ground truth (what the adversary forged, replayed or tampered), and an
// impersonated node's traffic reaches its attacker, not the node.
func FuzzAdversaryRules(f *testing.F) {
	f.Add([]byte{0, 3, 3, 2, 0, 1, 1, 3, 3}, uint8(10))
	f.Add([]byte{4, 1, 2, 3, 0, 1, 5, 0, 0, 1, 0, 1}, uint8(3))
	f.Add([]byte{1, 0, 1, 1, 1, 0, 2, 0, 1}, uint8(1))
	f.Fuzz(func(t *testing.T, script []byte, budget uint8) {
		if len(script) > 60 {
			return
		}
		b := int64(budget%20) + 1
		s, sent, received := adversaryRun(t, script, b)
		s2, _, _ := adversaryRun(t, script, b)
		require.Equal(t, s.Digest(), s2.Digest(), "one script, one trace")
		truth := map[string]bool{}
		actions := int64(0)
		redirected := map[uint64]int32{}
		for _, e := range s.Events() {
			if e.Kind != trace.KindAttack {
				continue
			}
			if e.Label != "budget" {
				actions++
			}
			truth[string(e.Data)] = true
			if e.Label == "impersonate" {
				redirected[e.Msg] = e.Node
			}
		}
		assert.LessOrEqual(t, actions, b, "the adversary stayed within limits.attack_budget")
		for m := range received {
			assert.True(t, sent[m] || truth[m], "%s was acted on but neither sent by a node nor in the ground truth", m)
		}
		for _, e := range s.Events() {
			if to, ok := redirected[e.Msg]; ok && e.Kind == trace.KindDeliver {
				assert.Equal(t, to, e.Node, "message %d was impersonated: only its attacker gets it", e.Msg)
			}
		}
		kinds := map[string]bool{}
		for _, e := range s.Events() {
			if e.Kind == trace.KindAttack {
				kinds[e.Label] = true
			}
		}
		for k := range kinds {
			assert.True(t, slices.Contains([]string{"eavesdrop", "tamper", "replay", "forge", "impersonate", "budget"}, k), k)
		}
	})
}

// BenchmarkAdversary measures what the adversary costs per message: native
// nodes bounce one message, with no adversary, with an eavesdropper on
// every link, with a byte-flipping tamper rule (the guests ignore what
// they get), and with a JSON-rewriting one.
func BenchmarkAdversary(b *testing.B) {
	for _, c := range []struct {
		name   string
		faults []fault.Fault
	}{
		{"none", nil},
		{"eavesdrop", []fault.Fault{{Kind: fault.Eavesdrop, From: []string{"*"}, To: []string{"*"}}}},
		{"tamper-flip", []fault.Fault{{Kind: fault.Tamper, From: []string{"*"}, To: []string{"*"}}}},
		{"tamper-json", []fault.Fault{{Kind: fault.Tamper, From: []string{"*"}, To: []string{"*"}, Body: `{"n":1}`}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := sim.New(b.Context(), sim.NewConfig().WithTrace(false, nil).WithLimits(limits.Limits{AttackBudget: 1 << 40}))
			require.NoError(b, err)
			b.Cleanup(func() { _ = s.Close() })
			echo := func(h abi.Host, from int32, msg []byte) { h.Send(from, msg) }
			_, err = s.AddNodes(sim.NodeSpec{Name: "n", Count: 2, Native: echo})
			require.NoError(b, err)
			require.NoError(b, s.Start())
			for _, f := range c.faults {
				require.NoError(b, s.Apply(f))
			}
			s.At(0, func() { s.Send(0, 1, []byte(`{"src":"n0","dest":"n1","body":{"type":"ping","n":0}}`)) })
			require.NoError(b, s.RunUntil(0))
			start := s.Stats().Delivered
			b.ResetTimer()
			for s.Stats().Delivered-start < uint64(b.N) {
				if ok, err := s.Step(); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
