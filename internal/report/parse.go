package report

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// parseEvent reads one trace line as trace.Event.AppendJSON writes it,
// without reflection: json.Unmarshal made most of the cost of writing a
// run's files. It reports false for any line it is not sure about (other
// key order, escapes in the kind or label, extra keys), which the caller
// then reads with encoding/json; what it accepts it reads exactly as
// encoding/json would. Data and Text are copies: b is the reader's buffer.
func parseEvent(b []byte, e *event) bool {
	b = bytes.TrimRight(b, " \t\r\n")
	p := lineParser{b: b}
	if !p.lit(`{"seq":`) {
		return false
	}
	seq, ok := p.uint()
	if !ok || !p.lit(`,"t":`) {
		return false
	}
	t, ok := p.int()
	if !ok || !p.lit(`,"kind":`) {
		return false
	}
	kind, ok := p.str()
	if !ok || !p.lit(`,"node":`) {
		return false
	}
	node, ok := p.int()
	if !ok || node != int64(int32(node)) || !p.lit(`,"peer":`) {
		return false
	}
	peer, ok := p.int()
	if !ok || peer != int64(int32(peer)) {
		return false
	}
	*e = event{Seq: seq, T: t, Kind: kind, Node: int32(node), Peer: int32(peer)}
	if p.lit(`,"msg":`) {
		if e.Msg, ok = p.uint(); !ok {
			return false
		}
	}
	if p.lit(`,"label":`) {
		if e.Label, ok = p.str(); !ok {
			return false
		}
	}
	switch {
	case p.lit(`,"data":`):
		// The rest but the closing brace, if that is one JSON value:
		// AppendJSON writes the payload last.
		if len(p.b)-p.i < 2 || p.b[len(p.b)-1] != '}' || !json.Valid(p.b[p.i:len(p.b)-1]) {
			return false
		}
		e.Data = append([]byte(nil), p.b[p.i:len(p.b)-1]...)
		return true
	case p.lit(`,"text":`):
		start := p.i
		if _, ok := p.rawStr(); !ok {
			return false
		}
		e.Text = append([]byte(nil), p.b[start:p.i]...)
	case p.lit(`,"b64":`):
		if e.B64, ok = p.str(); !ok {
			return false
		}
	}
	return p.lit(`}`) && p.i == len(p.b)
}

type lineParser struct {
	b []byte
	i int
}

func (p *lineParser) lit(s string) bool {
	if bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		p.i += len(s)
		return true
	}
	return false
}

func (p *lineParser) digits() []byte {
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.b[start:p.i]
}

func (p *lineParser) uint() (uint64, bool) {
	d := p.digits()
	if len(d) == 0 || d[0] == '-' || (d[0] == '0' && len(d) > 1) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(d), 10, 64)
	return v, err == nil
}

func (p *lineParser) int() (int64, bool) {
	d := p.digits()
	if len(d) == 0 || (d[0] == '0' && len(d) > 1) || (len(d) > 1 && d[0] == '-' && d[1] == '0') {
		return 0, false
	}
	v, err := strconv.ParseInt(string(d), 10, 64)
	return v, err == nil
}

// rawStr skips a JSON string at p.i and returns its content; escaped is
// reported by ok false only for str, which must decode it.
func (p *lineParser) rawStr() (content []byte, ok bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '\\':
			j++
		case c == '"':
			content = p.b[p.i+1 : j]
			p.i = j + 1
			return content, true
		case c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// str reads a JSON string without escapes, in valid UTF-8.
func (p *lineParser) str() (string, bool) {
	c, ok := p.rawStr()
	if !ok || bytes.IndexByte(c, '\\') >= 0 || !utf8.Valid(c) {
		return "", false
	}
	return string(c), true
}
