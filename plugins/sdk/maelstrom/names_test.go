package maelstrom

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// byHostNode is node n1 of a run whose init document leaves the names out:
// nodes n0..n2, service lin-kv, a client whose name is longer than the
// SDK's first buffer; the fake host answers the lookups.
func byHostNode(t *testing.T, h *fakeHost) *Node {
	t.Helper()
	long := "client-with-a-name-longer-than-sixty-four-bytes-so-the-sdk-asks-twice"
	h.names = []string{"n0", "n1", "n2", "lin-kv", long}
	n := newNode(h)
	require.NoError(t, n.setup([]byte(`{"node":"n1","index":1,"role":"server","node_count":3,"service_count":1,"client_count":1,"params":{},"restart":false,"seed":3}`)))
	return n
}

func TestNamesFromTheHost(t *testing.T) {
	h := newFakeHost()
	n := byHostNode(t, h)
	assert.Equal(t, 0, h.lookups, "nothing is looked up before it is needed")
	assert.Equal(t, []string{"n0", "n1", "n2"}, n.NodeIDs())
	assert.Equal(t, 3, h.lookups)
	assert.Equal(t, []string{"n0", "n1", "n2"}, n.NodeIDs())
	assert.Equal(t, 3, h.lookups, "the list is built once")

	// Send resolves a name the host knows, and refuses one it does not.
	require.NoError(t, n.Send("lin-kv", map[string]any{"type": "read"}))
	assert.Equal(t, int32(3), waitSent(t, h).to)
	assert.ErrorIs(t, n.Send("n9", map[string]any{"type": "read"}), ErrUnknownDestination)

	// A delivered message's Src is the host's name for the index, even a
	// long one and whatever the envelope claims.
	srcs := make(chan string, 1)
	n.HandleInline("echo", func(m Message) error { srcs <- m.Src; return nil })
	n.deliver(4, []byte(`{"src":"n0","dest":"n1","body":{"type":"echo"}}`))
	assert.Equal(t, h.names[4], <-srcs)
	// An index the host does not know keeps the envelope's src.
	n.deliver(99, []byte(`{"src":"n0","dest":"n1","body":{"type":"echo"}}`))
	assert.Equal(t, "n0", <-srcs)
}

func TestInitHandlerByHost(t *testing.T) {
	h := newFakeHost()
	n := byHostNode(t, h)
	var got map[string]any
	n.Handle("init", func(m Message) error { return json.Unmarshal(m.Body, &got) })
	n.runInitHandler()
	assert.Equal(t, []any{"n0", "n1", "n2"}, got["node_ids"], "Maelstrom's init message lists the nodes either way")
}

// Without an init handler nobody reads Maelstrom's node list, so a node
// whose names come from the host does not build it (N lookups on every
// node, N² in a run: what made large Go runs boot ever slower).
func TestNoInitHandlerNoLookups(t *testing.T) {
	h := newFakeHost()
	n := byHostNode(t, h)
	n.runInitHandler()
	assert.Equal(t, 0, h.lookups)
}
