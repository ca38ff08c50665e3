package fault_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/fault"
)

func TestValidate(t *testing.T) {
	good := []fault.Fault{
		{Kind: fault.Partition, Groups: [][]string{{"n0"}, {"n1", "n2"}}},
		{Kind: fault.PartitionOneWay, From: []string{"n0"}, To: []string{"n1"}},
		{Kind: fault.Repair},
		{Kind: fault.Crash, Node: "n1"},
		{Kind: fault.Hold, From: []string{"*"}, To: []string{"n1"}},
		{Kind: fault.Skew, Node: "n1", By: -time.Second},
		{Kind: fault.Drift, Node: "n1", PPM: -999_999},
	}
	for _, f := range good {
		assert.NoError(t, f.Validate(), "%v", f)
	}
	bad := []struct {
		f    fault.Fault
		want string
	}{
		{fault.Fault{Kind: "explode"}, `unknown kind "explode"`},
		{fault.Fault{Kind: fault.Crash}, "crash needs a node"},
		{fault.Fault{Kind: fault.Repair, Node: "n1"}, "repair does not take node (it takes: nothing)"},
		{fault.Fault{Kind: fault.Partition, Groups: [][]string{{"n0"}}}, "two or more groups"},
		{fault.Fault{Kind: fault.Partition, Groups: [][]string{{"n0"}, {}}}, "groups[1] must name at least one node"},
		{fault.Fault{Kind: fault.Hold, From: []string{"n0", "n1"}, To: []string{"n2"}}, "one name"},
		{fault.Fault{Kind: fault.Drift, Node: "n1", PPM: 1_000_000}, "outside"},
		{fault.Fault{Kind: fault.Crash, Node: "n1", By: time.Second}, "crash does not take by"},
	}
	for _, c := range bad {
		assert.ErrorContains(t, c.f.Validate(), c.want, "%+v", c.f)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	f := fault.Fault{Kind: fault.Partition, Groups: [][]string{{"n0"}, {"n1", "n2"}}}
	assert.JSONEq(t, `{"action":"partition","groups":[["n0"],["n1","n2"]]}`, string(f.Encode()))
	back, err := fault.Decode(f.Encode())
	require.NoError(t, err)
	assert.Equal(t, f, back)
	assert.Equal(t, "partition [n0] | [n1 n2]", f.String())
	assert.Equal(t, []string{"n0", "n1", "n2"}, f.Nodes())
	_, err = fault.Decode([]byte(`{"action":"crash"}`))
	assert.ErrorContains(t, err, "crash needs a node")
}

func TestFilterValidate(t *testing.T) {
	for _, f := range []fault.Filter{
		{Kind: fault.Drop, Type: "vote"},
		{Kind: fault.Delay, From: "n0", Delay: time.Millisecond},
		{Kind: fault.Duplicate, To: "*"},
		{Kind: fault.Hold},
	} {
		assert.NoError(t, f.Validate(), "%+v", f)
	}
	for name, tc := range map[string]struct {
		f    fault.Filter
		want string
	}{
		"no kind":        {fault.Filter{}, `fault: filter: unknown kind "" (known: drop, delay, duplicate, hold)`},
		"a timed kind":   {fault.Filter{Kind: fault.Crash}, `fault: filter: unknown kind "crash" (known: drop, delay, duplicate, hold)`},
		"delay of zero":  {fault.Filter{Kind: fault.Delay}, "fault: filter: delay action needs a positive Delay"},
		"negative delay": {fault.Filter{Kind: fault.Delay, Delay: -time.Second}, "fault: filter: delay action needs a positive Delay"},
	} {
		t.Run(name, func(t *testing.T) {
			assert.EqualError(t, tc.f.Validate(), tc.want)
		})
	}
}

// Nemesis.Check judges each field on the ones before it and fills the
// defaults.
func TestNemesisCheck(t *testing.T) {
	n := fault.Nemesis{Every: time.Second, Start: 2 * time.Second, Stop: time.Second}
	assert.EqualError(t, n.Check("kinds", true), "must name at least one kind")
	assert.NoError(t, n.Check("kinds", false), "kinds that were not read are reported where they were read")
	n.Schedule = "often"
	assert.EqualError(t, n.Check("schedule", true), `"often" is not periodic or jepsen`)
	n.Schedule = fault.SchedulePeriodic
	require.NoError(t, n.Check("schedule", true))
	assert.Empty(t, n.Schedule, "periodic is the default, spelled empty")
	require.NoError(t, n.Check("heal", false))
	assert.Equal(t, 500*time.Millisecond, n.Heal, "heal defaults to every/2")
	assert.EqualError(t, n.Check("stop", true), "must be after start (2s)")
	assert.NoError(t, n.Check("stop", false))

	j := fault.Nemesis{Every: time.Second, Schedule: fault.ScheduleJepsen, Heal: time.Second}
	require.NoError(t, j.Check("schedule", true))
	assert.EqualError(t, j.Check("heal", true), "not with schedule jepsen: each heal comes after its own draw from [0, 2×every)")
	assert.Zero(t, j.Heal, "jepsen draws each heal")
}

// A fault pinned to an event must not come later in time but earlier in
// events than the one before it; unpinned faults have no such order.
func TestTimedCheckAfter(t *testing.T) {
	first := fault.Timed{At: time.Second, BeforeEvent: 9}
	assert.EqualError(t, fault.Timed{At: 2 * time.Second, BeforeEvent: 5}.CheckAfter(first),
		"before_event 5 at 2s comes after before_event 9 at 1s: pinned faults must be in the order of both")
	assert.NoError(t, fault.Timed{At: 2 * time.Second, BeforeEvent: 10}.CheckAfter(first))
	assert.NoError(t, fault.Timed{At: 2 * time.Second}.CheckAfter(first))
}

// Hold, release and the adversary's kinds name one end each in from and
// to; a one-way partition names lists of nodes.
func TestOneEnd(t *testing.T) {
	for _, k := range []fault.Kind{fault.Hold, fault.Release, fault.Tamper, fault.Eavesdrop} {
		assert.True(t, k.OneEnd(), k)
	}
	for _, k := range []fault.Kind{fault.PartitionOneWay, fault.Partition, fault.Crash} {
		assert.False(t, k.OneEnd(), k)
	}
}

// The ppm range a scenario accepts (the field's range tag, which the
// scenario reader applies) is ±MaxPPM.
func TestPPMRangeIsMaxPPM(t *testing.T) {
	f, _ := reflect.TypeFor[fault.Fault]().FieldByName("PPM")
	assert.Equal(t, fmt.Sprintf("%d,%d", -fault.MaxPPM, fault.MaxPPM), f.Tag.Get("range"))
}

// Check accepts every kind and an adversary's, and names the known
// kinds for any other.
func TestKindCheck(t *testing.T) {
	require.NoError(t, fault.Crash.Check())
	require.NoError(t, fault.Tamper.Check())
	assert.EqualError(t, fault.Kind("explode").Check(), `unknown action "explode" (known: `+fault.KindNames()+")")
}
