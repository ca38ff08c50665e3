package check_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/check"
)

// Int and Ints answer as encoding/json does, errors included.
func TestIntAndIntsAgreeWithEncodingJSON(t *testing.T) {
	for _, in := range []string{`5`, `-12`, `0`, `01`, `1.5`, `1e2`, `"3"`, `null`, ` 7 `, `99999999999999999999`, ``} {
		got, err := check.Int(json.RawMessage(in))
		var want int
		wantErr := json.Unmarshal([]byte(in), &want)
		assert.Equal(t, wantErr == nil, err == nil, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, in := range []string{`[1,2]`, `[]`, `null`, `[1.5]`, `[1,"a"]`, `{}`, ` [3] `, ``} {
		got, err := check.Ints(json.RawMessage(in))
		var want []int
		wantErr := json.Unmarshal([]byte(in), &want)
		assert.Equal(t, wantErr == nil, err == nil, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
}
