package fuel

import (
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// The fuel counter as tests read and set it; production reads it through
// wasmhost.

// errNotInstrumented is matched by errors Set and Remaining return when
// the module has no fuel counter.
var errNotInstrumented = errors.New("module is not fuel-instrumented")

// Instrument is InstrumentWithOptions with the default start fuel.
func Instrument(wasm []byte) ([]byte, error) {
	return InstrumentWithOptions(wasm, Options{StartFuel: DefaultStartFuel})
}

// counter returns the fuel counter of an instrumented module.
func counter(mod api.Module) (api.MutableGlobal, error) {
	if mod == nil {
		return nil, fmt.Errorf("fuel: nil module: %w", errNotInstrumented)
	}
	g := mod.ExportedGlobal(GlobalName)
	if g == nil {
		return nil, fmt.Errorf("fuel: module %q exports no global %q: %w", mod.Name(), GlobalName, errNotInstrumented)
	}
	mg, ok := g.(api.MutableGlobal)
	if !ok || g.Type() != api.ValueTypeI64 {
		return nil, fmt.Errorf("fuel: global %q of module %q is not a mutable i64: %w", GlobalName, mod.Name(), errNotInstrumented)
	}
	return mg, nil
}

// Set sets the fuel of an instantiated, instrumented module to units. Call it
// before each call into the guest. units must not be negative. It must not be
// called while the guest is running.
func Set(mod api.Module, units int64) error {
	if units < 0 {
		return fmt.Errorf("fuel: negative fuel %d", units)
	}
	g, err := counter(mod)
	if err != nil {
		return err
	}
	g.Set(api.EncodeI64(units))
	return nil
}

// Remaining returns the fuel left in an instantiated, instrumented module. It
// is negative after a fuel trap: the check that trapped subtracted its cost
// from the fuel that was left.
func Remaining(mod api.Module) (int64, error) {
	g, err := counter(mod)
	if err != nil {
		return 0, err
	}
	return int64(g.Get()), nil
}

// Exhausted reports whether the fuel counter of an instantiated module is
// below zero, meaning that the trap the guest last raised was a fuel trap.
// It returns false for modules that are not instrumented.
func Exhausted(mod api.Module) bool {
	n, err := Remaining(mod)
	return err == nil && n < 0
}
