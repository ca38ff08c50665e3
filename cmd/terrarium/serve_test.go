package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
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
	return serveWhileUp(t, func(string) {}, args...)
}

// serveWhileUp is serveUntilUp calling up with the server's URL before it
// stops it.
func serveWhileUp(t *testing.T, up func(url string), args ...string) (int, string, string) {
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
	if m := regexp.MustCompile(`http://\S+/`).FindString(out.String()); m != "" {
		up(m)
	}
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

// Reference: issue 18 part 7: the server takes the CLI's node count unless
// the operator lowers it with --max-nodes.
func TestServeMaxNodes(t *testing.T) {
	maxNodes := func(url string) int {
		resp, err := http.Get(url + "api/v1/health")
		require.NoError(t, err)
		defer resp.Body.Close()
		var h struct {
			Limits struct {
				MaxNodes int `json:"max_nodes"`
			} `json:"limits"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&h))
		return h.Limits.MaxNodes
	}
	var got int
	code, _, _ := serveWhileUp(t, func(url string) { got = maxNodes(url) })
	require.Equal(t, 0, code)
	assert.Equal(t, 65536, got, "the default is the CLI's bound")
	code, _, _ = serveWhileUp(t, func(url string) { got = maxNodes(url) }, "--max-nodes", "100")
	require.Equal(t, 0, code)
	assert.Equal(t, 100, got)

	code, _, errs := cli(t, "serve", "--max-nodes", "0")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "run limits must be positive")
	code, _, errs = cli(t, "serve", "--max-nodes", "70000")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "max nodes 70000 is more than a scenario may have (65536)")
}
