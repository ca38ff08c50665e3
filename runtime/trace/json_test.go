package trace

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reference is the trace line as encoding/json writes it for jsonEvent (the
// encoder AppendJSON replaced).
func reference(t testing.TB, e Event) []byte {
	j := jsonEvent{Seq: e.Seq, Time: e.Time, Kind: e.Kind, Node: e.Node, Peer: e.Peer, Msg: e.Msg, Label: e.Label}
	switch {
	case len(e.Data) == 0:
	case (e.Data[0] == '{' || e.Data[0] == '['):
		var c bytes.Buffer
		if !bytes.ContainsAny(e.Data, "<>&\u2028\u2029") && json.Valid(e.Data) && json.Compact(&c, e.Data) == nil && bytes.Equal(c.Bytes(), e.Data) {
			j.JSON = e.Data
			break
		}
		fallthrough
	case isText(e.Data):
		if isText(e.Data) {
			s := string(e.Data)
			j.Text = &s
			break
		}
		fallthrough
	default:
		j.B64 = base64.StdEncoding.EncodeToString(e.Data)
	}
	b, err := json.Marshal(j)
	require.NoError(t, err)
	return b
}

// Reference: issue 11, "the host's per-event cost": the trace writer's
// hand-made encoder writes exactly what encoding/json wrote.
func TestAppendJSONWritesWhatEncodingJSONWrote(t *testing.T) {
	for _, e := range []Event{
		{Seq: 1, Kind: KindBoot, Node: 0, Peer: -1},
		{Seq: 2, Time: 1985567, Kind: KindSend, Node: 4, Peer: 1, Msg: 1, Label: "ping", Data: []byte(`{"src":"c0","dest":"n1","body":{"type":"ping"}}`)},
		{Seq: 3, Kind: KindSend, Label: "a<b", Data: []byte(`{"src": "spaced"}`)},
		{Seq: 4, Kind: KindLog, Label: "stderr", Data: []byte("line with \"quotes\", tab\t, é and \u2028")},
		{Seq: 5, Kind: KindLog, Data: []byte("bad \xff utf-8")},
		{Seq: 6, Kind: KindEmit, Label: "v", Data: []byte(`[1,"a\"b",{"k":null}]`)},
		{Seq: 7, Kind: KindEmit, Label: "html", Data: []byte(`{"x":"<&>"}`)},
		{Seq: 8, Kind: KindEmit, Data: []byte(`{"broken":`)},
		{Seq: 9, Kind: Kind(200), Node: -3, Peer: 7, Time: -5, Data: []byte{0, 1, 2}},
		{Seq: 10, Kind: KindCrash, Data: []byte("x\x7fy")},
	} {
		assert.Equal(t, string(reference(t, e)), string(e.AppendJSON(nil)), "%+v", e)
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("ping", []byte(`{"a": [1, "b\\"c"]}`), uint64(3))
	f.Add("x&y", []byte("text\n"), uint64(0))
	f.Fuzz(func(t *testing.T, label string, data []byte, msg uint64) {
		e := Event{Seq: 9, Time: 12, Kind: KindSend, Node: 1, Peer: 2, Msg: msg, Label: label, Data: data}
		assert.Equal(t, string(reference(t, e)), string(e.AppendJSON(nil)))
		var back Event
		require.NoError(t, json.Unmarshal(e.AppendJSON(nil), &back))
		if len(data) == 0 {
			data = nil
		}
		assert.Equal(t, data, back.Data, "the line reads back byte for byte")
	})
}
