package schedule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/schedule"
)

func TestStringParseRoundTrip(t *testing.T) {
	s := schedule.Schedule{
		{Kind: schedule.Order, Step: 12, Pick: 2}, {Kind: schedule.Drop, Msg: 7}, {Kind: schedule.Duplicate, Msg: 9},
		{Kind: schedule.Crash, Step: 30, Node: "n1"}, {Kind: schedule.Restart, Step: 31, Node: "n1"},
	}
	lines := s.Strings()
	assert.Equal(t, []string{"order 12 2", "drop 7", "duplicate 9", "crash 30 n1", "restart 31 n1"}, lines)
	back, err := schedule.ParseAll(lines)
	require.NoError(t, err)
	assert.Equal(t, s, back)
	assert.Equal(t, 2+1+1+1+1, s.Cost(), "an order decision costs its pick, the others one")
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":              "schedule: empty decision (want one of: order STEP PICK, drop MSG, duplicate MSG, crash STEP NODE, restart STEP NODE)",
		"order 1":       `schedule: "order 1": want "order STEP PICK"`,
		"order x 1":     `schedule: "order x 1": "x" is not a positive integer`,
		"order 1 0":     `schedule: "order 1 0": pick 0 is not a deviation (the loop's own order is 0)`,
		"drop 0":        `schedule: "drop 0": "0" is not a positive integer`,
		"duplicate":     `schedule: "duplicate": want "duplicate MSG"`,
		"crash 3":       `schedule: "crash 3": want "crash STEP NODE"`,
		"bounce 3 n1":   `schedule: "bounce 3 n1": unknown decision "bounce" (want one of: order STEP PICK, drop MSG, duplicate MSG, crash STEP NODE, restart STEP NODE)`,
		"restart -1 n1": `schedule: "restart -1 n1": "-1" is not a positive integer`,
	} {
		_, err := schedule.Parse(in)
		require.Error(t, err, in)
		assert.Equal(t, want, err.Error())
	}
}
