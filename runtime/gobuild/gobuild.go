// Package gobuild compiles a Go main package into a Terrarium guest for
// GOOS=wasip1 GOARCH=wasm. A package that depends on Terrarium's Go SDK
// (SDKPackage) is built with -buildmode=c-shared, as a WASI reactor that
// speaks guest ABI v1; any other package is built as a plain WASI command
// (the default build mode: what `GOOS=wasip1 GOARCH=wasm go build` makes),
// which Terrarium runs as a command guest speaking Maelstrom's protocol on
// stdin and stdout (docs/ABI.md, "Command guests").
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
	"slices"
	"strings"
)

// SDKPackage is the import path of Terrarium's Go guest SDK: a package that
// depends on it builds as a reactor.
const SDKPackage = "github.com/terrarium-sim/terrarium/plugins/sdk/maelstrom"

// Style is how a package builds: Reactor or Command.
type Style string

// Build styles.
const (
	Reactor Style = "reactor"
	Command Style = "command"
)

// Detect tells a reactor package (it depends on SDKPackage) from a command
// one by listing its dependencies for wasip1.
func Detect(ctx context.Context, dir string) (Style, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-mod=readonly", "-deps", "-f", "{{.ImportPath}}", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("gobuild: go list in %s: %w\n%s%s", dir, err, stderr.Bytes(), hints(Diagnose(stderr.String())))
	}
	if slices.Contains(strings.Fields(string(out)), SDKPackage) {
		return Reactor, nil
	}
	return Command, nil
}

// Options are the go build flags a scenario may set for a module.
type Options struct {
	// LDFlags is passed as -ldflags (e.g. "-X main.version=1").
	LDFlags string
	// Tags are passed as -tags.
	Tags []string
	// Style overrides Detect: Reactor builds a package that speaks guest
	// ABI v1 with its own go:wasmexport functions, without the SDK. ""
	// detects.
	Style Style
}

// Build compiles the Go package in dir, in the style Detect finds, and
// returns the module's bytes. The
// output is written under the user cache directory; Go's own build cache
// makes a rebuild of unchanged sources cheap.
func Build(ctx context.Context, dir string) ([]byte, error) { return BuildWith(ctx, dir, Options{}) }

// BuildWith is Build with go build flags. A package with its own go.mod
// builds against it as it is: go.mod and go.sum are never rewritten
// (-mod=readonly), and no workspace file applies.
//
// Only -X, -s and -w linker flags and plain build tags are accepted
// (CheckLDFlags, CheckTags): a scenario's flags never reach the linker's
// file options.
func BuildWith(ctx context.Context, dir string, opts Options) ([]byte, error) {
	if err := CheckLDFlags(opts.LDFlags); err != nil {
		return nil, fmt.Errorf("gobuild: %w", err)
	}
	if err := CheckTags(opts.Tags); err != nil {
		return nil, fmt.Errorf("gobuild: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("gobuild: %s: %w", dir, err)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(abs + "\x00" + opts.LDFlags + "\x00" + strings.Join(opts.Tags, ",") + "\x00" + string(opts.Style)))
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
	style := opts.Style
	switch style {
	case "":
		if style, err = Detect(ctx, abs); err != nil {
			_ = os.Remove(tmp)
			return nil, err
		}
	case Reactor, Command:
	default:
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("gobuild: unknown build style %q (want %q or %q)", style, Reactor, Command)
	}
	args := []string{"build", "-trimpath", "-mod=readonly", "-o", tmp}
	if opts.LDFlags != "" {
		args = append(args, "-ldflags", opts.LDFlags)
	}
	if len(opts.Tags) > 0 {
		args = append(args, "-tags", strings.Join(opts.Tags, ","))
	}
	args = append(args, ".")
	if style == Reactor {
		args = slices.Insert(args, 1, "-buildmode=c-shared")
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("gobuild: go build in %s: %w\n%s%s", dir, err, stderr.Bytes(), hints(Diagnose(stderr.String())))
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
