package jsonstr

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func FuzzAppendWritesWhatEncodingJSONWrites(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\`, "<&>", "tab\t\x00\x7f", "é\u2028", "bad \xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		assert.Equal(t, string(want), string(Append([]byte("x"), s))[1:])
	})
}
