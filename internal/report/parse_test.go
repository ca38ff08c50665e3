package report

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Reference: issue 11, run files: the fast trace reader reads what
// encoding/json reads, or leaves the line to it.
func TestParseEventReadsWhatEncodingJSONReads(t *testing.T) {
	lines := []string{
		`{"seq":1,"t":0,"kind":"boot","node":0,"peer":-1,"label":"server"}`,
		`{"seq":6,"t":0,"kind":"send","node":4,"peer":1,"msg":1,"label":"ping","data":{"src":"c0","body":{"k":[1,2]}}}` + "\n",
		`{"seq":7,"t":-5,"kind":"log","node":2,"peer":-1,"label":"stderr","text":"a \"quoted\" line\n"}`,
		`{"seq":8,"t":9,"kind":"crash","node":2,"peer":-1,"b64":"AAEC"}`,
		`{"seq":9,"t":9,"kind":"emit","node":2,"peer":-1,"label":"v","data":null}`,
		// Lines it must leave to encoding/json:
		`{"seq":10,"t":9,"kind":"emit","node":2,"peer":-1,"label":"caf\u00e9"}`,
		`{"t":9,"seq":11,"kind":"emit","node":2,"peer":-1}`,
		`{"seq":12,"t":9,"kind":"emit","node":2,"peer":-1,"data":{"a":1},"extra":2}`,
		`{"seq":13,"t":9,"kind":"emit","node":99999999999,"peer":-1}`,
		`{"seq":14,"t":09,"kind":"emit","node":1,"peer":-1}`,
		`{"seq":15, "t":9,"kind":"emit","node":1,"peer":-1}`,
		`{"seq":16,"t":9,"kind":"emit","node":1,"peer":-1,"label":"x"} trailing`,
	}
	for i, l := range lines {
		var fast, slow event
		ok := parseEvent([]byte(l), &fast)
		err := json.Unmarshal([]byte(l), &slow)
		if i < 5 {
			require.True(t, ok, l)
		}
		if ok {
			require.NoError(t, err, l)
			assert.Equal(t, slow, fast, l)
		}
	}
}

func FuzzParseEvent(f *testing.F) {
	f.Add(uint64(1), int64(5), "send", int32(3), "ping", []byte(`{"type":"ping"}`))
	f.Add(uint64(2), int64(-1), "log", int32(-1), "", []byte("text\t\"q\""))
	f.Fuzz(func(t *testing.T, seq uint64, at int64, kind string, node int32, label string, data []byte) {
		var k trace.Kind
		_ = k.UnmarshalText([]byte(kind))
		line := trace.Event{Seq: seq, Time: at, Kind: k, Node: node, Peer: -1, Label: label, Data: data}.AppendJSON(nil)
		var fast, slow event
		if !parseEvent(line, &fast) {
			return
		}
		require.NoError(t, json.Unmarshal(line, &slow), "%s", line)
		assert.Equal(t, slow, fast, "%s", line)
	})
}
