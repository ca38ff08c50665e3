package maelstrom

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Reference: issue 11, "a reflection-free body codec": whatever the fast
// encoder takes, it writes exactly what encoding/json writes.
func TestAppendValueWritesWhatEncodingJSONWrites(t *testing.T) {
	values := []any{
		nil, true, false, 0, -1, 42, int64(math.MaxInt64), int64(math.MinInt64), int32(-7), uint64(math.MaxUint64),
		0.0, math.Copysign(0, -1), 1.5, 1e20, 1e21, 123456789e13, 1e-6, 1e-7, 5e-324, math.MaxFloat64, -2.5e-9, 0.1, 100.0,
		"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r", "\b\f\x00\x1f\x7f", "<b>&amp;</b>",
		"héllo wörld", "\u2028\u2029", "bad \xff utf-8", "emoji 🙂",
		[]int{}, []int(nil), []int{1, -2, 3}, []string{"a", "<"}, []string(nil), []any{}, []any(nil),
		[]any{1, "two", 3.5, nil, []int{4}, map[string]any{"k": "v"}},
		map[string]any{}, map[string]any(nil),
		map[string]any{"type": "read_ok", "messages": []int{3, 1, 2}, "msg_id": 9, "in_reply_to": 8},
		map[string]any{"z": 1, "a": 2, "M": 3, "é": 4, "<": 5, "": 6, "a\"b": 7, "nested": map[string]any{"y": []any{true}}},
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		got, ok := appendValue(nil, v)
		require.True(t, ok, "%#v", v)
		assert.Equal(t, string(want), string(got), "%#v", v)
	}
}

// Values the fast encoder does not know are left to encoding/json, whole.
func TestAppendValueDeclinesWhatItDoesNotKnow(t *testing.T) {
	type body struct{ A int }
	for _, v := range []any{
		body{1}, &body{2}, math.NaN(), math.Inf(1), uint(3), float32(1.5),
		json.RawMessage(`{"a":1}`), map[string]int{"a": 1},
		map[string]any{"ok": 1, "struct": body{3}}, []any{1, math.Inf(-1)},
	} {
		_, ok := appendValue(nil, v)
		assert.False(t, ok, "%#v", v)
	}
	// marshalBody still encodes them through encoding/json.
	b, err := marshalBody(map[string]any{"type": "x", "s": body{3}})
	require.NoError(t, err)
	assert.Equal(t, `{"s":{"A":3},"type":"x"}`, string(b))
	_, err = marshalBody(map[string]any{"bad": math.NaN()})
	assert.Error(t, err, "NaN is encoding/json's error")
}

func FuzzAppendValue(f *testing.F) {
	f.Add("type", "read_ok", 1.5, int64(7))
	f.Add("<&>", "\u2028\xff", 1e-7, int64(-1))
	f.Fuzz(func(t *testing.T, k, s string, x float64, n int64) {
		v := map[string]any{k: s, "f": x, "n": n, "l": []any{s, x, n, []string{k, s}}}
		want, err := json.Marshal(v)
		got, ok := appendValue(nil, v)
		if err != nil {
			assert.False(t, ok, "encoding/json fails on %#v", v)
			return
		}
		require.True(t, ok)
		assert.Equal(t, string(want), string(got))
	})
}

// Reference: issue 11, "a fast way to write simple fields": a Body reads
// back as the fields it was given.
func TestBodyBuildsTheObjectItWasGiven(t *testing.T) {
	b := NewBody("read_ok").Int("n", -3).String("s", `a"<b`).Bool("ok", true).Ints("vs", []int{1, 2}).Ints("none", nil).Raw("r", json.RawMessage(`{"x":[1]}`)).Raw("empty", nil)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b.JSON(), &got))
	assert.Equal(t, map[string]any{"type": "read_ok", "n": -3.0, "s": `a"<b`, "ok": true, "vs": []any{1.0, 2.0}, "none": nil, "r": map[string]any{"x": []any{1.0}}, "empty": nil}, got)
	assert.Equal(t, string(b.JSON()), string(b.JSON()), "JSON can be called again")
	body, err := marshalBody(NewBody("ping").Int("seq", 4))
	require.NoError(t, err)
	assert.Equal(t, `{"type":"ping","seq":4}`, string(body))
}

func TestParamsIntoDecodesOrNamesTheProblem(t *testing.T) {
	n := newNode(nil)
	p := struct {
		GossipMS int `json:"gossip_ms"`
	}{GossipMS: 100}
	require.NoError(t, n.ParamsInto(&p), "no params: nothing to decode")
	assert.Equal(t, 100, p.GossipMS, "defaults stay")
	n.params = json.RawMessage(`{"gossip_ms":7}`)
	require.NoError(t, n.ParamsInto(&p))
	assert.Equal(t, 7, p.GossipMS)
	n.params = json.RawMessage(`{"gossip_ms":"fast"}`)
	assert.ErrorContains(t, n.ParamsInto(&p), "maelstrom: params:")
}
