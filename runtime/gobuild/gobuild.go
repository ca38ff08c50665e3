// Package gobuild compiles a Go main package into a Terrarium guest:
// GOOS=wasip1 GOARCH=wasm, -buildmode=c-shared (a WASI reactor).
package gobuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles the Go package in dir and returns the module's bytes. The
// output is written under the user cache directory; Go's own build cache
// makes a rebuild of unchanged sources cheap.
func Build(ctx context.Context, dir string) ([]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("gobuild: %s: %w", dir, err)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(abs))
	outDir := filepath.Join(base, "terrarium", "build")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("gobuild: %w", err)
	}
	out := filepath.Join(outDir, filepath.Base(abs)+"-"+hex.EncodeToString(sum[:6])+".wasm")
	f, err := os.CreateTemp(outDir, filepath.Base(out)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("gobuild: %w", err)
	}
	tmp := f.Name()
	f.Close()
	cmd := exec.CommandContext(ctx, "go", "build", "-buildmode=c-shared", "-trimpath", "-o", tmp, ".")
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("gobuild: go build in %s: %w\n%s", dir, err, stderr.Bytes())
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, fmt.Errorf("gobuild: %w", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("gobuild: %w", err)
	}
	return b, nil
}
