// Package trace records what happens in a simulation run and digests it.
//
// Every event the kernel produces goes through a Recorder, which folds a
// canonical binary encoding of it into a SHA-256 digest (the run's
// fingerprint: two runs with the same modules, scenario and seed must give the
// same digest) and, optionally, keeps the event or writes it as a JSON line.
package trace

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"strconv"

	"github.com/terrarium-sim/terrarium/internal/jsonstr"
)

// Kind names what an event records.
type Kind uint8

// Event kinds. Their numeric values are part of the digest: append new kinds
// at the end, never reorder.
const (
	KindSend Kind = iota + 1
	KindDeliver
	KindDrop
	KindTimerFire
	KindWake
	KindBoot
	KindCrash
	KindRestart
	KindLog
	KindEmit
	KindInvoke
	KindOK
	KindFail
	KindInfo
	KindDuplicate
	KindFault
	KindStop
	// KindAttack is one action of the adversary (fault.AdversaryKinds, an
	// attacker node's host calls): Label names it (eavesdrop, tamper,
	// replay, forge, impersonate, budget), Node is the attacker node (-1:
	// the network's adversary), Peer the message's receiver, Msg the
	// message and Data the bytes the adversary recorded, wrote or sent.
	KindAttack
)

var kindNames = [...]string{
	KindSend:      "send",
	KindDeliver:   "deliver",
	KindDrop:      "drop",
	KindTimerFire: "timer",
	KindWake:      "wake",
	KindBoot:      "boot",
	KindCrash:     "crash",
	KindRestart:   "restart",
	KindLog:       "log",
	KindEmit:      "emit",
	KindInvoke:    "invoke",
	KindOK:        "ok",
	KindFail:      "fail",
	KindInfo:      "info",
	KindDuplicate: "duplicate",
	KindFault:     "fault",
	KindStop:      "stop",
	KindAttack:    "attack",
}

// String returns the kind's name as it appears in trace files.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n != "" && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("trace: unknown event kind %q", b)
}

// Event is one entry of the trace.
//
// Node is the index of the node (or client) the event happened at; Peer is
// the other end for message events (the sender of a delivery, the receiver of
// a send), -1 otherwise. Msg identifies a network message across its send,
// deliver, drop and duplicate events. Label is a short name: a message's
// JSON "type", a timer id, a log level, an emit key. Data is the payload
// (message bytes, log line, emitted value).
type Event struct {
	Seq   uint64 `json:"seq"`
	Time  int64  `json:"t"`
	Kind  Kind   `json:"kind"`
	Node  int32  `json:"node"`
	Peer  int32  `json:"peer"`
	Msg   uint64 `json:"msg,omitempty"`
	Label string `json:"label,omitempty"`
	Data  []byte `json:"-"`
}

// jsonEvent is the on-disk shape of an event: Data is inlined as JSON when it
// is valid JSON, else as a string when it is valid UTF-8, else base64.
type jsonEvent struct {
	Seq   uint64          `json:"seq"`
	Time  int64           `json:"t"`
	Kind  Kind            `json:"kind"`
	Node  int32           `json:"node"`
	Peer  int32           `json:"peer"`
	Msg   uint64          `json:"msg,omitempty"`
	Label string          `json:"label,omitempty"`
	JSON  json.RawMessage `json:"data,omitempty"`
	Text  *string         `json:"text,omitempty"`
	B64   string          `json:"b64,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (e Event) MarshalJSON() ([]byte, error) { return e.AppendJSON(nil), nil }

// AppendJSON appends the event's trace line (without the newline) to dst:
// the bytes json.Marshal writes for its jsonEvent, without reflection,
// which made most of the cost of writing a trace.
func (e Event) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = append(dst, `,"t":`...)
	dst = strconv.AppendInt(dst, e.Time, 10)
	dst = append(dst, `,"kind":`...)
	dst = jsonstr.Append(dst, e.Kind.String())
	dst = append(dst, `,"node":`...)
	dst = strconv.AppendInt(dst, int64(e.Node), 10)
	dst = append(dst, `,"peer":`...)
	dst = strconv.AppendInt(dst, int64(e.Peer), 10)
	if e.Msg != 0 {
		dst = append(dst, `,"msg":`...)
		dst = strconv.AppendUint(dst, e.Msg, 10)
	}
	if e.Label != "" {
		dst = append(dst, `,"label":`...)
		dst = jsonstr.Append(dst, e.Label)
	}
	switch {
	case len(e.Data) == 0:
	case (e.Data[0] == '{' || e.Data[0] == '[') && inlineJSON(e.Data):
		dst = append(dst, `,"data":`...)
		dst = append(dst, e.Data...)
	case isText(e.Data):
		dst = append(dst, `,"text":`...)
		dst = jsonstr.Append(dst, string(e.Data))
	default:
		dst = append(dst, `,"b64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, e.Data)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *Event) UnmarshalJSON(b []byte) error {
	var j jsonEvent
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Event{Seq: j.Seq, Time: j.Time, Kind: j.Kind, Node: j.Node, Peer: j.Peer, Msg: j.Msg, Label: j.Label}
	switch {
	case len(j.JSON) > 0:
		e.Data = append([]byte(nil), j.JSON...)
	case j.Text != nil:
		e.Data = []byte(*j.Text)
	case j.B64 != "":
		d, err := base64.StdEncoding.DecodeString(j.B64)
		if err != nil {
			return fmt.Errorf("trace: event %d: bad b64 data: %w", j.Seq, err)
		}
		e.Data = d
	}
	return nil
}

// inlineJSON reports whether b can be written as JSON in a trace line and
// read back byte for byte: valid, already compact, and free of what
// encoding/json would escape (<, >, &, U+2028, U+2029). Other payloads are
// written as strings, which round-trip exactly, so the file can be checked
// against the digest.
func inlineJSON(b []byte) bool {
	return !bytes.ContainsAny(b, "<>&\u2028\u2029") && json.Valid(b) && compact(b)
}

// compact reports whether valid JSON b has no white space outside its
// strings, i.e. whether json.Compact would leave it as it is.
func compact(b []byte) bool {
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return true
}

// Verify reads a trace file (JSON lines, as a Recorder's sink writes them)
// and returns the digest of its events and their number. It fails naming
// the line of the first event that is malformed or out of sequence, so a
// file that lost or gained a line is caught even before the digest is
// compared.
func Verify(r io.Reader) (digest string, n uint64, err error) {
	rec := NewRecorder(false, nil)
	rd := NewReader(r)
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return rec.Digest(), rec.Count(), nil
		}
		if err != nil {
			return "", 0, err
		}
		rec.Record(e)
	}
}

func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\t' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return json.Valid([]byte(strconv.Quote(string(b))))
}

// Recorder digests events and hands them to an optional sink.
// It is not safe for concurrent use: the event loop owns it.
type Recorder struct {
	h     hash.Hash
	buf   []byte
	seq   uint64
	keep  bool
	which func(Kind) bool // kept kinds (nil: all)
	evs   []Event
	sink  io.Writer
	line  []byte // the sink's last line, reused
	err   error
	count uint64
	bytes uint64
	obs   []func(Event)
	every uint64       // take a checkpoint after every this many events (0: none)
	cps   []Checkpoint // the checkpoints taken
}

// Checkpoint is the digest of a trace's first Events events: what Digest
// returned right after event number Events was recorded. Two runs whose
// checkpoints at event k agree recorded the same first k events, so the
// first checkpoint that differs bounds where two runs parted.
type Checkpoint struct {
	Events uint64
	Digest string
}

// NewRecorder returns a recorder. keep retains every event in memory (read
// them with Events); sink, if not nil, receives each event as a JSON line.
func NewRecorder(keep bool, sink io.Writer) *Recorder {
	return &Recorder{h: sha256.New(), keep: keep, sink: sink, buf: make([]byte, 0, 256)}
}

// Record assigns the next sequence number to e, folds it into the digest and
// passes it on. Data is copied if the event is kept.
func (r *Recorder) Record(e Event) { r.record(e, false) }

// RecordImmutable is Record for an event whose Data nobody will change, such
// as a message payload the kernel already owns: it is kept without a copy.
func (r *Recorder) RecordImmutable(e Event) { r.record(e, true) }

func (r *Recorder) record(e Event, immutable bool) {
	r.seq++
	e.Seq = r.seq
	r.count++
	b := r.buf[:0]
	b = binary.LittleEndian.AppendUint64(b, e.Seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Time))
	b = append(b, byte(e.Kind))
	b = binary.LittleEndian.AppendUint32(b, uint32(e.Node))
	b = binary.LittleEndian.AppendUint32(b, uint32(e.Peer))
	b = binary.LittleEndian.AppendUint64(b, e.Msg)
	b = binary.AppendUvarint(b, uint64(len(e.Label)))
	b = append(b, e.Label...)
	b = binary.AppendUvarint(b, uint64(len(e.Data)))
	r.buf = b
	r.h.Write(b)
	r.h.Write(e.Data)
	r.bytes += uint64(len(b) + len(e.Data))
	if r.every > 0 && r.count%r.every == 0 {
		r.cps = append(r.cps, Checkpoint{Events: r.count, Digest: r.Digest()})
	}
	if !immutable && (r.keep || r.sink != nil || len(r.obs) > 0) {
		e.Data = append([]byte(nil), e.Data...)
	}
	if r.keep && (r.which == nil || r.which(e.Kind)) {
		r.evs = append(r.evs, e)
	}
	for _, fn := range r.obs {
		fn(e)
	}
	if r.sink != nil && r.err == nil {
		r.line = append(e.AppendJSON(r.line[:0]), '\n')
		if _, err := r.sink.Write(r.line); err != nil {
			r.err = fmt.Errorf("trace: write event %d: %w", e.Seq, err)
		}
	}
}

// Digest returns the hex SHA-256 of the events recorded so far.
func (r *Recorder) Digest() string {
	return hex.EncodeToString(r.h.Sum(nil))
}

// KeepOnly keeps in memory only the events whose kind which accepts; the
// digest and the sink still see every event. It bounds what a long run
// holds when only some events are read back (checkers read emits and node
// lifecycle events, not every message).
func (r *Recorder) KeepOnly(which func(Kind) bool) { r.which = which }

// Events returns the kept events (nil unless the recorder keeps them).
func (r *Recorder) Events() []Event { return r.evs }

// Count returns how many events were recorded.
func (r *Recorder) Count() uint64 { return r.count }

// Bytes returns the size of the events recorded so far, in their canonical
// encoding.
func (r *Recorder) Bytes() uint64 { return r.bytes }

// Observe calls fn with every event recorded from now on, as it is
// recorded, on the recorder's goroutine. e.Data is the event's own copy.
func (r *Recorder) Observe(fn func(Event)) { r.obs = append(r.obs, fn) }

// CheckpointEvery makes the recorder take a Checkpoint after every n-th
// event from now on (0: none). Taking one reads the digest and leaves it
// as it is, so the final digest does not depend on n.
func (r *Recorder) CheckpointEvery(n uint64) { r.every = n }

// Checkpoints returns the checkpoints taken so far, oldest first.
func (r *Recorder) Checkpoints() []Checkpoint { return r.cps }

// Err returns the first error writing to the sink, if any.
func (r *Recorder) Err() error { return r.err }
