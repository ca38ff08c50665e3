package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
	"github.com/terrarium-sim/terrarium/runtime/schedule"
)

// A schedule: list reads into decisions and encodes back the same.
func TestScheduleRoundTrip(t *testing.T) {
	src := valid + "schedule: [order 12 2, drop 7, duplicate 9, crash 30 n]\n"
	s, err := scenario.Parse("s.yaml", []byte(src))
	require.NoError(t, err)
	assert.Equal(t, schedule.Schedule{
		{Kind: schedule.Order, Step: 12, Pick: 2}, {Kind: schedule.Drop, Msg: 7},
		{Kind: schedule.Duplicate, Msg: 9}, {Kind: schedule.Crash, Step: 30, Node: "n"},
	}, s.Schedule)
	out, err := scenario.Encode(s, "")
	require.NoError(t, err)
	again, err := scenario.Parse("s.yaml", out)
	require.NoError(t, err)
	assert.Equal(t, s.Schedule, again.Schedule)
}

// Each bad decision is named with its place in the list.
func TestScheduleErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"schedule: [order 12]", `s.yaml:4:12: schedule[0]: schedule: "order 12": want "order STEP PICK"`},
		{"schedule: [order 0 1]", `s.yaml:4:12: schedule[0]: schedule: "order 0 1": "0" is not a positive integer`},
		{"schedule: [order 3 0]", `s.yaml:4:12: schedule[0]: schedule: "order 3 0": pick 0 is not a deviation (the loop's own order is 0)`},
		{"schedule: [swap 1 2]", `s.yaml:4:12: schedule[0]: schedule: "swap 1 2": unknown decision "swap" (want one of: order STEP PICK, drop MSG, duplicate MSG, crash STEP NODE, restart STEP NODE)`},
		{"schedule: [drop 1, crash 5 ghost]", `s.yaml:4:20: schedule[1]: crash: unknown node "ghost"`},
	} {
		_, err := scenario.Parse("s.yaml", []byte(valid+tc.src+"\n"))
		require.Error(t, err, tc.src)
		assert.Equal(t, tc.want, err.Error())
	}
}
