package service_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/internal/service"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// A scenario accepts exactly the services this package runs: the
// scenario package keeps its own list (scenario.ServiceNames) so as not
// to depend on the services' implementations.
func TestScenarioNamesTheServices(t *testing.T) {
	assert.Equal(t, service.Names(), scenario.ServiceNames)
}
