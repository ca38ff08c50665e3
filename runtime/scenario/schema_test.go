package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// The allowed keys of the sections errors_test.go does not cover, as the
// scenario types' yaml tags list them.
func TestAllowedKeys(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"faults: [{at: 1s, action: repair, when: 2s}]",
			`s.yaml:4:35: faults[0].when: unknown field "when" (allowed: at, action, before_event, node, groups, from, to, by, ppm, attacker, body)`},
		{"nemesis: [{kinds: [kill], every: 1s, rate: 2}]",
			`s.yaml:4:38: nemesis[0].rate: unknown field "rate" (allowed: kinds, schedule, every, heal, start, stop, targets)`},
		{"disk: {sync: true}", `s.yaml:4:8: disk.sync: unknown field "sync" (allowed: lose_unsynced)`},
	} {
		_, err := scenario.Parse("s.yaml", []byte(valid+tc.src+"\n"))
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
	}
}
