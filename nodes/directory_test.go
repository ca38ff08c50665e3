package nodes_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
)

func TestDirectory(t *testing.T) {
	d := nodes.NewDirectory([]string{"n0", "n1"}, []string{"lin-kv"}, []string{"c0"}, 0)
	for i, want := range []string{"n0", "n1", "lin-kv", "c0"} {
		name, ok := d.Name(int32(i))
		assert.True(t, ok)
		assert.Equal(t, want, name)
		idx, ok := d.Index([]byte(want))
		assert.True(t, ok)
		assert.Equal(t, int32(i), idx)
	}
	for _, i := range []int32{-1, 4, 1 << 30} {
		_, ok := d.Name(i)
		assert.False(t, ok, i)
	}
	_, ok := d.Index([]byte("n"))
	assert.False(t, ok)
	assert.Equal(t, []string{"lin-kv"}, d.Services())
	assert.Nil(t, nodes.NewDirectory([]string{"n0"}, nil, nil, 0).Services())
}

// The init document lists the names up to the limit and carries only the
// counts past it; a negative limit never lists them.
func TestInitDocumentPastTheLimit(t *testing.T) {
	doc := func(limit int) abi.Init {
		dir := nodes.NewDirectory([]string{"n0", "n1", "n2"}, nil, []string{"c0", "c1"}, limit)
		n := nodes.New(nodes.Spec{Name: "n1", Index: 1, Dir: dir, Seed: 9}, &kernel{}, nil, nil, rand.New(rand.NewPCG(1, 1)))
		b, err := n.InitDocument(true)
		require.NoError(t, err)
		var d abi.Init
		require.NoError(t, json.Unmarshal(b, &d))
		return d
	}
	for _, limit := range []int{5, 0} {
		d := doc(limit)
		assert.True(t, d.Listed())
		assert.Equal(t, []string{"n0", "n1", "n2"}, d.Nodes)
		assert.Equal(t, []string{"c0", "c1"}, d.Clients)
		assert.Zero(t, d.NodeCount)
	}
	for _, limit := range []int{4, -1} {
		d := doc(limit)
		assert.False(t, d.Listed())
		assert.Equal(t, abi.Init{Node: "n1", Index: 1, NodeCount: 3, ClientCount: 2, Params: json.RawMessage("{}"), Restart: true, Seed: 9}, d)
		n, sv, c := d.Endpoints()
		assert.Equal(t, []int{3, 0, 2}, []int{n, sv, c})
	}
}

// The document's bytes below the limit are what they always were, so
// existing guests and digests see no change.
func TestInitDocumentBytesUnchanged(t *testing.T) {
	dir := nodes.NewDirectory([]string{"n0", "n1"}, []string{"lin-kv"}, []string{"c0"}, 0)
	n := nodes.New(nodes.Spec{Name: "n0", Role: "server", Dir: dir, Seed: 3, Params: json.RawMessage(`{"a":1}`)}, &kernel{}, nil, nil, rand.New(rand.NewPCG(1, 1)))
	b, err := n.InitDocument(false)
	require.NoError(t, err)
	assert.Equal(t, `{"node":"n0","index":0,"role":"server","nodes":["n0","n1"],"services":["lin-kv"],"clients":["c0"],"params":{"a":1},"restart":false,"seed":3}`, string(b))
}
