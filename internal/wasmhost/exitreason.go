package wasmhost

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/terrarium-sim/terrarium/runtime/abi"
)

// Crash reasons of guests that end themselves (docs/ABI.md, "Crash
// reasons"). A guest that calls proc_exit has usually said why on stderr
// just before: Go's runtime prints a panic or a fatal error with the
// goroutine's stack and exits with code 2; log.Fatal prints its line and
// exits with code 1. The host reads the stderr lines of the running
// callback as they are written (keeping a few short strings, never the
// whole output) and builds the reason from them when the guest exits.

// sdkFrames is the prefix of the Go SDK's own functions in a traceback:
// the frame a reason names is the first one outside the runtime and the
// SDK.
const sdkFrames = "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom."

// maxNote bounds each string kept from stderr for a crash reason.
const maxNote = 512

// stdLogPrefix matches the date and time the standard log package puts
// before a line by default (log.LstdFlags, with or without microseconds).
var stdLogPrefix = regexp.MustCompile(`^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? `)

// exitNotes follows a guest's stderr during one callback.
type exitNotes struct {
	last    []byte // the last line (clipped; its buffer is reused)
	handler string // the SDK's handler marker, when it was the last line
	// a Go panic or fatal error seen in this callback
	panic      string // "panic: ..." or "fatal error: ..."
	panicIn    string // the handler the SDK named for it
	frame      string // "FUNC at FILE:LINE": the first frame outside the runtime and the SDK
	inTrace    bool   // reading the panicking goroutine's frames
	pendingFun string // a frame's function, waiting for its file line
}

// reset forgets what earlier callbacks wrote.
func (n *exitNotes) reset() { *n = exitNotes{last: n.last[:0]} }

// line takes one complete stderr line. Most lines are only copied into
// last; a string is made only of the lines a reason may quote.
func (n *exitNotes) line(b []byte) {
	if len(b) > maxNote {
		b = append(b[:maxNote:maxNote], "..."...)
	}
	switch {
	case n.panic == "" && (bytes.HasPrefix(b, []byte("panic: ")) || bytes.HasPrefix(b, []byte("fatal error: "))):
		n.panic, n.panicIn = string(b), n.handler
	case n.panic != "" && n.frame == "" && bytes.HasPrefix(b, []byte("goroutine ")) && bytes.HasSuffix(b, []byte(":")):
		n.inTrace = true
	case n.inTrace && n.frame == "":
		switch {
		case len(b) == 0 || bytes.HasPrefix(b, []byte("created by ")):
			n.inTrace = false
		case b[0] == '\t':
			if n.pendingFun != "" {
				file, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte(" "))
				n.frame = n.pendingFun + " at " + string(file)
			}
		default:
			fun := b
			if i := bytes.LastIndexByte(fun, '('); i > 0 {
				fun = fun[:i]
			}
			n.pendingFun = ""
			if !bytes.HasPrefix(fun, []byte("runtime.")) && !bytes.HasPrefix(fun, []byte("panic")) && !bytes.HasPrefix(fun, []byte(sdkFrames)) {
				n.pendingFun = string(fun)
			}
		}
	}
	n.handler = ""
	if h, ok := bytes.CutPrefix(b, []byte(abi.HandlerPanicPrefix)); ok {
		n.handler = string(h)
	}
	n.last = append(n.last[:0], b...)
}

// reason is the crash reason of a guest that called proc_exit(code).
func (n *exitNotes) reason(code uint32) string {
	last := string(n.last)
	if r, ok := strings.CutPrefix(last, abi.CrashReasonPrefix); ok && code != 0 {
		return r
	}
	if r := n.panicReason(); r != "" && code == 2 {
		return r
	}
	if last != "" && code != 0 {
		if loc := stdLogPrefix.FindStringIndex(last); loc != nil && code == 1 {
			return "log.Fatal: " + last[loc[1]:]
		}
		return fmt.Sprintf("exited with code %d; its last stderr line: %s", code, last)
	}
	return fmt.Sprintf("exited with code %d", code)
}

// panicReason is the reason of a Go panic or fatal error printed in this
// callback, "" if none was. Go's runtime ends a c-shared (reactor) guest
// that panics with a trap (unreachable) rather than proc_exit.
func (n *exitNotes) panicReason() string {
	if n.panic == "" {
		return ""
	}
	r := n.panic
	if n.panicIn != "" {
		r = "panic in handler for " + n.panicIn + ": " + strings.TrimPrefix(r, "panic: ")
	}
	if n.frame != "" {
		r += " (in " + n.frame + ")"
	}
	return r
}
