package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/terrarium-sim/terrarium/playground"
)

// tokenEnv names the environment variable that sets --token's default.
const tokenEnv = "TERRARIUM_TOKEN"

// cmdServe runs the HTTP API and the browser playground until ctx ends.
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT` (port 0 picks a free one)")
	data := fs.String("data", "", "keep uploaded modules and run folders under `DIR` (default: the user data folder's terrarium/)")
	token := fs.String("token", os.Getenv(tokenEnv), "require this bearer `TOKEN` on every write (default $"+tokenEnv+")")
	cors := fs.String("cors", "", "allow cross-origin requests from these comma-separated `ORIGINS` (default: CORS off)")
	plugins := fs.String("plugins", "", "the pattern plugins `DIR` (default: plugins/ found from the working directory up)")
	uiDir := fs.String("ui-dir", "", "serve the playground from `DIR` instead of the embedded copy (UI development)")
	maxRuns := fs.Int("max-runs", playground.DefaultMaxRuns, "runs that may execute at once")
	maxNodes := fs.Int("max-nodes", playground.DefaultMaxNodes, "the most nodes (and workload clients) one run may have (default: the CLI's own bound)")
	diskFlags := serveDiskFlags(fs)
	budget := fs.String("memory-budget", "16GiB", "the memory all open runs together may need at worst, from their limits and node counts (`BYTES`, KiB/MiB/GiB suffix)")
	maxFaults := fs.Int("max-faults", playground.DefaultMaxFaults, "faults that may be applied by hand to one run")
	maxLimits := playground.DefaultMaxLimits()
	fs.Func("max-limit", "the server's maximum for one scenario `NAME=VALUE` under limits: (repeatable; e.g. store_bytes=32MiB; see README, \"Serve\")", func(v string) error {
		l, err := playground.ParseLimit(maxLimits, v)
		if err == nil {
			maxLimits = l
		}
		return err
	})
	withWorkers := workerFlags(fs)
	pos, err := parseFlags(fs, args, stdout)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "terrarium serve: takes no arguments, got %q\n%s", pos, usage)
		return 2
	}
	dir := *data
	if dir == "" {
		if dir, err = defaultDataDir(); err != nil {
			fmt.Fprintln(stderr, "terrarium serve:", err)
			return 2
		}
	}
	cfg := playground.NewConfig().WithDataDir(dir).WithToken(*token).WithPluginsDir(*plugins).
		WithUIDir(*uiDir).WithLogger(log.New(stderr, "", log.LstdFlags))
	cfg = diskFlags(cfg.WithRunLimits(*maxRuns, *maxNodes, playground.DefaultMaxVirtual, playground.DefaultWallBudget))
	mem, err := playground.ParseSize(*budget)
	if err != nil {
		fmt.Fprintf(stderr, "terrarium serve: --memory-budget: %v\n", err)
		return 2
	}
	cfg = cfg.WithMaxLimits(maxLimits).WithMemoryBudget(mem).WithMaxFaults(*maxFaults)
	if *cors != "" {
		cfg = cfg.WithCORS(strings.Split(*cors, ",")...)
	}
	if cfg, err = withWorkers(cfg); err != nil {
		fmt.Fprintln(stderr, "terrarium serve:", err)
		return 2
	}
	srv, err := playground.New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "terrarium serve:", err)
		return 2
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "terrarium serve:", err)
		return 2
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "Terrarium playground: http://%s/  (data in %s; Ctrl-C stops)\n", ln.Addr(), dir)
	if *token == "" {
		fmt.Fprintf(stderr, "terrarium serve: warning: no --token (or $%s): anyone who can reach this port may upload and run modules; "+
			"only requests to 127.0.0.1, localhost or [::1] are answered. Set --token to serve anything beyond this machine.\n", tokenEnv)
	}
	select {
	case err := <-done:
		fmt.Fprintln(stderr, "terrarium serve:", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	return 0
}

// defaultDataDir is $XDG_DATA_HOME/terrarium, else ~/.local/share/terrarium.
func defaultDataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "terrarium"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no --data given and no home folder: %w", err)
	}
	return filepath.Join(home, ".local", "share", "terrarium"), nil
}
