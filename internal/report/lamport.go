package report

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/terrarium-sim/terrarium/runtime/runfolder"
)

//go:embed lamport.html.tmpl
var lamportTemplate string

// The template's placeholders, in the order they appear.
const (
	phTitle  = "@@TITLE@@"
	phEvents = "@@EVENTS@@"
	phMeta   = "@@META@@"
)

// maxLabels bounds the interned label table; past it labels are inlined.
const maxLabels = 4096

type lamportWriter struct {
	w      *bufio.Writer
	tail   string
	buf    []byte
	labels map[string]int
	list   []string
	prevT  int64

	// The file's bound (0: none): rows stop where the rest of the page
	// (tail, metadata, the labels and lanes it lists) would no longer fit.
	limit      int64
	written    int64  // bytes of the page's head and rows
	labelBytes int64  // bytes the interned labels take in the metadata
	laneBytes  int64  // bytes the lanes take in the metadata
	lanes      int    // lanes counted in laneBytes
	kept       int    // rows written
	cut        bool   // a row did not fit: the rest are left out
	note       string // what was cut; after finish, the whole note
}

// metaSlack is what the page's metadata needs besides its lanes, labels and
// marks (names, digest, kinds, numbers).
const metaSlack = 16 << 10

type lamportMeta struct {
	Title         string   `json:"title"`
	Scenario      string   `json:"scenario"`
	Seed          uint64   `json:"seed"`
	Verdict       string   `json:"verdict"`
	Digest        string   `json:"digest"`
	Lanes         []string `json:"lanes"`
	Nodes         int      `json:"nodes"`
	Kinds         []string `json:"kinds"`
	Labels        []string `json:"labels"`
	Seq0          uint64   `json:"seq0"`
	SeqContiguous bool     `json:"seq_contiguous"`
	Count         int      `json:"count"`
	EndNS         int64    `json:"end_ns"`
	// Marks are lane state intervals: [lane, first row, last row, state].
	Marks   [][4]int `json:"marks"`
	States  []string `json:"states"`
	DataCap int      `json:"data_cap"`
	// Cut says what the page leaves out to stay within its bound.
	Cut string `json:"cut,omitempty"`
}

func newLamportWriter(w *bufio.Writer, title string, limit int64) (*lamportWriter, error) {
	head, rest, ok1 := strings.Cut(lamportTemplate, phEvents)
	if !ok1 || !strings.Contains(rest, phMeta) {
		return nil, fmt.Errorf("report: lamport template lacks its placeholders")
	}
	head = strings.Replace(head, phTitle, html.EscapeString(title), 1)
	if _, err := w.WriteString(head); err != nil {
		return nil, err
	}
	if _, err := w.WriteString("["); err != nil {
		return nil, err
	}
	return &lamportWriter{w: w, tail: rest, labels: map[string]int{"": 0}, list: []string{""}, limit: limit, written: int64(len(head) + 1)}, nil
}

func (l *lamportWriter) label(s string, inline bool) (int, bool) {
	if i, ok := l.labels[s]; ok {
		return i, true
	}
	if inline || len(l.list) >= maxLabels {
		return 0, false
	}
	l.list = append(l.list, s)
	l.labels[s] = len(l.list) - 1
	l.labelBytes += int64(len(appendJSONString(nil, s)) + 1)
	return len(l.list) - 1, true
}

// row writes one event as [kind, node, dt, peer, label, msg, link, data],
// leaving out trailing defaults.
func (l *lamportWriter) row(p *pass, e *event, row, link int) error {
	if l.cut {
		return nil // past the bound: no row, and no label it would intern
	}
	nLabels, nLabelBytes := len(l.list), l.labelBytes
	b := l.buf[:0]
	if row > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n["...)
	b = strconv.AppendInt(b, int64(e.kind), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(e.Node), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, e.T-l.prevT, 10)
	l.prevT = e.T

	li, interned := l.label(e.Label, e.kind == kTimer)
	data := e.Data
	if len(data) == 0 {
		data = e.Text
		// A JSON payload the trace had to write as a string (it was not
		// compact, or held characters JSON escapes) is embedded as JSON.
		if raw := e.raw(); len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') && json.Valid(raw) {
			data = raw
		}
	}
	n := 3 // fields after dt that must be written
	switch {
	case len(data) > 0 || e.B64 != "":
		n = 8
	case link >= 0:
		n = 7
	case e.Msg != 0:
		n = 6
	case !interned || li != 0:
		n = 5
	case e.Peer != -1:
		n = 4
	}
	if n > 3 {
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(e.Peer), 10)
	}
	if n > 4 {
		b = append(b, ',')
		if interned {
			b = strconv.AppendInt(b, int64(li), 10)
		} else {
			b = appendJSONString(b, e.Label)
		}
	}
	if n > 5 {
		b = append(b, ',')
		b = strconv.AppendUint(b, e.Msg, 10)
	}
	if n > 6 {
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(link), 10)
	}
	if n > 7 {
		b = append(b, ',')
		switch {
		case e.B64 != "":
			b = append(b, `{"b64":`...)
			b = appendJSONString(b, e.B64)
			b = append(b, '}')
		case len(data) > DataCap:
			b = append(b, `{"truncated":`...)
			b = strconv.AppendInt(b, int64(len(data)), 10)
			b = append(b, `,"head":`...)
			head := data[:DataCap]
			for len(head) > 0 && !utf8.Valid(head) {
				head = head[:len(head)-1]
			}
			b = appendJSONString(b, string(head))
			b = append(b, '}')
		default:
			b = appendRawJSON(b, data)
		}
	}
	b = append(b, ']')
	l.buf = b
	if !l.fits(p, len(b)) {
		for _, s := range l.list[nLabels:] { // the row's new label goes too
			delete(l.labels, s)
		}
		l.list, l.labelBytes = l.list[:nLabels], nLabelBytes
		l.cut = true
		return nil
	}
	l.kept++
	l.written += int64(len(b))
	_, err := l.w.Write(b)
	return err
}

// fits reports whether n more bytes of rows leave room for the rest of
// the page within the bound.
func (l *lamportWriter) fits(p *pass, n int) bool {
	if l.limit <= 0 {
		return true
	}
	for ; l.lanes < len(p.lanes); l.lanes++ {
		l.laneBytes += int64(len(appendJSONString(nil, p.lanes[l.lanes])) + 1)
	}
	return l.written+int64(n)+int64(len(l.tail))+metaSlack+l.labelBytes+l.laneBytes <= l.limit
}

// finish writes the metadata and the rest of the page.
func (l *lamportWriter) finish(p *pass) error {
	mid, tail, _ := strings.Cut(l.tail, phMeta)
	if _, err := l.w.WriteString("\n]" + mid); err != nil {
		return err
	}
	m := lamportMeta{Title: p.res.Name, Scenario: p.res.Scenario, Seed: p.res.Seed, Verdict: string(p.res.Verdict),
		Digest: p.res.TraceSHA256, Lanes: p.lanes, Nodes: p.nNodes, Kinds: p.kinds.names, Labels: l.list,
		Seq0: p.firstSeq, SeqContiguous: p.contiguousSeqs, Count: l.kept, EndNS: p.endTime(),
		Marks: [][4]int{}, States: stateNames, DataCap: DataCap}
	if m.Title == "" {
		m.Title = "terrarium run"
	}
	for i := range p.tl {
		for _, iv := range p.intervals(i) {
			if iv.state != stUp && (iv.endRow > iv.startRow || iv.end > iv.start) && iv.startRow < l.kept {
				m.Marks = append(m.Marks, [4]int{i, iv.startRow, min(iv.endRow, max(l.kept-1, 0)), iv.state})
			}
		}
	}
	if l.cut {
		l.note = fmt.Sprintf("the first %d of %d events", l.kept, p.rows)
	}
	var b []byte
	marksCut := false
	for {
		if note := l.note; note != "" || marksCut {
			if note == "" {
				note = fmt.Sprintf("all %d events", p.rows)
			}
			if marksCut {
				note += ", some lane states left out"
			}
			m.Cut = boundNote(runfolder.LamportFile, l.limit, note)
		}
		var err error
		if b, err = json.Marshal(m); err != nil { // escapes <, > and &: safe inside <script>
			return err
		}
		b = bytes.ReplaceAll(b, []byte("/"), []byte(`\/`)) // '/' only occurs in strings
		if l.limit <= 0 || l.written+int64(len(b)+len(l.tail)+3) <= l.limit || len(m.Marks) == 0 {
			break
		}
		// The state marks do not fit beside the rows: keep what does.
		m.Marks = m.Marks[:len(m.Marks)/2]
		marksCut = true
	}
	l.note = m.Cut
	if _, err := l.w.Write(b); err != nil {
		return err
	}
	_, err := l.w.WriteString(tail)
	return err
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string that is also safe inside an
// HTML <script> element (<, > and & are escaped, as are U+2028 and U+2029)
// and holds no "//" (so no URL a scanner could take for a reference).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '/':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// appendRawJSON appends valid JSON, escaping the bytes that could end a
// <script> element, and '/'. These only occur inside JSON strings, where
// their escapes mean the same.
func appendRawJSON(b []byte, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw): // an escape: keep it whole
			b = append(b, c, raw[i+1])
			i++
		case c == '<' || c == '>' || c == '&':
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		case c == '/':
			b = append(b, '\\', '/')
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && (raw[i+2] == 0xA8 || raw[i+2] == 0xA9):
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[raw[i+2]&0xf])
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b
}
