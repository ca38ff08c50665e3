package fuel

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wabin/wasm"
	"github.com/tetratelabs/wazero"

	"github.com/terrarium-sim/terrarium/internal/testguests"
)

type namedModule struct {
	name string
	bin  []byte
}

// seedModules are valid modules covering the decoder; fuzzing and the
// mutation test start from them.
func seedModules() []namedModule {
	return []namedModule{
		{"loop", loopModule()},
		{"rich", richModule()},
		{"features", featuresModule()},
		{"eh", ehModule()},
		{"empty", rawModule()},
		{"nested", funcsModule([]*wasm.FunctionType{{}}, []string{"f"}, [][]byte{cat(
			[]byte{opBlock, blockTypeEmpty, opLoop, blockTypeEmpty}, i32c(0),
			[]byte{opIf, blockTypeEmpty, opBr, 1, opElse, opBr, 2, opEnd, opEnd, opEnd, opEnd},
		)}, nil)},
	}
}

var (
	validatorOnce sync.Once
	validator     wazero.Runtime
)

// wazeroAccepts reports whether wazero compiles bin (which includes
// validating every function body). wazero v1.12 panics on some malformed
// bodies (for example a truncated try_table); that counts as rejection.
func wazeroAccepts(bin []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	validatorOnce.Do(func() {
		validator = wazero.NewRuntimeWithConfig(context.Background(),
			wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(allFeatures))
	})
	c, err := validator.CompileModule(context.Background(), bin)
	if err != nil {
		return false
	}
	_ = c.Close(context.Background())
	return true
}

// wazeroAcceptsPadded is wazeroAccepts for a binary whose sections are
// well-framed, working around a wazero v1.12 bug: it rejects a custom section
// with empty contents at the very end of the input ("failed to read custom
// section name[]: EOF"). Appending a non-empty custom section does not
// change the validity of a module whose sections are well-framed otherwise.
func wazeroAcceptsPadded(bin []byte) bool {
	return wazeroAccepts(cat(bin, sec(secCustom, str("pad"), []byte{0})))
}

// checkInstrument asserts the properties Instrument must have on any input:
// it does not panic; errors are classified and prefixed; a result refuses a
// second instrumentation; and wazero accepts the result exactly when it
// accepts the input, so instrumentation neither breaks a valid module nor
// makes an invalid one valid. It reports whether Instrument succeeded and,
// if Instrument succeeded or stats is set, whether wazero accepts the input.
func checkInstrument(t testing.TB, in []byte, stats bool) (ok, valid bool) {
	t.Helper()
	out, err := Instrument(in)
	if err != nil {
		require.Nil(t, out)
		require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrLimit), "unclassified error: %v", err)
		require.True(t, strings.HasPrefix(err.Error(), "fuel: "), err.Error())
		// Inputs rejected for declaring sizes their bytes cannot back, or
		// more than Limits allow, are those that can make wazero allocate
		// or compile without bound.
		oversized := strings.Contains(err.Error(), "exceeds") || errors.Is(err, ErrLimit)
		return false, stats && !oversized && wazeroAccepts(in)
	}
	valid = wazeroAcceptsPadded(in)
	_, err = Instrument(out)
	require.ErrorContains(t, err, "already exports", "instrumenting twice must fail")
	require.Equal(t, valid, wazeroAcceptsPadded(out), "wazero must accept the output exactly when it accepts the input")

	// The other cost model only changes constants.
	region, err := InstrumentWithOptions(in, Options{Cost: CostRegion})
	require.NoError(t, err)
	require.Equal(t, valid, wazeroAcceptsPadded(region), "CostRegion output")
	return true, valid
}

func FuzzInstrument(f *testing.F) {
	for _, m := range seedModules() {
		f.Add(m.bin)
	}
	f.Add([]byte{})
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00"))
	f.Add([]byte("not wasm at all"))
	// Issue 15: sections declaring 2^32-1 entries in 15 bytes (code,
	// import, data), a table of 2^31 elements, and a data segment at 4 GiB.
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x0a\x05\xff\xff\xff\xff\x0f"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x02\x05\xff\xff\xff\xff\x0f"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x0b\x05\xff\xff\xff\xff\x0f"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x04\x08\x01\x70\x00\x80\x80\x80\x80\x08"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x01\x0b\x08\x01\x00\x41\x80\x7e\x0b\x01x"))
	// Every bulk instruction, and deep nesting around a br_table.
	bulk, err := testguests.Wat2Wasm([]byte(bulkWAT))
	require.NoError(f, err)
	f.Add(bulk)
	f.Add(funcsModule([]*wasm.FunctionType{{}}, []string{"deep"}, [][]byte{cat(
		bytes.Repeat([]byte{opBlock, blockTypeEmpty}, 40), i32c(0), []byte{opBrTable, 3, 0, 1, 2, 39},
		bytes.Repeat([]byte{opEnd}, 41))}, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkInstrument(t, in, false)
	})
}

// mutate returns a copy of b with a few random byte-level changes.
func mutate(r *rand.Rand, b []byte) []byte {
	out := append([]byte(nil), b...)
	for n := 1 + r.IntN(3); n > 0; n-- {
		if len(out) == 0 {
			out = append(out, byte(r.Uint32()))
			continue
		}
		i := r.IntN(len(out))
		switch r.IntN(6) {
		case 0: // flip a bit
			out[i] ^= 1 << r.IntN(8)
		case 1: // random byte
			out[i] = byte(r.Uint32())
		case 2: // interesting byte
			out[i] = []byte{0x00, 0x01, 0x02, 0x03, 0x0b, 0x40, 0x7f, 0x80, 0xff, 0xfc, 0xfd}[r.IntN(11)]
		case 3: // insert
			out = append(out[:i], append([]byte{byte(r.Uint32())}, out[i:]...)...)
		case 4: // delete
			out = append(out[:i], out[i+1:]...)
		case 5: // truncate
			out = out[:i]
		}
	}
	return out
}

func TestMutatedModules(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const perSeed = 1500
	var instrumented, valid, rejectedValid int
	for _, seed := range seedModules() {
		for i := 0; i < perSeed; i++ {
			in := mutate(r, seed.bin)
			ok, v := checkInstrument(t, in, true)
			if t.Failed() {
				t.Fatalf("seed %s mutation %d: % x", seed.name, i, in)
			}
			if ok {
				instrumented++
			}
			if v {
				valid++
				if !ok {
					rejectedValid++
					_, err := Instrument(in)
					// Expected only for SIMD opcodes in encodings that
					// wazero decodes differently from the specification.
					t.Logf("seed %s mutant %d is valid for wazero but rejected: %v", seed.name, i, err)
				}
			}
		}
	}
	t.Logf("%d mutants: %d instrumented, %d valid for wazero, %d of those rejected by Instrument",
		perSeed*len(seedModules()), instrumented, valid, rejectedValid)
	// The mutation test is only meaningful if many mutants get through.
	assert.Greater(t, instrumented, perSeed/4)
}

func TestRandomBytesAreRejected(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		in := make([]byte, r.IntN(300))
		for j := range in {
			in[j] = byte(r.Uint32())
		}
		out, err := Instrument(in)
		require.Error(t, err, "% x", in)
		require.Nil(t, out)
		// Behind a valid header random bytes must not panic either.
		checkInstrument(t, append(append(append([]byte(nil), wasmMagic...), wasmVersion...), in...), false)
	}
}
