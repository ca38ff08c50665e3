package fuel

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

func TestProbeWazeroLocals(t *testing.T) {
	r := wazero.NewRuntimeWithConfig(context.Background(), wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(allFeatures))
	in := rawModule(
		sec(secType, vec([]byte{0x60, 0, 0})), sec(secFunction, vec(u32(0))),
		sec(secCode, vec(entry(cat([]byte{1}, u32(0x7fffffff), []byte{0x7e, opEnd})))))
	var ms runtime.MemStats
	s := time.Now()
	_, err := r.CompileModule(context.Background(), in)
	runtime.ReadMemStats(&ms)
	t.Logf("err=%v took %v, total alloc %d MB", err, time.Since(s), ms.TotalAlloc>>20)
}
