package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/internal/worker"
)

// validateAnswer is a validation worker's answer on stdout.
type validateAnswer struct {
	Info  *wasmhost.ModuleInfo `json:"info,omitempty"`
	Kind  string               `json:"kind,omitempty"` // too_large, malformed, unsupported, abi, other
	Error string               `json:"error,omitempty"`
}

// validateKinds maps a validation error's kind to wasmhost's sentinel.
var validateKinds = map[string]error{
	"too_large": wasmhost.ErrModuleTooLarge, "malformed": wasmhost.ErrMalformed,
	"unsupported": wasmhost.ErrUnsupported, "abi": wasmhost.ErrABI,
}

// ValidateWorker is `terrarium worker validate MAXBYTES`: it validates the
// module on in as an upload is validated and answers on out. It is
// internal to the server, which starts it in its own process under OS
// limits.
func ValidateWorker(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	max := DefaultMaxModuleBytes
	if len(args) > 0 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n <= 0 {
			return fmt.Errorf("playground: validate: bad size limit %q", args[0])
		}
		max = n
	}
	wasm, err := io.ReadAll(io.LimitReader(in, int64(max)+1))
	if err != nil {
		return fmt.Errorf("playground: validate: %w", err)
	}
	var a validateAnswer
	info, err := wasmhost.Validate(ctx, wasm, max)
	if err != nil {
		a.Kind, a.Error = "other", err.Error()
		for k, sentinel := range validateKinds {
			if errors.Is(err, sentinel) {
				a.Kind = k
			}
		}
	}
	a.Info = info
	return json.NewEncoder(out).Encode(a)
}

// kindError is a validation error from a worker: its text as the worker
// wrote it, matching the wasmhost sentinel of its kind.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

// validate checks a module in a short-lived worker under the validator's
// limits: a module that makes validation use too much memory or time
// ends the worker, not the server.
func (p *pool) validate(ctx context.Context, wasm []byte, max int) (*wasmhost.ModuleInfo, error) {
	if max <= 0 {
		max = wasmhost.DefaultMaxModuleBytes
	}
	lim := worker.Limits{MemoryBytes: DefaultValidatorMemory, CPUSeconds: DefaultValidatorCPU, OpenFiles: 64, FileBytes: 1 << 20, Isolate: p.limits.Isolate}
	if p.limits.MemoryBytes > 0 {
		lim.MemoryBytes = min(lim.MemoryBytes, p.limits.MemoryBytes)
	}
	out, ex, err := worker.Run(ctx, worker.Command{Path: p.bin, Args: []string{"worker", "validate", strconv.Itoa(max)},
		Input: wasm, Limits: lim}, 2*DefaultValidatorCPU*time.Second, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("playground: validate: %w", err)
	}
	var a validateAnswer
	if !ex.OK() || json.Unmarshal(out, &a) != nil {
		return nil, apiErr(http.StatusUnprocessableEntity, "unsupported", "validating the module stopped: %s", ex)
	}
	if a.Error != "" {
		kind := validateKinds[a.Kind]
		if kind == nil {
			return nil, fmt.Errorf("playground: validate module: %s", a.Error)
		}
		return nil, &kindError{msg: a.Error, kind: kind}
	}
	return a.Info, nil
}
