package sim

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLabelsAreTheMessageTypeInterned(t *testing.T) {
	l := labels{}
	for _, msg := range []string{
		`{"body":{"type":"ping"}}`, `{"body":{"type" : "ping"}}`, `{"type":""}`, `{"type":5}`,
		`{"type":"` + string(make([]byte, 65)) + `"}`, `no type here`, `{"type":"unterminated`,
	} {
		assert.Equal(t, msgType([]byte(msg)), l.of([]byte(msg)), msg)
	}
	assert.Equal(t, "ping", l.of([]byte(`{"type":"ping"}`)))
	assert.Len(t, l, 1, "one type, interned once")
	allocs := testing.AllocsPerRun(100, func() { _ = l.of([]byte(`{"type":"ping"}`)) })
	assert.Zero(t, allocs, "an interned type costs no allocation")

	for i := range maxLabels + 10 {
		assert.Equal(t, fmt.Sprint("t", i), l.of(fmt.Appendf(nil, `{"type":"t%d"}`, i)))
	}
	assert.Len(t, l, maxLabels, "a guest inventing types stops being interned")
}
