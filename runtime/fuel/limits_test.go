package fuel

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMeasurePlugins(t *testing.T) {
	files, _ := filepath.Glob("../../build/plugins/*.wasm")
	more, _ := filepath.Glob("../../build/plugins/*/*.wasm")
	files = append(files, more...)
	if len(files) == 0 {
		t.Skip("no build/plugins: run make plugins")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		fig, err := Measure(b)
		require.NoError(t, err)
		t.Logf("%s %d bytes: %+v", filepath.Base(f), len(b), fig)
	}
}
