package trace_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// traceFile records n events, the i-th changed by edit, and returns the
// trace file and the recorder.
func traceFile(t *testing.T, n int, edit func(i int, e *trace.Event)) (string, *trace.Recorder) {
	t.Helper()
	var file bytes.Buffer
	rec := trace.NewRecorder(false, &file)
	for i := 1; i <= n; i++ {
		e := trace.Event{Time: int64(i) * 1000, Kind: trace.KindSend, Node: int32(i % 3), Peer: int32((i + 1) % 3), Msg: uint64(i), Label: "ping",
			Data: []byte(fmt.Sprintf(`{"type":"ping","n":%d}`, i))}
		if edit != nil {
			edit(i, &e)
		}
		rec.Record(e)
	}
	require.NoError(t, rec.Err())
	return file.String(), rec
}

func TestDiffSameTraces(t *testing.T) {
	a, rec := traceFile(t, 20, nil)
	d, err := trace.Diff(strings.NewReader(a), strings.NewReader(a), 3)
	require.NoError(t, err)
	assert.True(t, d.Same())
	assert.Equal(t, uint64(20), d.EventsA)
	assert.Equal(t, uint64(20), d.EventsB)
	assert.Equal(t, rec.Digest(), d.DigestA)
	assert.Equal(t, d.DigestA, d.DigestB)
}

func TestDiffNamesTheFirstDifferingEvent(t *testing.T) {
	a, _ := traceFile(t, 20, nil)
	b, _ := traceFile(t, 20, func(i int, e *trace.Event) {
		if i >= 12 {
			e.Data = []byte(`{"type":"pong"}`)
		}
	})
	d, err := trace.Diff(strings.NewReader(a), strings.NewReader(b), 3)
	require.NoError(t, err)
	require.False(t, d.Same())
	assert.Equal(t, uint64(12), d.Index)
	require.NotNil(t, d.A)
	require.NotNil(t, d.B)
	assert.Equal(t, int64(12000), d.A.Time)
	assert.JSONEq(t, `{"type":"ping","n":12}`, string(d.A.Data))
	assert.JSONEq(t, `{"type":"pong"}`, string(d.B.Data))
	require.Len(t, d.Before, 3)
	for i, e := range d.Before {
		assert.Equal(t, uint64(9+i), e.Seq)
	}
	assert.NotEqual(t, d.DigestA, d.DigestB)
}

// A trace that is a prefix of the other differs where it ends.
func TestDiffShorterTrace(t *testing.T) {
	a, _ := traceFile(t, 20, nil)
	b, _ := traceFile(t, 2, nil)
	d, err := trace.Diff(strings.NewReader(a), strings.NewReader(b), 5)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), d.Index)
	assert.NotNil(t, d.A)
	assert.Nil(t, d.B)
	assert.Len(t, d.Before, 2)
	assert.Equal(t, uint64(20), d.EventsA)
	assert.Equal(t, uint64(2), d.EventsB)

	d, err = trace.Diff(strings.NewReader(b), strings.NewReader(a), 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), d.Index)
	assert.Nil(t, d.A)
	assert.NotNil(t, d.B)
	assert.Empty(t, d.Before)
}

func TestDiffBadInput(t *testing.T) {
	a, _ := traceFile(t, 5, nil)
	lines := strings.SplitAfter(a, "\n")
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{"cut mid-line", a, a[:len(a)-10], "trace: diff: second trace: trace: line 5: unexpected end of JSON input"},
		{"lost a line", lines[0] + lines[2], a, "trace: diff: first trace: trace: line 2: event seq 3 where 2 was due: the file lost or gained events"},
		{"not JSON", a, "garbage\n", "trace: diff: second trace: trace: line 1: invalid character 'g' looking for beginning of value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := trace.Diff(strings.NewReader(tc.a), strings.NewReader(tc.b), 2)
			require.EqualError(t, err, tc.want)
		})
	}
}

// A checkpoint at event k is the digest of the trace's first k events, and
// taking checkpoints leaves the final digest as it is.
func TestCheckpoints(t *testing.T) {
	file, plain := traceFile(t, 25, nil)
	rec := trace.NewRecorder(false, nil)
	rec.CheckpointEvery(10)
	rd := trace.NewReader(strings.NewReader(file))
	for range 25 {
		e, err := rd.Next()
		require.NoError(t, err)
		rec.Record(e)
	}
	assert.Equal(t, plain.Digest(), rec.Digest())
	cps := rec.Checkpoints()
	require.Len(t, cps, 2)
	lines := strings.SplitAfter(file, "\n")
	for i, cp := range cps {
		assert.Equal(t, uint64(10*(i+1)), cp.Events)
		digest, n, err := trace.Verify(strings.NewReader(strings.Join(lines[:cp.Events], "")))
		require.NoError(t, err)
		assert.Equal(t, cp.Events, n)
		assert.Equal(t, digest, cp.Digest, "checkpoint %d", cp.Events)
	}
	assert.Empty(t, plain.Checkpoints(), "no checkpoints unless asked")
}
