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
