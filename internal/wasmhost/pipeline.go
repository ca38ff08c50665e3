package wasmhost

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"

	"github.com/terrarium-sim/terrarium/internal/fuel"
)

// pipeline is the one way a module's bytes become a checked
// wazero.CompiledModule; Validate and Engine.Compile both run it, each
// with its own options and runtime. Its steps, in order:
//
//  1. instrument: the fuel rewriter decodes the whole module and checks the
//     bounds of fuel.Limits and the memory budget, so wazero never sees a
//     module that declares more than the bounds allow (with metering off
//     the rewritten module only serves as that check);
//  2. data: the data segments are read (and, to map them as an image, taken
//     out of the module);
//  3. compile: wazero compiles and validates the module;
//  4. check: ABI v1 (checkABI), then that the data segments fit the
//     initial memory.
type pipeline struct {
	// memoryBytes is the node's memory budget the module is checked against.
	memoryBytes int64
	// meter compiles the instrumented module rather than the original.
	meter bool
	// data is what happens to the data segments.
	data dataMode
}

// dataMode is what a pipeline does with a module's data segments.
type dataMode uint8

const (
	// dataKeep leaves them in the module, unchecked: wazero copies them at
	// instantiation.
	dataKeep dataMode = iota
	// dataCheck leaves them in and checks that they fit the initial memory.
	dataCheck
	// dataImage takes them out as the initial memory image to map into each
	// instance, and checks that it fits the initial memory.
	dataImage
)

// pipelineStep names the step at which a pipeline failed.
type pipelineStep uint8

const (
	stepInstrument pipelineStep = iota
	stepData
	stepCompile
	stepCheck
)

// pipelineError is a pipeline's failure: the step and its error, which the
// caller words (an upload's validation and a simulation's loader word
// them differently).
type pipelineError struct {
	step pipelineStep
	err  error
}

// run takes wasm through the pipeline on rt. It returns the compiled
// module and, with dataImage, the initial memory image (nil if the module
// has none that can be mapped). On failure nothing is left open.
func (p pipeline) run(ctx context.Context, rt wazero.Runtime, wasm []byte) (wazero.CompiledModule, []byte, *pipelineError) {
	code, err := fuel.InstrumentWithOptions(wasm, instrumentOptions(p.memoryBytes))
	if err != nil {
		return nil, nil, &pipelineError{stepInstrument, err}
	}
	if !p.meter {
		code = wasm
	}
	var img []byte
	if p.data != dataKeep {
		stripped, image, ok, err := fuel.ExtractData(code)
		if err != nil {
			return nil, nil, &pipelineError{stepData, err}
		}
		if ok {
			img = image
			if p.data == dataImage {
				code = stripped
			}
		}
	}
	cm, err := rt.CompileModule(ctx, code)
	if err != nil {
		return nil, nil, &pipelineError{stepCompile, err}
	}
	if err := checkABI(cm); err != nil {
		_ = cm.Close(ctx)
		return nil, nil, &pipelineError{stepCheck, err}
	}
	// checkABI made sure the module exports its memory.
	if img != nil && uint64(len(img)) > uint64(cm.ExportedMemories()["memory"].Min())*65536 {
		_ = cm.Close(ctx)
		return nil, nil, &pipelineError{stepCheck, fmt.Errorf("%w: data segments lie outside the initial memory", ErrABI)}
	}
	if p.data != dataImage {
		img = nil
	}
	return cm, img, nil
}

// instrumentOptions are the options every module is instrumented with: the
// region cost model, the start function exported so that the host runs it
// on a budget it can read, the default limits, and the node's memory budget.
func instrumentOptions(memoryBytes int64) fuel.Options {
	return fuel.Options{Cost: fuel.CostRegion, StartFuel: fuel.DefaultStartFuel, ExportStart: startExport, ExportGlobals: true, MemoryBytes: memoryBytes}
}
