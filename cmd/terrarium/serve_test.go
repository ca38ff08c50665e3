package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe to write and read from two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveUntilUp starts `terrarium serve args...` in-process, waits for its
// URL line, stops it and returns its exit code and output.
func serveUntilUp(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errs syncBuffer
	done := make(chan int, 1)
	base := []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--plugins", t.TempDir()}
	go func() { done <- run(ctx, append(base, args...), &out, &errs) }()
	exited := make(chan struct{})
	var code int
	go func() { code = <-done; close(exited) }()
	waitFor(t, "the server prints its URL", exited, func() bool { return strings.Contains(out.String(), "http://") })
	cancel()
	<-exited
	return code, out.String(), errs.String()
}

// Reference: issue 15, "make run prints a token-less warning".
func TestServeWarnsWithoutToken(t *testing.T) {
	t.Setenv(tokenEnv, "")
	code, _, errs := serveUntilUp(t)
	assert.Equal(t, 0, code)
	assert.Contains(t, errs, "warning: no --token")
	assert.Contains(t, errs, "Set --token to serve anything beyond this machine")

	code, _, errs = serveUntilUp(t, "--token", "s3cret")
	assert.Equal(t, 0, code)
	assert.NotContains(t, errs, "warning")
}

func TestServeLimitFlags(t *testing.T) {
	code, _, errs := cli(t, "serve", "--max-limit", "stor_bytes=1")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `no limit "stor_bytes"`)
	code, _, errs = cli(t, "serve", "--memory-budget", "lots")
	require.Equal(t, 2, code)
	assert.Contains(t, errs, "--memory-budget")
}
