package trace_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Every payload a guest can produce survives the trace file byte for byte,
// so a run folder can be checked against its digest.
func TestTraceFileVerifiesAgainstTheDigest(t *testing.T) {
	payloads := [][]byte{
		nil,
		[]byte(`{"type":"echo","msg_id":1}`),
		[]byte(`{"type": "spaced",  "n": 1 }`),
		[]byte(`{"note":"</script><b>&"}`),
		[]byte("{\"line\":\"\u2028\"}"),
		[]byte(`[1,2,3]`),
		[]byte("plain text with\ttab"),
		{0, 1, 2, 0xff, 0xfe},
		[]byte("\xff not utf-8"),
		[]byte(`"a json string"`),
		[]byte(`{"unterminated":`),
	}
	var file bytes.Buffer
	rec := trace.NewRecorder(false, &file)
	for i, p := range payloads {
		rec.Record(trace.Event{Time: int64(i), Kind: trace.KindSend, Node: 0, Peer: 1, Msg: uint64(i + 1), Label: "x", Data: p})
	}
	require.NoError(t, rec.Err())
	digest, n, err := trace.Verify(bytes.NewReader(file.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, uint64(len(payloads)), n)
	assert.Equal(t, rec.Digest(), digest)

	lines := strings.SplitAfter(file.String(), "\n")
	_, _, err = trace.Verify(strings.NewReader(lines[0] + lines[2]))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 2: event seq 3 where 2 was due")
	_, _, err = trace.Verify(strings.NewReader("{not json\n"))
	assert.ErrorContains(t, err, "line 1")
}
