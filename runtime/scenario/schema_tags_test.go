package scenario_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// The bounds the schema's tags spell are the exported constants they name.
func TestBoundTagsAreTheConstants(t *testing.T) {
	for _, c := range []struct {
		typ       reflect.Type
		field     string
		tag, name string
		want      time.Duration
	}{
		{reflect.TypeFor[scenario.Scenario](), "Duration", "max", "scenario.MaxDuration", scenario.MaxDuration},
		{reflect.TypeFor[scenario.Nemesis](), "Every", "min", "scenario.MinNemesisEvery", scenario.MinNemesisEvery},
	} {
		f, _ := c.typ.FieldByName(c.field)
		text, name, _ := strings.Cut(f.Tag.Get(c.tag), ",")
		d, err := time.ParseDuration(text)
		assert.NoError(t, err, c.name)
		assert.Equal(t, c.want, d, c.name)
		assert.Equal(t, c.name, name)
	}
}
