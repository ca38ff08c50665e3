package trace

import (
	"crypto/sha256"
	"encoding"
	"fmt"
	"slices"
)

// RecorderImage is a recorder's position at a snapshot: the digest's
// running state, the count of events and bytes, the checkpoints and the
// events kept. Observers and the sink are not in it: they stay the
// restoring recorder's own.
type RecorderImage struct {
	hash              []byte
	seq, count, bytes uint64
	evs               []Event
	cps               []Checkpoint
}

// Snapshot copies the recorder's position. A recorder writing to a sink
// is refused: the lines already written cannot be taken back.
func (r *Recorder) Snapshot() (*RecorderImage, error) {
	if r.sink != nil {
		return nil, fmt.Errorf("trace: snapshot: the recorder writes its events to a sink")
	}
	h, err := r.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("trace: snapshot: %w", err)
	}
	return &RecorderImage{hash: h, seq: r.seq, count: r.count, bytes: r.bytes, evs: slices.Clone(r.evs), cps: slices.Clone(r.cps)}, nil
}

// Restore puts the recorder at img's position: its digest and
// checkpoints continue from there.
func (r *Recorder) Restore(img *RecorderImage) error {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(img.hash); err != nil {
		return fmt.Errorf("trace: restore: %w", err)
	}
	r.h, r.seq, r.count, r.bytes = h, img.seq, img.count, img.bytes
	r.evs, r.cps = slices.Clone(img.evs), slices.Clone(img.cps)
	return nil
}
