package history_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/terrarium-sim/terrarium/runtime/history"
)

func TestPairs(t *testing.T) {
	h := []history.Op{
		{Index: 0, Process: 1, Type: history.OpInvoke, F: "write"},
		{Index: 1, Process: 2, Type: history.OpInvoke, F: "read"},
		{Index: 2, Process: 1, Type: history.OpOK, F: "write"},
		{Index: 3, Process: 3, Type: history.OpInvoke, F: "read"},
		{Index: 4, Process: 2, Type: history.OpOK, F: "write"}, // another f: no pair
	}
	done, open := history.Pairs(h)
	assert.Equal(t, [][2]history.Op{{h[0], h[2]}}, done)
	assert.Equal(t, []history.Op{h[1], h[3]}, open, "open invocations come back in history order")
}

func ExamplePairs() {
	h := []history.Op{
		{Index: 0, Process: 7, Type: history.OpInvoke, F: "echo"},
		{Index: 1, Process: 8, Type: history.OpInvoke, F: "echo"},
		{Index: 2, Process: 7, Type: history.OpInfo, F: "echo", Error: "timeout"},
	}
	done, open := history.Pairs(h)
	for _, p := range done {
		fmt.Printf("op %d ended %s (%s)\n", p[0].Index, p[1].Type, p[1].Error)
	}
	fmt.Println("still open:", len(open))
	// Output:
	// op 0 ended info (timeout)
	// still open: 1
}
