package maelstrom

import (
	"errors"
	"fmt"
	"strconv"
)

// Maelstrom's RPC error codes (see Maelstrom's protocol document).
const (
	Timeout                = 0
	NotSupported           = 10
	TemporarilyUnavailable = 11
	MalformedRequest       = 12
	Crash                  = 13
	Abort                  = 14
	KeyDoesNotExist        = 20
	KeyAlreadyExists       = 21
	PreconditionFailed     = 22
	TxnConflict            = 30
)

var codeNames = map[int]string{
	Timeout:                "Timeout",
	NotSupported:           "NotSupported",
	TemporarilyUnavailable: "TemporarilyUnavailable",
	MalformedRequest:       "MalformedRequest",
	Crash:                  "Crash",
	Abort:                  "Abort",
	KeyDoesNotExist:        "KeyDoesNotExist",
	KeyAlreadyExists:       "KeyAlreadyExists",
	PreconditionFailed:     "PreconditionFailed",
	TxnConflict:            "TxnConflict",
}

// ErrorCodeText names a Maelstrom error code ("ErrorCode<n>" for codes it
// does not know).
func ErrorCodeText(code int) string {
	if s, ok := codeNames[code]; ok {
		return s
	}
	return fmt.Sprintf("ErrorCode<%d>", code)
}

// ErrorCode returns the code of the *RPCError in err's chain, or -1.
func ErrorCode(err error) int {
	var e *RPCError
	if errors.As(err, &e) {
		return e.Code
	}
	return -1
}

// RPCError is a Maelstrom error reply: a body {"type":"error","code":N,"text":"..."}.
// Returned from a handler, it is sent back to the requester as is; any other
// error is sent back as a Crash error.
type RPCError struct {
	Code int
	Text string
}

// NewRPCError returns an RPCError with the given code and text.
func NewRPCError(code int, text string) *RPCError {
	return &RPCError{Code: code, Text: text}
}

// Error implements error.
func (e *RPCError) Error() string {
	return fmt.Sprintf("RPCError(%s, %q)", ErrorCodeText(e.Code), e.Text)
}

// MarshalJSON encodes the error as a Maelstrom error body:
// {"type":"error","code":N,"text":"..."} (text left out when empty).
func (e *RPCError) MarshalJSON() ([]byte, error) { return e.appendJSON(nil), nil }

func (e *RPCError) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"type":"error","code":`...)
	dst = strconv.AppendInt(dst, int64(e.Code), 10)
	if e.Text != "" {
		dst = append(dst, `,"text":`...)
		dst = appendString(dst, e.Text)
	}
	return append(dst, '}')
}
