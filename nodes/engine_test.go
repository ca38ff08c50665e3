package nodes_test

import (
	"context"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/nodes"
	"github.com/terrarium-sim/terrarium/runtime/abi"
	"github.com/terrarium-sim/terrarium/runtime/limits"
)

// wasmEngine runs the tests' Wasm guests on a real engine, as a simulation
// does.
type wasmEngine struct{ e *wasmhost.Engine }

func (w wasmEngine) Instantiate(ctx context.Context, m nodes.Module, host abi.Host, clock abi.Clock, random func(p []byte)) (nodes.Guest, error) {
	inst, err := w.e.Instantiate(ctx, m.(*wasmhost.Module), host, clock, random)
	if err != nil {
		return nil, err
	}
	return inst, nil
}

func (w wasmEngine) Quotas() limits.Quotas { return w.e.Config().Quotas() }
