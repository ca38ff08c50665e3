package guard_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/plugins/sdk/guard"
)

// A MAC depends on the key, on every field and on where the fields split,
// and ValidMAC accepts only the same MAC.
func TestMACCoversKeyAndFields(t *testing.T) {
	k := []byte("k1")
	m := guard.MAC(k, "transfer", "alice", 10)
	assert.Len(t, m, 64, "hex of SHA-256")
	assert.True(t, guard.ValidMAC(m, guard.MAC(k, "transfer", "alice", 10)))
	for name, other := range map[string]string{
		"another key":    guard.MAC([]byte("k2"), "transfer", "alice", 10),
		"another amount": guard.MAC(k, "transfer", "alice", 11),
		"another split":  guard.MAC(k, "transfer", "alice1", 0),
		"a field less":   guard.MAC(k, "transfer", "alice"),
	} {
		assert.False(t, guard.ValidMAC(m, other), name)
	}
	assert.False(t, guard.ValidMAC(m, ""), "empty")
}

// A window takes an id once, refuses timestamps outside its span either
// way, and forgets ids older than twice its span.
func TestWindowRefusesReplaysAndStaleMessages(t *testing.T) {
	w := guard.NewWindow(100 * time.Millisecond)
	now := time.Unix(10, 0)
	assert.True(t, w.Fresh("a", now, now))
	assert.False(t, w.Fresh("a", now, now), "a replay")
	assert.False(t, w.Fresh("b", now.Add(-101*time.Millisecond), now), "too old")
	assert.False(t, w.Fresh("c", now.Add(101*time.Millisecond), now), "from the future")
	assert.True(t, w.Fresh("d", now.Add(-100*time.Millisecond), now), "at the edge of the span")
	later := now.Add(300 * time.Millisecond)
	assert.True(t, w.Fresh("e", later, later), "sweeps the old ids")
	assert.True(t, w.Fresh("a", later, later), "an id older than twice the span is forgotten")
	assert.False(t, w.Fresh("e", later, later), "a recent id is not")
}
