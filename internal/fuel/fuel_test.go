package fuel

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wabin/binary"
	"github.com/tetratelabs/wabin/leb128"
	"github.com/tetratelabs/wabin/wasm"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

func TestInfiniteLoopTrapsDeterministically(t *testing.T) {
	bin := mustInstrument(t, loopModule())
	// If fuel failed to stop the loop, the deadline would.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// spin costs 1 at entry and 5 per iteration. Starting from 1002 the
	// entry leaves 1001, iteration k leaves 1001-5k: 200 iterations run and
	// the 201st check leaves -4 and traps.
	const (
		initial       = 1002
		wantRemaining = -4
		wantIters     = 200
	)
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			r := newRuntime(t, e.cfg())
			for run := 0; run < 3; run++ {
				mod := instantiate(t, r, bin)
				require.NoError(t, Set(mod, initial))
				_, err := mod.ExportedFunction("spin").Call(ctx)
				require.Error(t, err, "run %d: infinite loop must trap", run)
				require.Contains(t, err.Error(), "unreachable", "run %d: must be a trap, not the deadline", run)
				assert.True(t, Exhausted(mod), "run %d", run)
				left, err := Remaining(mod)
				require.NoError(t, err)
				assert.Equal(t, int64(wantRemaining), left, "run %d", run)
				assert.Equal(t, uint64(wantIters), mod.ExportedGlobal("counter").Get(), "run %d", run)
				require.NoError(t, mod.Close(ctx))
			}
		})
	}
}

func TestFiniteLoopConsumesExactFuel(t *testing.T) {
	bin := mustInstrument(t, loopModule())
	ctx := context.Background()
	tests := []struct {
		name string
		n    uint64
		want int64 // 1 at entry (the loop instruction), 7 per iteration
	}{
		{"one iteration", 1, 1 + 7},
		{"ten iterations", 10, 1 + 70},
		{"thousand iterations", 1000, 1 + 7000},
		{"hundred thousand iterations", 100_000, 1 + 700_000},
	}
	for _, e := range engines {
		r := newRuntime(t, e.cfg())
		mod := instantiate(t, r, bin)
		for _, tc := range tests {
			t.Run(e.name+"/"+tc.name, func(t *testing.T) {
				const initial = 1 << 40
				require.NoError(t, Set(mod, initial))
				res, err := mod.ExportedFunction("count").Call(ctx, tc.n)
				require.NoError(t, err)
				assert.Equal(t, tc.n, res[0])
				left, err := Remaining(mod)
				require.NoError(t, err)
				assert.Equal(t, tc.want, initial-left)
				assert.False(t, Exhausted(mod))
			})
		}
	}
}

func TestExactFuelIsEnough(t *testing.T) {
	// count(10) needs exactly 71 units: 71 succeeds with 0 left, 70 traps.
	bin := mustInstrument(t, loopModule())
	ctx := context.Background()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			mod := instantiate(t, newRuntime(t, e.cfg()), bin)
			count := mod.ExportedFunction("count")

			require.NoError(t, Set(mod, 71))
			res, err := count.Call(ctx, 10)
			require.NoError(t, err)
			assert.Equal(t, uint64(10), res[0])
			left, err := Remaining(mod)
			require.NoError(t, err)
			assert.Equal(t, int64(0), left)
			assert.False(t, Exhausted(mod))

			require.NoError(t, Set(mod, 70))
			_, err = count.Call(ctx, 10)
			require.Error(t, err)
			assert.True(t, Exhausted(mod))
			left, err = Remaining(mod)
			require.NoError(t, err)
			assert.Equal(t, int64(-1), left) // 70-1-9*7 = 6 before the last check
		})
	}
}

func TestNoFuelTrapsImmediately(t *testing.T) {
	// Without Set the counter is 0, so the first check traps.
	bin := mustInstrument(t, loopModule())
	mod := instantiate(t, newRuntime(t, wazero.NewRuntimeConfigInterpreter()), bin)
	_, err := mod.ExportedFunction("spin").Call(context.Background())
	require.Error(t, err)
	assert.True(t, Exhausted(mod))
	assert.Equal(t, uint64(0), mod.ExportedGlobal("counter").Get())
}

// TestCostModel checks the fuel charged by small functions against the cost
// model: per check, the instructions up to and including the next control
// instruction.
func TestCostModel(t *testing.T) {
	v := &wasm.FunctionType{}
	vi := &wasm.FunctionType{Results: []wasm.ValueType{i32}}
	ii := &wasm.FunctionType{Params: []wasm.ValueType{i32}, Results: []wasm.ValueType{i32}}
	tests := []struct {
		name   string
		typ    *wasm.FunctionType
		locals []wasm.ValueType
		body   []byte
		arg    []uint64
		cost   int64 // CostToNextControl
		region int64 // CostRegion
	}{
		{
			name: "empty body costs the final end",
			typ:  v, body: []byte{opEnd},
			cost: 1, region: 1,
		},
		{
			name: "straight line counts every instruction and the end",
			typ:  vi, body: cat(i32c(1), i32c(2), []byte{opI32Add, opEnd}),
			cost: 4, region: 4,
		},
		{
			name: "charging stops at the first control instruction",
			typ:  v,
			body: cat(i32c(1), []byte{opIf, blockTypeEmpty, opNop, opNop, opEnd, opNop, opNop, opEnd}),
			cost: 2, region: 8,
		},
		{
			name: "block is a control instruction",
			typ:  v, body: []byte{opBlock, blockTypeEmpty, opNop, opNop, opEnd, opEnd},
			cost: 1, region: 5,
		},
		{
			name: "call charges the callee's entry",
			typ:  v, body: []byte{opCall, 1 /* the nop function */, opEnd},
			cost: 1 + 2, region: 2 + 2,
		},
		{
			name: "loop with a parameter and a type-index block type",
			typ:  ii,
			// local.get 0; loop (type 0: i32->i32); i32.const 1; i32.sub;
			// local.tee 0; local.get 0; br_if 0; end; end. Five iterations
			// for argument 5.
			body: cat([]byte{opLocalGet, 0, opLoop, 0}, i32c(1),
				[]byte{opI32Sub, opLocalTee, 0, opLocalGet, 0, opBrIf, 0, opEnd, opEnd}),
			arg:  []uint64{5},
			cost: 2 + 5*5,
			// function: local.get, loop, end; loop: 5 + end.
			region: 3 + 5*6,
		},
		{
			name: "nested loops charge both heads",
			typ:  v, locals: []wasm.ValueType{i32, i32},
			// loop $outer: i := 0; loop $inner: i++; br_if $inner (i < 4);
			// end; j++; br_if $outer (j < 3); end
			body: cat(
				[]byte{opLoop, blockTypeEmpty}, // outer head: 3 times
				i32c(0), []byte{opLocalSet, 0},
				[]byte{opLoop, blockTypeEmpty}, // inner head: 12 times
				[]byte{opLocalGet, 0}, i32c(1), []byte{opI32Add, opLocalTee, 0}, i32c(4), []byte{0x48 /* i32.lt_s */, opBrIf, 0},
				[]byte{opEnd},
				[]byte{opLocalGet, 1}, i32c(1), []byte{opI32Add, opLocalTee, 1}, i32c(3), []byte{0x48, opBrIf, 0},
				[]byte{opEnd, opEnd},
			),
			// entry: loop = 1; outer head: i32.const, local.set, loop = 3;
			// inner head: 7.
			cost: 1 + 3*3 + 12*7,
			// function: loop, end = 2; outer: 3 before the inner loop, 7
			// after it and its end = 11; inner: 7 + end = 8.
			region: 2 + 3*11 + 12*8,
		},
	}
	models := []struct {
		name  string
		model CostModel
		cost  func(int) int64
	}{
		{"next control", CostToNextControl, func(i int) int64 { return tests[i].cost }},
		{"region", CostRegion, func(i int) int64 { return tests[i].region }},
	}
	for _, e := range engines {
		for _, m := range models {
			for i, tc := range tests {
				t.Run(e.name+"/"+m.name+"/"+tc.name, func(t *testing.T) {
					bin := funcsModule(
						[]*wasm.FunctionType{tc.typ, v},
						[]string{"f", ""},
						[][]byte{tc.body, {opNop, opEnd}},
						[][]wasm.ValueType{tc.locals, nil},
					)
					bin, err := InstrumentWithOptions(bin, Options{Cost: m.model})
					require.NoError(t, err)
					mod := instantiate(t, newRuntime(t, e.cfg()), bin)
					const initial = 1_000_000
					require.NoError(t, Set(mod, initial))
					_, err = mod.ExportedFunction("f").Call(context.Background(), tc.arg...)
					require.NoError(t, err)
					left, err := Remaining(mod)
					require.NoError(t, err)
					assert.Equal(t, m.cost(i), initial-left)
				})
			}
		}
	}
}

// TestCostRegionBoundsWork shows the difference between the cost models on a
// guest that hides work from CostToNextControl: heavy() runs 2000
// straight-line instructions inside a block, and run() calls it 100 times
// (about 200,000 instructions). CostToNextControl charges 1 per heavy() call,
// CostRegion charges all of them.
func TestCostRegionBoundsWork(t *testing.T) {
	heavy := []byte{opBlock, blockTypeEmpty}
	for i := 0; i < 1000; i++ {
		heavy = append(heavy, opI32Const, 1, opDrop)
	}
	heavy = append(heavy, opEnd, opEnd)
	run := cat( // loop 100 times: call heavy
		[]byte{opLoop, blockTypeEmpty, opCall, 1},
		[]byte{opLocalGet, 0}, i32c(1), []byte{opI32Add, opLocalTee, 0}, i32c(100), []byte{0x48, opBrIf, 0},
		[]byte{opEnd, opEnd},
	)
	orig := funcsModule(
		[]*wasm.FunctionType{{}, {}},
		[]string{"run", ""},
		[][]byte{run, heavy},
		[][]wasm.ValueType{{i32}, nil},
	)
	tests := []struct {
		name     string
		model    CostModel
		consumed int64
	}{
		// run's entry: loop = 1; per iteration the loop head charges up to
		// the call (1) and heavy's entry up to its block (1).
		{"next control", CostToNextControl, 1 + 100*(1+1)},
		// run: loop + end = 2; loop body 8 + end = 9 per iteration;
		// heavy: block + 2000 + 2 ends = 2003 per call.
		{"region", CostRegion, 2 + 100*9 + 100*2003},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin, err := InstrumentWithOptions(orig, Options{Cost: tc.model})
			require.NoError(t, err)
			mod := instantiate(t, newRuntime(t, wazero.NewRuntimeConfigInterpreter()), bin)
			const initial = 1 << 30
			require.NoError(t, Set(mod, initial))
			_, err = mod.ExportedFunction("run").Call(context.Background())
			require.NoError(t, err)
			left, err := Remaining(mod)
			require.NoError(t, err)
			assert.Equal(t, tc.consumed, initial-left)
		})
	}
}

// richModule has imports (a function and a global), defined globals, memory,
// an active data segment, a start function, a name section and a custom
// section. compute() returns add(g1, mem[17]) + g2 where the start function
// set g1 = mem[16] + base; with base=1000 that is (104+1000+101)+42 = 1247.
func richModule() []byte {
	v := &wasm.FunctionType{}
	addT := &wasm.FunctionType{Params: []wasm.ValueType{i32, i32}, Results: []wasm.ValueType{i32}}
	vI64 := &wasm.FunctionType{Results: []wasm.ValueType{i64}}
	start := wasm.Index(1)
	m := &wasm.Module{
		TypeSection: []*wasm.FunctionType{v, addT, vI64},
		ImportSection: []*wasm.Import{
			{Type: wasm.ExternTypeFunc, Module: "env", Name: "add", DescFunc: 1},
			{Type: wasm.ExternTypeGlobal, Module: "envglobals", Name: "base", DescGlobal: &wasm.GlobalType{ValType: i32}},
		},
		FunctionSection: []wasm.Index{0, 2},
		MemorySection:   &wasm.Memory{Min: 1},
		GlobalSection: []*wasm.Global{
			{Type: &wasm.GlobalType{ValType: i32, Mutable: true}, Init: &wasm.ConstantExpression{Opcode: wasm.OpcodeI32Const, Data: leb128.EncodeInt32(0)}},
			{Type: &wasm.GlobalType{ValType: i64}, Init: &wasm.ConstantExpression{Opcode: wasm.OpcodeI64Const, Data: leb128.EncodeInt64(42)}},
		},
		ExportSection: []*wasm.Export{
			{Name: "compute", Type: wasm.ExternTypeFunc, Index: 2},
			{Name: "memory", Type: wasm.ExternTypeMemory, Index: 0},
			{Name: "g1", Type: wasm.ExternTypeGlobal, Index: 1},
		},
		StartSection: &start,
		CodeSection: []*wasm.Code{
			// start: g1 = i32.load8_u(16) + base. Six instructions, cost 6.
			{Body: cat(i32c(16), []byte{0x2d /* i32.load8_u */, 0, 0, opGlobalGet, 0, opI32Add, opGlobalSet, 1, opEnd})},
			// compute: i64.extend_i32_u(add(g1, i32.load8_u(17))) + g2
			{Body: cat([]byte{opGlobalGet, 1}, i32c(17), []byte{0x2d, 0, 0, opCall, 0,
				0xad /* i64.extend_i32_u */, opGlobalGet, 2, opI64Add, opEnd})},
		},
		DataSection: []*wasm.DataSegment{{
			OffsetExpression: &wasm.ConstantExpression{Opcode: wasm.OpcodeI32Const, Data: leb128.EncodeInt32(16)},
			Init:             []byte("hello"),
		}},
		NameSection: &wasm.NameSection{
			ModuleName:    "rich",
			FunctionNames: wasm.NameMap{{Index: 0, Name: "add"}, {Index: 1, Name: "start"}, {Index: 2, Name: "compute"}},
		},
		CustomSections: []*wasm.CustomSection{{Name: "producers", Data: []byte{0}}},
	}
	return binary.EncodeModule(m)
}

// instantiateRich instantiates the host module "env" and bin.
func instantiateRich(t *testing.T, r wazero.Runtime, bin []byte) (api.Module, error) {
	t.Helper()
	ctx := context.Background()
	if r.Module("env") == nil {
		_, err := r.NewHostModuleBuilder("env").
			NewFunctionBuilder().WithFunc(func(a, b uint32) uint32 { return a + b }).Export("add").
			Instantiate(ctx)
		require.NoError(t, err)
		// Host modules cannot define globals; provide "base" from Wasm.
		env2 := binary.EncodeModule(&wasm.Module{
			GlobalSection: []*wasm.Global{{Type: &wasm.GlobalType{ValType: i32},
				Init: &wasm.ConstantExpression{Opcode: wasm.OpcodeI32Const, Data: leb128.EncodeInt32(1000)}}},
			ExportSection: []*wasm.Export{{Name: "base", Type: wasm.ExternTypeGlobal, Index: 0}},
		})
		_, err = r.InstantiateWithConfig(ctx, env2, wazero.NewModuleConfig().WithName("envglobals"))
		require.NoError(t, err)
	}
	return r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName(""))
}

func TestRichModuleStillWorks(t *testing.T) {
	orig := richModule()
	bin := mustInstrument(t, orig)
	ctx := context.Background()

	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			r := newRuntime(t, e.cfg())

			plain, err := instantiateRich(t, r, orig)
			require.NoError(t, err)
			want, err := plain.ExportedFunction("compute").Call(ctx)
			require.NoError(t, err)
			require.Equal(t, uint64(1247), want[0])

			mod, err := instantiateRich(t, r, bin)
			require.NoError(t, err)
			// The start function (cost 6) ran on DefaultStartFuel.
			left, err := Remaining(mod)
			require.NoError(t, err)
			assert.Equal(t, DefaultStartFuel-6, left)

			require.NoError(t, Set(mod, 100))
			got, err := mod.ExportedFunction("compute").Call(ctx)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			left, err = Remaining(mod)
			require.NoError(t, err)
			// compute is charged up to and including the call (4
			// instructions); the host function is not metered.
			assert.Equal(t, int64(100-4), left)

			// Memory and globals behave as before.
			assert.Equal(t, uint64(1104), mod.ExportedGlobal("g1").Get())
			data, ok := mod.ExportedMemory("memory").Read(16, 5)
			require.True(t, ok)
			assert.Equal(t, "hello", string(data))
		})
	}
}

func TestStartFunctionFuel(t *testing.T) {
	orig := richModule()
	tests := []struct {
		name      string
		startFuel int64
		wantErr   bool
	}{
		{"no start fuel traps during instantiation", 0, true},
		{"too little start fuel traps", 5, true},
		{"exactly enough start fuel", 6, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin, err := InstrumentWithOptions(orig, Options{StartFuel: tc.startFuel})
			require.NoError(t, err)
			mod, err := instantiateRich(t, newRuntime(t, wazero.NewRuntimeConfigInterpreter()), bin)
			if tc.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "unreachable")
				return
			}
			require.NoError(t, err)
			left, err := Remaining(mod)
			require.NoError(t, err)
			assert.Equal(t, tc.startFuel-6, left)
		})
	}

	_, err := InstrumentWithOptions(orig, Options{StartFuel: -1})
	require.ErrorContains(t, err, "fuel: negative start fuel")
}

// ExportStart turns the start function into an export the host calls on a
// budget it sets, and can then tell a fuel trap there from another.
func TestExportStart(t *testing.T) {
	orig := richModule()
	bin, err := InstrumentWithOptions(orig, Options{ExportStart: "host_start"})
	require.NoError(t, err)
	ctx := context.Background()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			mod, err := instantiateRich(t, newRuntime(t, e.cfg()), bin)
			require.NoError(t, err, "nothing runs at instantiation: no start section is left")
			left, err := Remaining(mod)
			require.NoError(t, err)
			assert.Equal(t, int64(0), left, "the counter starts at 0: StartFuel is for a start section")
			start := mod.ExportedFunction("host_start")
			require.NotNil(t, start)

			require.NoError(t, Set(mod, 5))
			_, err = start.Call(ctx)
			require.Error(t, err)
			assert.True(t, Exhausted(mod), "a fuel trap in the start function is visible")

			require.NoError(t, Set(mod, 6))
			_, err = start.Call(ctx)
			require.NoError(t, err)
			left, err = Remaining(mod)
			require.NoError(t, err)
			assert.Equal(t, int64(0), left)
		})
	}

	_, err = InstrumentWithOptions(orig, Options{ExportStart: "compute"})
	require.ErrorContains(t, err, `the module already exports "compute"`)
	_, err = InstrumentWithOptions(orig, Options{ExportStart: GlobalName})
	require.ErrorContains(t, err, "already exports")
}

func TestHelpersRejectUninstrumentedModules(t *testing.T) {
	r := newRuntime(t, wazero.NewRuntimeConfigInterpreter())
	plain := instantiate(t, r, loopModule())

	err := Set(plain, 10)
	require.ErrorIs(t, err, errNotInstrumented)
	assert.Contains(t, err.Error(), "fuel: ")
	_, err = Remaining(plain)
	require.ErrorIs(t, err, errNotInstrumented)
	assert.False(t, Exhausted(plain))

	// An exported global of the right name but the wrong type.
	wrong := binary.EncodeModule(&wasm.Module{
		GlobalSection: []*wasm.Global{{Type: &wasm.GlobalType{ValType: i32, Mutable: true},
			Init: &wasm.ConstantExpression{Opcode: wasm.OpcodeI32Const, Data: leb128.EncodeInt32(-1)}}},
		ExportSection: []*wasm.Export{{Name: GlobalName, Type: wasm.ExternTypeGlobal, Index: 0}},
	})
	wrongMod := instantiate(t, r, wrong)
	require.ErrorIs(t, Set(wrongMod, 1), errNotInstrumented)
	assert.False(t, Exhausted(wrongMod))

	require.ErrorIs(t, Set(nil, 1), errNotInstrumented)

	inst := instantiate(t, r, mustInstrument(t, loopModule()))
	require.ErrorContains(t, Set(inst, -1), "fuel: negative fuel")
	require.NoError(t, Set(inst, 12345))
	left, err := Remaining(inst)
	require.NoError(t, err)
	assert.Equal(t, int64(12345), left)
}
