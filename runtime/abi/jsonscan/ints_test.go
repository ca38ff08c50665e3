package jsonscan_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/abi/jsonscan"
)

// Ints reads what encoding/json reads into []int, or declines: it never
// gives an answer encoding/json would not.
func TestIntsAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`[1,2,3]`, ` [ -4 , 0 ,17 ] `, `[]`, `[ ]`, `[0]`, `[123456789012345678]`,
		`[1234567890123456789]`, `[1.5]`, `[1e3]`, `[01]`, `[-]`, `[1,]`, `[,1]`, `[1 2]`,
		`[1,"2"]`, `null`, `{}`, `[1]x`, `[1`, `[`, ``, `[[1]]`, `[true]`, `[-0]`,
	} {
		got, ok := jsonscan.Ints([]byte(in))
		var want []int
		err := json.Unmarshal([]byte(in), &want)
		if ok {
			assert.NoError(t, err, "%q: Ints read what encoding/json refuses", in)
			assert.Equal(t, want, got, "%q", in)
		}
	}
	for _, in := range []string{`[1,2,3]`, ` [ -4 , 0 ,17 ] `, `[]`} {
		_, ok := jsonscan.Ints([]byte(in))
		assert.True(t, ok, "%q is a plain int array", in)
	}
	for _, in := range []string{`[1.5]`, `null`, `[1,]`, `[1]x`, `[01]`} {
		_, ok := jsonscan.Ints([]byte(in))
		assert.False(t, ok, "%q is not", in)
	}
}
