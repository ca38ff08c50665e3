package report

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ShiVizRegex is the parser regular expression to give ShiViz for
// shiviz.log.
const ShiVizRegex = `(?<host>\S*) (?<clock>{.*})\n(?<event>.*)`

// shivizPayload bounds the payload text in a description line.
const shivizPayload = 300

type shivizWriter struct {
	w   *bufio.Writer
	vc  [][]uint32
	buf []byte

	limit   int64 // the file's bound (0: none)
	written int64
	noteAt  int64 // the offset of the header's note line
	kept    int   // host events written
	total   int   // host events seen
	cut     bool
}

// shivizNoteWidth is the width of the header's note line, which says
// whether the log is whole; Write rewrites it in place if the log was cut.
const shivizNoteWidth = 200

func newShiVizWriter(w *bufio.Writer, res *results, limit int64) (*shivizWriter, error) {
	name := res.Name
	if name == "" {
		name = "(unnamed)"
	}
	head := fmt.Sprintf("# ShiViz log of terrarium run %s (scenario %s, seed %d).\n"+
		"# Paste it into ShiViz (https://bestchai.bitbucket.io/shiviz/) with the parser RegExp below.\n"+
		"# Drops, duplicates, wake-ups and faults are not host events and are left out.\n", clip(oneLine(name), 200), clip(oneLine(res.Scenario), 200), res.Seed)
	note := noteLine("# Every host event of the trace is here.")
	tail := fmt.Sprintf("# %s\n\n", ShiVizRegex)
	_, err := w.WriteString(head + note + tail)
	return &shivizWriter{w: w, limit: limit, noteAt: int64(len(head)), written: int64(len(head) + len(note) + len(tail))}, err
}

// noteLine pads s (cut to fit) to the note line's width, newline included.
func noteLine(s string) string {
	s = clip(s, shivizNoteWidth-4)
	return s + strings.Repeat(" ", max(shivizNoteWidth-1-len(s), 0)) + "\n"
}

// cutNote returns the header's note line for a log that was cut.
func (s *shivizWriter) cutNote() string {
	return noteLine(fmt.Sprintf("# CUT: the first %d of %d host events only (shiviz.log's bound is %d bytes).", s.kept, s.total, s.limit))
}

func (s *shivizWriter) clock(lanes int, l int32) []uint32 {
	for len(s.vc) < lanes {
		s.vc = append(s.vc, nil)
	}
	if len(s.vc[l]) < lanes {
		s.vc[l] = append(s.vc[l], make([]uint32, lanes-len(s.vc[l]))...)
	}
	return s.vc[l]
}

// event ticks the host's clock (merging a delivered message's clock first),
// stamps a sent message with it and writes the two lines.
func (s *shivizWriter) event(p *pass, e *event, fl *flight) error {
	switch e.kind {
	case kDrop, kDuplicate, kWake, kFault:
		return nil
	}
	if e.Node < 0 {
		return nil
	}
	if s.cut {
		s.total++
		return nil
	}
	vc := s.clock(len(p.lanes), e.Node)
	if e.kind == kDeliver && fl != nil {
		for i, v := range fl.vc {
			vc[i] = max(vc[i], v)
		}
	}
	vc[e.Node]++
	if e.kind == kSend && fl != nil {
		fl.vc = append([]uint32(nil), vc...)
	}

	b := append(s.buf[:0], p.lanes[e.Node]...)
	b = append(b, " {"...)
	b = appendJSONString(b, p.lanes[e.Node])
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(vc[e.Node]), 10)
	for i, v := range vc {
		if v == 0 || i == int(e.Node) {
			continue
		}
		b = append(b, ',')
		b = appendJSONString(b, p.lanes[i])
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	b = append(b, "}\n"...)
	b = append(b, time.Duration(e.T).String()...)
	b = append(b, ' ')
	b = append(b, oneLine(s.describe(p, e, fl))...)
	b = append(b, '\n')
	s.buf = b
	s.total++
	if s.cut || s.limit > 0 && s.written+int64(len(b)) > s.limit {
		s.cut = true
		return nil
	}
	s.kept++
	s.written += int64(len(b))
	_, err := s.w.Write(b)
	return err
}

func (s *shivizWriter) describe(p *pass, e *event, fl *flight) string {
	peer := func() string {
		if e.Peer >= 0 && int(e.Peer) < len(p.lanes) {
			return p.lanes[e.Peer]
		}
		return "?"
	}
	typ := "(unknown)"
	if fl != nil {
		typ = fl.typ.name
	}
	data := clip(e.text(), shivizPayload)
	switch e.kind {
	case kSend:
		return fmt.Sprintf("send %s to %s (msg %d) %s", typ, peer(), e.Msg, data)
	case kDeliver:
		return fmt.Sprintf("deliver %s from %s (msg %d)", typ, peer(), e.Msg)
	case kCrash:
		return "crash: " + data
	case kLog:
		return "log " + e.Label + ": " + data
	}
	out := p.kinds.names[e.kind]
	if e.Label != "" {
		out += " " + e.Label
	}
	if data != "" {
		out += " " + data
	}
	return out
}

var lineBreaks = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`)

func oneLine(s string) string { return lineBreaks.Replace(s) }

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
