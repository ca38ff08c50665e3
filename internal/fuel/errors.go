package fuel

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed is matched (with errors.Is) by every error InstrumentWithOptions
	// returns for input that is not a well-formed WebAssembly 2.0 binary, or
	// that breaks a rule the instrumentation relies on: it references the
	// global index reserved for the fuel counter, or it already exports a
	// name equal to GlobalName.
	ErrMalformed = errors.New("malformed module")

	// ErrUnsupported is matched by errors InstrumentWithOptions returns for binaries
	// that use a known WebAssembly feature the instrumenter does not handle,
	// such as components, multiple memories, 64-bit memories, garbage
	// collection or legacy exception handling.
	ErrUnsupported = errors.New("unsupported feature")

	// ErrLimit is matched by errors InstrumentWithOptions returns for a module that
	// declares more than Limits allow (functions, locals, nesting depth,
	// table sizes, ...) or whose initial memory and tables exceed the
	// memory budget (Options.MemoryBytes).
	ErrLimit = errors.New("module exceeds a limit")
)

// kindError is an error message classified as ErrMalformed or ErrUnsupported.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

func malformedf(format string, args ...any) error {
	return &kindError{kind: ErrMalformed, msg: fmt.Sprintf(format, args...)}
}

func unsupportedf(format string, args ...any) error {
	return &kindError{kind: ErrUnsupported, msg: fmt.Sprintf(format, args...)}
}
