package maelstrom

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Elements gives the elements encoding/json gives for an array, and
// refuses what is not one.
func TestElements(t *testing.T) {
	for _, good := range []string{
		`[]`, ` [ ] `, `[1]`, `[["r",1,null],["w",2,3]]`, ` [ "a,]" , {"b":[1,2]} , null , -1.5e3 ] `, `[[],{}]`,
	} {
		got, ok := Elements(json.RawMessage(good))
		assert.True(t, ok, good)
		var want []json.RawMessage
		assert.NoError(t, json.Unmarshal([]byte(good), &want), good)
		assert.Len(t, got, len(want), good)
		for i := range want {
			assert.JSONEq(t, string(want[i]), string(got[i]), good)
		}
	}
	for _, bad := range []string{``, `{}`, `1`, `[`, `[1`, `[1,`, `[1 2]`, `[1]x`, `["open]`, `[[1]`, `[1,]x`} {
		_, ok := Elements(json.RawMessage(bad))
		assert.False(t, ok, bad)
	}
}

// Members gives the members encoding/json gives for an object, in order,
// and refuses what is not one (or has a key with escapes).
func TestMembers(t *testing.T) {
	for _, good := range []string{`{}`, ` { } `, `{"k1":3}`, ` {"a" : [1,{"x":"}"}] , "b":null,"c":-1.5e3} `} {
		keys, vals, ok := Members(json.RawMessage(good))
		assert.True(t, ok, good)
		var want map[string]json.RawMessage
		assert.NoError(t, json.Unmarshal([]byte(good), &want), good)
		assert.Len(t, keys, len(want), good)
		assert.Len(t, vals, len(want), good)
		for i, k := range keys {
			assert.JSONEq(t, string(want[k]), string(vals[i]), good)
		}
	}
	keys, _, _ := Members(json.RawMessage(`{"z":1,"a":2}`))
	assert.Equal(t, []string{"z", "a"}, keys)
	for _, bad := range []string{``, `[]`, `1`, `{`, `{"a"}`, `{"a":1`, `{"a":1,}`, `{"a":1}x`, `{"a\n":1}`, `{a:1}`, `{"a":[1}`} {
		_, _, ok := Members(json.RawMessage(bad))
		assert.False(t, ok, bad)
	}
}
