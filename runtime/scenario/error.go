package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a scenario file, located by file, line and column.
//
// Line and Column are 1-based; a zero Column means only the line is known and
// a zero Line means the position is unknown. Field is the dotted path of the
// offending field, such as "nodes[1].role" or "modules.echo.wasm"; it is
// empty for problems that belong to no field, such as YAML syntax errors.
type Error struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string
}

// Error renders the problem as "file:line:col: field: msg", leaving out the
// parts that are unknown or empty.
func (e *Error) Error() string {
	at, field := e.File, ""
	if e.Line > 0 {
		at += ":" + strconv.Itoa(e.Line)
	}
	if e.Line > 0 && e.Column > 0 {
		at += ":" + strconv.Itoa(e.Column)
	}
	if e.Field != "" {
		field = e.Field + ": "
	}
	return at + ": " + field + e.Msg
}

// Errors is every problem found in one scenario, sorted by line and column.
// Parse, ParseWith, Load and LoadWith return an Errors (never empty) for any
// problem in the scenario's content.
type Errors []*Error

// Error renders each problem on its own line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual problems, so that errors.As can extract the
// first *Error from an Errors.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sortErrors orders problems by position; problems without a line come first.
func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// ErrorAt returns an *Error located at line (column unknown) in the file s
// was read from, for problems callers find after loading, such as a check
// rejecting its params at Check.Line or a module failing to build at
// Module.Pos.Line.
func (s *Scenario) ErrorAt(line int, field, format string, args ...any) *Error {
	return &Error{File: s.File, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}
