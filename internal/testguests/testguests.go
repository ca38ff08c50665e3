// Package testguests compiles the small WAT guests that Terrarium's tests
// use (each .wat file here documents what it does), and AssemblyScript
// sources. It runs wat2wasm from the npm package wabt and asc from the npm
// package assemblyscript, installed at the repository root by `npm ci`.
package testguests

import (
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

//go:embed *.wat
var sources embed.FS

var (
	mu    sync.Mutex
	cache = map[string][]byte{}
)

// Wasm returns the compiled module for name (a .wat file here, without the
// extension).
func Wasm(name string) ([]byte, error) {
	mu.Lock()
	defer mu.Unlock()
	if b, ok := cache[name]; ok {
		return b, nil
	}
	src, err := sources.ReadFile(name + ".wat")
	if err != nil {
		return nil, fmt.Errorf("testguests: %w", err)
	}
	b, err := Wat2Wasm(src)
	if err != nil {
		return nil, fmt.Errorf("testguests: %s.wat: %w", name, err)
	}
	cache[name] = b
	return b, nil
}

// Wat2Wasm compiles WebAssembly text with wabt's wat2wasm.
func Wat2Wasm(src []byte) ([]byte, error) {
	tool, err := findTool("wat2wasm")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "terrarium-wat")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "m.wat"), filepath.Join(dir, "m.wasm")
	if err := os.WriteFile(in, src, 0o644); err != nil {
		return nil, err
	}
	if msg, err := exec.Command(tool, "--enable-all", in, "-o", out).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("wat2wasm: %v: %s", err, msg)
	}
	return os.ReadFile(out)
}

// AssemblyScript compiles the AssemblyScript file at path with asc from
// the npm package assemblyscript (the options make examples uses).
func AssemblyScript(path string) ([]byte, error) {
	tool, err := findTool("asc")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "terrarium-asc")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "m.wasm")
	if msg, err := exec.Command(tool, path, "-o", out, "--runtime", "incremental", "--optimize").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("testguests: asc %s: %v: %s", path, err, msg)
	}
	return os.ReadFile(out)
}

// findTool looks for node_modules/.bin/<name> from the working directory up.
func findTool(name string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "node_modules", ".bin", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found in node_modules/.bin above the working directory: run `npm ci` at the repository root", name)
		}
		dir = parent
	}
}
