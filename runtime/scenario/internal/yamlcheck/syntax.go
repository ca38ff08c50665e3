package yamlcheck

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

var (
	yamlLineRE   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlAnchorRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// parserProblems are the problems the YAML parser (as opposed to its
// scanner) reports. yaml/v3 numbers their lines from 0 while it numbers the
// scanner's from 1, and leaves the line out when it is 0.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// Syntax locates a YAML parser error at the line yaml/v3 names, converted
// to 1-based like the positions of nodes, or at the offending byte.
func Syntax(err error, data []byte) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var e Problem
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if slices.Contains(parserProblems, msg) {
		e.Line++
	}
	if slices.Contains(blockProblems, msg) {
		// yaml/v3 names where a block starts: find the line that broke it.
		if l := indentLine(data, 1); l > 0 {
			e.Line = l
		}
	}
	// At the end of the input the parser's marks can point past the last line.
	lines := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	e.Line = min(e.Line, max(lines, 1))
	if m := yamlAnchorRE.FindStringSubmatch(err.Error()); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			e.Line, e.Column = position(data, i)
		}
	}
	if e.Line == 0 || msg == "found unknown directive name" {
		// yaml/v3 names no line for these: find the offending byte.
		if i, what := locate(data, msg); i >= 0 {
			e.Line, e.Column = position(data, i)
			msg += what
		}
	}
	e.Msg = "invalid YAML: " + msg
	return e
}

// position returns the 1-based line and column (in bytes) of offset i.
func position(data []byte, i int) (line, col int) {
	return bytes.Count(data[:i], []byte("\n")) + 1, i - bytes.LastIndexByte(data[:i], '\n')
}

// locate finds the offset of the problem a line-less yaml/v3 error names
// (invalid UTF-8, a character YAML does not allow, an unknown directive),
// with a few words on what is there; -1 if it cannot.
func locate(data []byte, msg string) (int, string) {
	switch {
	case strings.Contains(msg, "UTF-8"), strings.Contains(msg, "UTF-16"):
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				return i, fmt.Sprintf(" (byte %#02x)", data[i])
			}
			i += n
		}
	case strings.Contains(msg, "control characters"):
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if !yamlPrintable(r) {
				return i, fmt.Sprintf(" (%U)", r)
			}
			i += n
		}
	case strings.Contains(msg, "directive"):
		for i := 0; i < len(data); {
			end := bytes.IndexByte(data[i:], '\n')
			if end < 0 {
				end = len(data) - i
			}
			line := data[i : i+end]
			if bytes.HasPrefix(line, []byte("%")) && !bytes.HasPrefix(line, []byte("%YAML ")) && !bytes.HasPrefix(line, []byte("%TAG ")) {
				name, _, _ := bytes.Cut(line[1:], []byte(" "))
				return i, fmt.Sprintf(" %%%s (only %%YAML and %%TAG exist)", name)
			}
			i += end + 1
		}
	}
	return -1, ""
}

// yamlPrintable reports whether YAML 1.2 allows r in a stream.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}
