package trace_test

import (
	"bytes"
	"fmt"

	"github.com/terrarium-sim/terrarium/runtime/trace"
)

// Example records two events as JSON lines and verifies the written trace
// against the recorder's digest.
func Example() {
	var buf bytes.Buffer
	rec := trace.NewRecorder(false, &buf)
	rec.Record(trace.Event{Time: 0, Kind: trace.KindBoot, Node: 0, Peer: -1})
	rec.Record(trace.Event{Time: 1000, Kind: trace.KindEmit, Node: 0, Peer: -1, Label: "decide", Data: []byte(`{"txn":7}`)})
	digest, n, err := trace.Verify(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, "events, digest matches:", digest == rec.Digest())
	// Output: 2 events, digest matches: true
}
