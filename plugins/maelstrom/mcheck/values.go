package mcheck

import (
	"encoding/json"

	"github.com/terrarium-sim/terrarium/runtime/check"
)

// canonical re-encodes a JSON value so that equal values have equal bytes
// (object keys sorted, no spaces, numbers as written).
func canonical(raw json.RawMessage) string { return check.CanonicalJSON(raw) }
