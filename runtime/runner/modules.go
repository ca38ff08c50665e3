package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/terrarium-sim/terrarium/runtime/gobuild"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

// Modules loads the modules a scenario names: it builds Go packages (once
// per content of their sources), reads .wasm files and asks a source for
// modules named by sha256. It is safe for concurrent use, so runs of a
// sweep, a shrink or a server share one.
type Modules struct {
	source func(ctx context.Context, sha256 string) ([]byte, error)

	mu    sync.Mutex
	built map[string][]byte // by sourceKey
}

// NewModules returns an empty loader that builds Go modules and reads files.
func NewModules() *Modules { return &Modules{built: map[string][]byte{}} }

// WithSource returns the loader with fn providing modules named by sha256.
func (m *Modules) WithSource(fn func(ctx context.Context, sha256 string) ([]byte, error)) *Modules {
	m.source = fn
	return m
}

// Bytes returns the module's WebAssembly bytes.
func (m *Modules) Bytes(ctx context.Context, mod *scenario.Module) ([]byte, error) {
	switch {
	case mod.SHA256 != "":
		if m.source == nil {
			return nil, fmt.Errorf("no module store here to provide sha256 %s", mod.SHA256)
		}
		b, err := m.source(ctx, mod.SHA256)
		if err != nil {
			return nil, err
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != mod.SHA256 {
			return nil, fmt.Errorf("the module store returned bytes whose sha256 is not %s", mod.SHA256)
		}
		return b, nil
	case mod.Wasm != "":
		return os.ReadFile(mod.Wasm)
	}
	key, err := sourceKey(mod.Go)
	if err != nil {
		return nil, err
	}
	opts := gobuild.Options{LDFlags: mod.LDFlags, Tags: mod.Tags}
	key += "\x00" + opts.LDFlags + "\x00" + strings.Join(opts.Tags, ",")
	m.mu.Lock()
	b, ok := m.built[key]
	m.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err = gobuild.BuildWith(ctx, mod.Go, opts)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.built[key] = b
	m.mu.Unlock()
	return b, nil
}

// Prebuilt records b as the build of the Go package mod names (with its
// ldflags and tags), so that Bytes returns it without building: a server's
// worker processes get their parent's builds this way.
func (m *Modules) Prebuilt(mod *scenario.Module, b []byte) error {
	key, err := sourceKey(mod.Go)
	if err != nil {
		return err
	}
	key += "\x00" + mod.LDFlags + "\x00" + strings.Join(mod.Tags, ",")
	m.mu.Lock()
	m.built[key] = b
	m.mu.Unlock()
	return nil
}

// sourceKey identifies a Go package directory by its path and the content
// of its Go files, go.mod and go.sum, so that an edit between two runs of
// one process builds again.
func sourceKey(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("read module directory: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && (strings.HasSuffix(n, ".go") || n == "go.mod" || n == "go.sum") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	h := sha256.New()
	h.Write([]byte(dir))
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return "", fmt.Errorf("read module source: %w", err)
		}
		fmt.Fprintf(h, "\x00%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
