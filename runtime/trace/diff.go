package trace

import (
	"bytes"
	"fmt"
	"io"
)

// Divergence is what Diff found: where two traces part, if they do.
type Divergence struct {
	// Index is the number (Seq) of the first event that differs, 0 when the
	// traces are event for event the same.
	Index uint64
	// A and B are the two versions of event Index: nil for a trace that
	// ended before it.
	A, B *Event
	// Before holds the events just before Index, which both traces share,
	// oldest first.
	Before []Event
	// EventsA and EventsB count the events of each trace, and DigestA and
	// DigestB are their digests (what a Recorder of them would return).
	EventsA, EventsB uint64
	DigestA, DigestB string
}

// Same reports whether the two traces are the same.
func (d Divergence) Same() bool { return d.Index == 0 }

// Diff reads two traces (JSON lines, as a Recorder's sink writes them) side
// by side and returns the first event where they differ, with up to before
// events that come before it. It reads both to the end, so that it can
// count and digest them. An error names the trace ("first" for a, "second"
// for b) and the line that is malformed or out of sequence.
func Diff(a, b io.Reader, before int) (Divergence, error) {
	sides := [2]*diffSide{{name: "first", rd: NewReader(a), rec: NewRecorder(false, nil)}, {name: "second", rd: NewReader(b), rec: NewRecorder(false, nil)}}
	var d Divergence
	var ring []Event
	for !sides[0].done || !sides[1].done {
		ea, err := sides[0].next()
		if err != nil {
			return Divergence{}, err
		}
		eb, err := sides[1].next()
		if err != nil {
			return Divergence{}, err
		}
		if d.Index != 0 || (ea == nil && eb == nil) {
			continue
		}
		if ea != nil && eb != nil && sameEvent(*ea, *eb) {
			if before > 0 {
				if len(ring) == before {
					ring = append(ring[:0], ring[1:]...)
				}
				ring = append(ring, *ea)
			}
			continue
		}
		d.Index, d.A, d.B, d.Before = sides[0].rec.Count(), ea, eb, ring
		if ea == nil {
			d.Index = sides[1].rec.Count()
		}
	}
	d.EventsA, d.DigestA = sides[0].rec.Count(), sides[0].rec.Digest()
	d.EventsB, d.DigestB = sides[1].rec.Count(), sides[1].rec.Digest()
	return d, nil
}

// diffSide is one of Diff's two traces.
type diffSide struct {
	name string
	rd   *Reader
	rec  *Recorder
	done bool
}

// next returns the side's next event, nil at its end.
func (s *diffSide) next() (*Event, error) {
	if s.done {
		return nil, nil
	}
	e, err := s.rd.Next()
	if err == io.EOF {
		s.done = true
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trace: diff: %s trace: %w", s.name, err)
	}
	s.rec.Record(e)
	return &e, nil
}

// sameEvent reports whether two events are the same in every field the digest
// covers.
func sameEvent(a, b Event) bool {
	return a.Seq == b.Seq && a.Time == b.Time && a.Kind == b.Kind && a.Node == b.Node && a.Peer == b.Peer &&
		a.Msg == b.Msg && a.Label == b.Label && bytes.Equal(a.Data, b.Data)
}
