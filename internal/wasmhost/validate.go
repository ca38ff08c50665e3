package wasmhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"github.com/tetratelabs/wazero"

	"github.com/terrarium-sim/terrarium/internal/fuel"
)

// DefaultMaxModuleBytes is the largest module Validate accepts when given a
// limit of 0. A Go guest built with -trimpath is a few MiB.
const DefaultMaxModuleBytes = 32 << 20

// Errors Validate wraps, besides ErrABI, so that a caller (an HTTP server)
// can tell a module that is too big or not WebAssembly at all from one that
// is well formed but breaks the guest ABI.
var (
	// ErrModuleTooLarge is wrapped when the module exceeds the size limit.
	ErrModuleTooLarge = errors.New("wasmhost: module too large")
	// ErrMalformed is wrapped when the bytes are not a valid WebAssembly
	// binary (bad magic, truncated section, a body that does not validate).
	ErrMalformed = errors.New("wasmhost: malformed module")
	// ErrUnsupported is wrapped when the module uses a WebAssembly feature
	// the fuel meter cannot instrument (multiple memories, memory64, ...).
	ErrUnsupported = errors.New("wasmhost: unsupported WebAssembly feature")
)

// ModuleInfo describes a module that passed Validate.
type ModuleInfo struct {
	// SHA256 is the hex digest of the module's bytes.
	SHA256 string `json:"sha256"`
	// Size is the module's length in bytes.
	Size int `json:"size"`
	// Exports lists the exported function names, sorted.
	Exports []string `json:"exports"`
	// Imports lists the imported functions as "module.name", sorted.
	Imports []string `json:"imports"`
}

// Validate runs on wasm the checks Engine.Compile runs when a simulation
// loads a module, without an Engine and without keeping anything: the size
// limit (maxBytes; 0 means DefaultMaxModuleBytes), WebAssembly structure,
// the bounds of fuel.Limits and the default memory budget, fuel
// instrumentation, validation, data segments that fit the initial memory,
// and ABI v1 (required exports and their signatures, the import
// allow-list). Every check that does not need wazero runs first, so wazero
// never sees a module that declares more than the bounds allow; the module
// is then compiled once, in its instrumented form. The error wraps
// ErrModuleTooLarge (the size limit or a bound of fuel.Limits),
// ErrMalformed, ErrUnsupported or ErrABI and names the offending export,
// import or section.
func Validate(ctx context.Context, wasm []byte, maxBytes int) (*ModuleInfo, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxModuleBytes
	}
	if len(wasm) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrModuleTooLarge, len(wasm), maxBytes)
	}
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, fmt.Errorf("%w: not a WebAssembly binary (it must start with \\0asm)", ErrMalformed)
	}
	if v := wasm[4:8]; v[0] != 1 || v[1] != 0 || v[2] != 0 || v[3] != 0 {
		return nil, fmt.Errorf("%w: binary format version %x, want 1", ErrMalformed, v)
	}
	// The interpreter validates every function body at compile time, as the
	// compiler does, and compiles faster: nothing here runs the module.
	// Instrumentation keeps a module valid exactly when it was valid
	// (internal/fuel's fuzz tests check this), so compiling the form the
	// loader compiles is enough.
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithMemoryLimitPages(DefaultMemoryPages))
	defer rt.Close(ctx)
	cm, _, fail := pipeline{memoryBytes: DefaultMemoryPages * 65536, meter: true, data: dataCheck}.run(ctx, rt, wasm)
	if fail != nil {
		return nil, validateError(fail)
	}
	defer cm.Close(ctx)

	sum := sha256.Sum256(wasm)
	info := &ModuleInfo{SHA256: hex.EncodeToString(sum[:]), Size: len(wasm), Exports: []string{}, Imports: []string{}}
	for n := range cm.ExportedFunctions() {
		// Instrumentation adds this export (the module may not have it).
		if n != startExport {
			info.Exports = append(info.Exports, n)
		}
	}
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		info.Imports = append(info.Imports, mod+"."+name)
	}
	sort.Strings(info.Exports)
	sort.Strings(info.Imports)
	return info, nil
}

// validateError words a pipeline failure for Validate: by the sentinel
// that tells an oversized, unsupported or malformed module from one that
// breaks the ABI.
func validateError(fail *pipelineError) error {
	switch {
	case fail.step == stepCheck:
		return fail.err // wraps ErrABI
	case fail.step != stepInstrument:
		return fmt.Errorf("%w: %v", ErrMalformed, fail.err)
	case errors.Is(fail.err, fuel.ErrLimit):
		return fmt.Errorf("%w: %v", ErrModuleTooLarge, fail.err)
	case errors.Is(fail.err, fuel.ErrUnsupported):
		return fmt.Errorf("%w: %v", ErrUnsupported, fail.err)
	}
	return fmt.Errorf("%w: %v", ErrMalformed, fail.err)
}
