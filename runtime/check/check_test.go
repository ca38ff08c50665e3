package check_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/check"
	"github.com/terrarium-sim/terrarium/runtime/history"
)

func op(process int, typ, f string, value any, node string) history.Op {
	var raw json.RawMessage
	if value != nil {
		raw, _ = json.Marshal(value)
	}
	return history.Op{Process: process, Type: typ, F: f, Value: raw, Node: node}
}

func hist(ops ...history.Op) []history.Op {
	for i := range ops {
		ops[i].Index = i
	}
	return ops
}

func TestEcho(t *testing.T) {
	cases := []struct {
		name    string
		hist    []history.Op
		verdict check.Verdict
		summary string
	}{
		{"matching replies", hist(
			op(3, history.OpInvoke, "echo", "c0-1", "n0"), op(3, history.OpOK, "echo", "c0-1", "n0"),
			op(4, history.OpInvoke, "echo", "c1-1", "n1"), op(4, history.OpInfo, "echo", "c1-1", "n1"),
		), check.Valid, "1 replies matched"},
		{"a reply carries another payload", hist(
			op(3, history.OpInvoke, "echo", "c0-1", "n0"), op(3, history.OpOK, "echo", "c0-1", "n0"),
			op(3, history.OpInvoke, "echo", "c0-2", "n2"), op(3, history.OpOK, "echo", "garbled", "n2"),
		), check.Invalid, `op 2 at n2: sent "c0-2", got "garbled" back`},
		{"nothing completed", hist(
			op(3, history.OpInvoke, "echo", "c0-1", "n0"), op(3, history.OpInfo, "echo", "c0-1", "n0"),
		), check.Unknown, "no echo request completed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := check.Echo(check.Input{History: tc.hist})
			assert.Equal(t, tc.verdict, r.Verdict)
			assert.Contains(t, r.Summary, tc.summary)
		})
	}
}

func TestBroadcastSetFull(t *testing.T) {
	cases := []struct {
		name    string
		hist    []history.Op
		verdict check.Verdict
		summary string
	}{
		{"every acknowledged value everywhere", hist(
			op(2, history.OpInvoke, "broadcast", 0, "n0"), op(2, history.OpOK, "broadcast", 0, "n0"),
			op(2, history.OpInvoke, "broadcast", 1, "n1"), op(2, history.OpInfo, "broadcast", 1, "n1"),
			op(2, history.OpInvoke, "read", nil, "n0"), op(2, history.OpOK, "read", []int{0}, "n0"),
			op(2, history.OpInvoke, "read", nil, "n1"), op(2, history.OpOK, "read", []int{0, 1}, "n1"),
		), check.Valid, "all 1 acknowledged values read on all 2 nodes"},
		{"a node lost an acknowledged value", hist(
			op(2, history.OpInvoke, "broadcast", 0, "n0"), op(2, history.OpOK, "broadcast", 0, "n0"),
			op(2, history.OpInvoke, "broadcast", 7, "n0"), op(2, history.OpOK, "broadcast", 7, "n0"),
			op(2, history.OpInvoke, "read", nil, "n0"), op(2, history.OpOK, "read", []int{0, 7}, "n0"),
			op(2, history.OpInvoke, "read", nil, "n1"), op(2, history.OpOK, "read", []int{0}, "n1"),
		), check.Invalid, "1 acknowledged values missing from final reads; n1 lacks [7]"},
		{"a final read timed out", hist(
			op(2, history.OpInvoke, "broadcast", 0, "n0"), op(2, history.OpOK, "broadcast", 0, "n0"),
			op(2, history.OpInvoke, "read", nil, "n0"), op(2, history.OpOK, "read", []int{0}, "n0"),
			op(2, history.OpInvoke, "read", nil, "n1"), op(2, history.OpInfo, "read", nil, "n1"),
		), check.Unknown, "final reads did not complete on n1 (info)"},
		{"no reads at all", hist(
			op(2, history.OpInvoke, "broadcast", 0, "n0"), op(2, history.OpOK, "broadcast", 0, "n0"),
		), check.Unknown, "no acknowledged broadcast or no final read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := check.BroadcastSetFull(check.Input{History: tc.hist})
			assert.Equal(t, tc.verdict, r.Verdict)
			assert.Contains(t, r.Summary, tc.summary)
		})
	}
}

func TestGetUnknownChecker(t *testing.T) {
	_, err := check.Get("linearizable-banana")
	assert.ErrorContains(t, err, `unknown checker "linearizable-banana" (known: broadcast-set-full, echo, eventually)`)
}

func TestFind(t *testing.T) {
	var r check.Result
	r.Find("nothing", nil)
	assert.Empty(t, r.Findings, "a finding with no case is not one")
	var cases []string
	for i := range 12 {
		cases = append(cases, fmt.Sprintf("case %d", i))
	}
	r.Find("many", cases)
	require.Len(t, r.Findings, 1)
	assert.Equal(t, "many", r.Findings[0].Name)
	assert.Equal(t, "12 cases; first: case 0", r.Findings[0].Summary)
	assert.Len(t, r.Findings[0].Details, 10, "details keep the first ten cases")
}
