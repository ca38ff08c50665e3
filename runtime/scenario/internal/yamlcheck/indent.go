package yamlcheck

import (
	"bytes"
	"strings"
)

// blockProblems are the parser problems yaml/v3 reports at the line where
// the enclosing block collection starts (its context mark) rather than at
// the line that broke it: for them Syntax looks for that line itself.
var blockProblems = []string{
	"did not find expected key",
	"did not find expected '-' indicator",
}

// indentLine returns the first line (1-based) at or after line from whose
// indentation does not fit the blocks open above it, or 0 if every line
// fits. A line may open a deeper block only after a line that ends with
// ':' or starts a sequence item; a line that comes back out must land on
// a block that is open. When a block of one line at an odd column is left
// for an even column no block has, that one line is the odd one out (most
// files indent by two); otherwise the line that comes back is. Block
// scalars and multi-line flow collections are skipped.
func indentLine(data []byte, from int) int {
	lines := strings.Split(string(data), "\n")
	type block struct{ indent, line, count int }
	var stack []block
	opens := anyDeeper // what the line before lets the next one open
	skipAbove := -1    // inside a block scalar: skip lines indented more than this
	depth := 0         // open flow brackets carried from earlier lines
	for i := max(from, 1) - 1; i < len(lines); i++ {
		raw := strings.TrimRight(lines[i], " \r")
		text := strings.TrimLeft(raw, " ")
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		n := len(raw) - len(text)
		if skipAbove >= 0 && n > skipAbove {
			continue
		}
		skipAbove = -1
		if depth > 0 {
			depth = max(0, depth+flowDepth(text))
			continue
		}
		switch {
		case len(stack) == 0 || n > stack[len(stack)-1].indent:
			if len(stack) > 0 && opens != anyDeeper && opens != n {
				return i + 1
			}
			stack = append(stack, block{indent: n, line: i + 1, count: 1})
		default:
			var popped block
			for len(stack) > 0 && stack[len(stack)-1].indent > n {
				popped = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 || stack[len(stack)-1].indent != n {
				if popped.count == 1 && popped.indent%2 == 1 && n%2 == 0 {
					return popped.line
				}
				return i + 1
			}
			stack[len(stack)-1].count++
		}
		body := stripComment(text)
		opens = opensAfter(body, n)
		if strings.HasSuffix(body, "|") || strings.HasSuffix(body, ">") || strings.HasSuffix(body, "|-") || strings.HasSuffix(body, ">-") {
			skipAbove = n
		}
		depth = max(0, flowDepth(body))
	}
	return 0
}

// anyDeeper and noDeeper are what opensAfter returns besides a column.
const (
	anyDeeper = -1
	noDeeper  = -2
)

// opensAfter says where the line after body (indented n) may open a deeper
// block: anywhere after a key with no value on its line or a bare item
// ("-"), at the item's content column after "- key: value" (the item's
// mapping goes on), nowhere after a complete line.
func opensAfter(body string, n int) int {
	switch {
	case strings.HasSuffix(body, ":") || body == "-":
		return anyDeeper
	case strings.HasPrefix(body, "- "):
		rest := strings.TrimLeft(body[2:], " ")
		if rest != "" && rest[0] != '{' && rest[0] != '[' && strings.Contains(rest, ": ") {
			return n + len(body) - len(rest)
		}
	}
	return noDeeper
}

// flowDepth is how many flow brackets ({ or [) text opens and leaves open,
// outside quotes.
func flowDepth(text string) int {
	d := 0
	var quote byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{' || c == '[':
			d++
		case c == '}' || c == ']':
			d--
		}
	}
	return d
}

// stripComment drops a trailing " # comment" outside quotes.
func stripComment(text string) string {
	var quote byte
	b := []byte(text)
	for i, c := range b {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && i > 0 && (b[i-1] == ' ' || b[i-1] == '\t'):
			return string(bytes.TrimRight(b[:i], " \t"))
		}
	}
	return text
}
