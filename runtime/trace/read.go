package trace

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Reader reads a trace file (JSON lines, as a Recorder's sink writes them)
// one event at a time. It checks that the events are numbered 1, 2, 3, ...
// in order, so a file that lost or gained a line fails at that line.
type Reader struct {
	sc   *bufio.Scanner
	line int    // the last line read
	n    uint64 // the events read
}

// NewReader returns a Reader of the trace file r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<30)
	return &Reader{sc: sc}
}

// Next returns the next event, or io.EOF after the last one. Other errors
// name the line of the first event that is malformed or out of sequence.
func (r *Reader) Next() (Event, error) {
	for r.sc.Scan() {
		r.line++
		if len(bytes.TrimSpace(r.sc.Bytes())) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(r.sc.Bytes(), &e); err != nil {
			return Event{}, fmt.Errorf("trace: line %d: %w", r.line, err)
		}
		if e.Seq != r.n+1 {
			return Event{}, fmt.Errorf("trace: line %d: event seq %d where %d was due: the file lost or gained events", r.line, e.Seq, r.n+1)
		}
		r.n++
		return e, nil
	}
	if err := r.sc.Err(); err != nil {
		return Event{}, fmt.Errorf("trace: line %d: %w", r.line+1, err)
	}
	return Event{}, io.EOF
}
