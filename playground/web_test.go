package playground_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
)

// withHost sends a request addressed to host (the Host header).
func withHost(t *testing.T, method, rawURL, host, ctype string, body []byte, hdr ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	require.NoError(t, err)
	req.Host = host
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(res.Body)
	require.NoError(t, err)
	return resp{res.StatusCode, res.Header, b.Bytes()}
}

// Reference: issue 15, "any Host header is served". Without a token only
// loopback names on the served port are; with one, any name is.
func TestLoopbackHostWithoutToken(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithPreload(false))
	port := hs.Listener.Addr().(*net.TCPAddr).Port
	for host, want := range map[string]int{
		fmt.Sprintf("127.0.0.1:%d", port):    http.StatusOK,
		fmt.Sprintf("localhost:%d", port):    http.StatusOK,
		fmt.Sprintf("LOCALHOST:%d", port):    http.StatusOK,
		fmt.Sprintf("[::1]:%d", port):        http.StatusOK,
		fmt.Sprintf("evil.example:%d", port): http.StatusForbidden,
		fmt.Sprintf("127.0.0.2:%d", port):    http.StatusForbidden,
		"127.0.0.1:1":                        http.StatusForbidden,
		"localhost":                          http.StatusForbidden,
	} {
		r := withHost(t, http.MethodGet, hs.URL+"/api/v1/health", host, "", nil)
		require.Equal(t, want, r.Status, "Host %s: %s", host, r.Body)
		if want == http.StatusForbidden {
			assert.Contains(t, r.apiError(t)["message"], "--token", host)
		}
	}
	_, tok := newServer(t, playground.NewConfig().WithPreload(false).WithToken("t"))
	r := withHost(t, http.MethodGet, tok.URL+"/api/v1/health", "terrarium.example.org", "", nil)
	assert.Equal(t, http.StatusOK, r.Status, "with a token, any name: %s", r.Body)
}

// Reference: issue 15, "a cross-site text/plain POST from any web page".
// Writes come from the server's own pages with JSON (or module) bodies;
// an accepted one reaches its handler (here: 400, no scenario).
func TestWritesAreSameOriginAndTyped(t *testing.T) {
	_, hs := newServer(t, runConfig().WithCORS("http://app.test"))
	u, err := url.Parse(hs.URL)
	require.NoError(t, err)
	self := "http://" + u.Host
	runs := hs.URL + "/api/v1/runs"
	json := []byte(`{}`)
	tests := []struct {
		name, ctype, origin, site string
		want                      int
	}{
		{"curl: no Origin", "application/json", "", "", http.StatusBadRequest},
		{"own page", "application/json; charset=utf-8", self, "same-origin", http.StatusBadRequest},
		{"--cors origin", "application/json", "http://app.test", "cross-site", http.StatusBadRequest},
		{"other site", "application/json", "http://evil.example", "cross-site", http.StatusForbidden},
		{"null origin", "application/json", "null", "", http.StatusForbidden},
		{"cross-site without Origin", "application/json", "", "cross-site", http.StatusForbidden},
		{"text/plain", "text/plain", "", "", http.StatusUnsupportedMediaType},
		{"form", "application/x-www-form-urlencoded", self, "same-origin", http.StatusUnsupportedMediaType},
		{"no type", "", "", "", http.StatusUnsupportedMediaType},
	}
	for _, tc := range tests {
		var hdr []string
		if tc.origin != "" {
			hdr = append(hdr, "Origin", tc.origin)
		}
		if tc.site != "" {
			hdr = append(hdr, "Sec-Fetch-Site", tc.site)
		}
		r := withHost(t, http.MethodPost, runs, u.Host, tc.ctype, json, hdr...)
		assert.Equal(t, tc.want, r.Status, "%s: %s", tc.name, r.Body)
	}
	echo := wasmOf(t, "echo")
	mods := hs.URL + "/api/v1/modules"
	r := withHost(t, http.MethodPost, mods, u.Host, "application/wasm", echo, "Origin", "http://evil.example")
	assert.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	r = withHost(t, http.MethodPost, mods, u.Host, "text/plain", echo)
	assert.Equal(t, http.StatusUnsupportedMediaType, r.Status, "%s", r.Body)
	r = withHost(t, http.MethodPost, mods, u.Host, "application/octet-stream", echo, "Origin", self)
	assert.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	r = withHost(t, http.MethodDelete, mods+"/"+shaOf(echo), u.Host, "", nil, "Origin", "http://evil.example")
	assert.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	r = withHost(t, http.MethodDelete, mods+"/"+shaOf(echo), u.Host, "", nil, "Origin", self)
	assert.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
}

// Every answer carries nosniff and a CSP; a run's files get the stricter
// one that lets lamport.html's inline script run but reach nothing.
func TestSecurityHeaders(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithPreload(false))
	for _, p := range []string{"/", "/app.js", "/api/v1/health", "/api/v1/runs/x/files/lamport.html"} {
		r := get(t, hs.URL+p)
		assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"), p)
		csp := r.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "frame-ancestors 'self'", p)
		if strings.Contains(p, "/files/") {
			assert.Contains(t, csp, "default-src 'none'", p)
		} else {
			assert.Contains(t, csp, "script-src 'self';", p)
		}
	}
	index := string(get(t, hs.URL+"/").Body)
	assert.NotContains(t, index, "<script>", "the UI has no inline script (CSP script-src 'self')")
	assert.NotRegexp(t, `\son[a-z]+=`, index, "no inline event handlers")
}

// rawUpload opens a connection, sends an upload's headers and the first
// part of its body, and returns the connection, left open.
func rawUpload(t *testing.T, addr string, total int, first []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = fmt.Fprintf(c, "POST /api/v1/modules HTTP/1.1\r\nHost: %s\r\nContent-Type: application/wasm\r\nContent-Length: %d\r\n\r\n", addr, total)
	require.NoError(t, err)
	_, err = c.Write(first)
	require.NoError(t, err)
	return c
}

// Reference: issue 15, "4 slow upload bodies hold every upload slot for up
// to 5 minutes". Bodies still arriving hold no upload slot, so an upload
// that arrives whole is served while they trickle.
func TestSlowBodiesHoldNoUploadSlot(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithPreload(false).WithMinBodyRate(1, time.Hour))
	addr := hs.Listener.Addr().String()
	for range 6 {
		rawUpload(t, addr, 1000, []byte("\x00asm"))
	}
	time.Sleep(50 * time.Millisecond) // let the server start reading them (not an assertion)
	client := &http.Client{Timeout: 20 * time.Second}
	req, err := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/modules", bytes.NewReader(wasmOf(t, "echo")))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/wasm")
	res, err := client.Do(req)
	require.NoError(t, err, "a whole upload is not kept waiting by slow ones")
	_ = res.Body.Close()
	assert.Equal(t, http.StatusCreated, res.StatusCode)
}

// A body slower than the minimum rate is cut off with 408.
func TestSlowBodyIsCutOff(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithPreload(false).WithMinBodyRate(1<<20, 200*time.Millisecond))
	for _, path := range []string{"/api/v1/modules", "/api/v1/runs"} {
		c, err := net.Dial("tcp", hs.Listener.Addr().String())
		require.NoError(t, err)
		ctype := "application/json"
		if strings.HasSuffix(path, "modules") {
			ctype = "application/wasm"
		}
		_, err = fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: 100000\r\n\r\n{", path, hs.Listener.Addr(), ctype)
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err, path)
		assert.Equal(t, http.StatusRequestTimeout, res.StatusCode, path)
		_ = res.Body.Close()
		_ = c.Close()
	}
}

// Uploaded module names follow the node-name rule.
func TestUploadNamesFollowTheNameRule(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithPreload(false))
	for name, want := range map[string]string{
		"my module (1).wasm": "my_module__1_.wasm",
		"../../etc/passwd":   "passwd",
		"..":                 "_.",
		".hidden":            "_hidden",
	} {
		r := do(t, http.MethodPost, hs.URL+"/api/v1/modules?name="+url.QueryEscape(name), "application/wasm", bytes.NewReader(wasmOf(t, "echo")))
		require.Contains(t, []int{http.StatusCreated, http.StatusOK}, r.Status, "%s", r.Body)
		require.Equal(t, http.StatusNoContent, do(t, http.MethodDelete, hs.URL+"/api/v1/modules/"+shaOf(wasmOf(t, "echo")), "", nil).Status)
		if r.Status == http.StatusCreated {
			assert.Equal(t, want, r.json(t)["name"], name)
		}
	}
}
