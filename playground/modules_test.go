package playground_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/playground"
)

func shaOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestModuleLifecycle(t *testing.T) { inEachMode(t, testModuleLifecycle) }

func testModuleLifecycle(t *testing.T, cfg playground.Config) {
	_, hs := newServer(t, cfg)
	base := hs.URL + "/api/v1/modules"
	echo := wasmOf(t, "echo")
	sha := shaOf(echo)

	r := upload(t, hs.URL, echo)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	assert.Equal(t, "/api/v1/modules/"+sha, r.Header.Get("Location"))
	m := r.json(t)
	assert.Equal(t, sha, m["sha256"])
	assert.EqualValues(t, len(echo), m["size"])
	assert.Contains(t, m["exports"], "on_message")
	assert.Equal(t, []any{"terrarium.send"}, m["imports"])

	// The same bytes again: the same module, 200.
	r = upload(t, hs.URL, echo)
	assert.Equal(t, http.StatusOK, r.Status)

	// Multipart, with its file name kept.
	counter := wasmOf(t, "counter")
	ct, body := multipartBody(t, "file", "dir/counter.wasm", counter)
	r = do(t, http.MethodPost, base, ct, body)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	assert.Equal(t, "counter.wasm", r.json(t)["name"])

	r = get(t, base)
	require.Equal(t, http.StatusOK, r.Status)
	require.Len(t, uploadedModules(t, r), 2)

	r = get(t, base+"/"+sha)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, sha, r.json(t)["sha256"])

	r = get(t, base+"/"+sha+"/wasm")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "application/wasm", r.Header.Get("Content-Type"))
	assert.Equal(t, echo, r.Body)

	r = do(t, http.MethodDelete, base+"/"+sha, "", nil)
	assert.Equal(t, http.StatusNoContent, r.Status)
	for _, u := range []string{base + "/" + sha, base + "/" + sha + "/wasm"} {
		r = get(t, u)
		assert.Equal(t, http.StatusNotFound, r.Status)
		assert.Equal(t, "not_found", r.apiError(t)["code"])
		assert.Contains(t, r.apiError(t)["message"], sha)
	}
	r = do(t, http.MethodDelete, base+"/"+sha, "", nil)
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Len(t, uploadedModules(t, get(t, base)), 1)
}

func TestModuleUploadErrors(t *testing.T) { inEachMode(t, testModuleUploadErrors) }

func testModuleUploadErrors(t *testing.T, cfg playground.Config) {
	const limit = 4096
	_, hs := newServer(t, cfg.WithMaxModuleBytes(limit))
	base := hs.URL + "/api/v1/modules"
	echo := wasmOf(t, "echo")
	big := append(append([]byte{}, echo...), bytes.Repeat([]byte{0}, limit)...)
	bigCT, bigMP := multipartBody(t, "file", "big.wasm", big)
	noFileCT, noFile := multipartBody(t, "other", "x.wasm", echo)
	truncated := echo[:len(echo)-2]

	cases := []struct {
		name    string
		ctype   string
		body    io.Reader
		status  int
		code    string
		message string
	}{
		{"text is not wasm", "application/wasm", strings.NewReader("(module)"), 400, "malformed", "not a WebAssembly binary"},
		{"empty body", "application/wasm", strings.NewReader(""), 400, "malformed", "not a WebAssembly binary"},
		{"truncated", "application/wasm", bytes.NewReader(truncated), 400, "malformed", "malformed module"},
		{"too large", "application/wasm", bytes.NewReader(big), 413, "too_large", "limit of 4096 bytes"},
		// A chunked body has no Content-Length: it is cut off while read.
		{"too large chunked", "application/wasm", io.MultiReader(bytes.NewReader(big)), 413, "too_large", "limit of 4096 bytes"},
		{"multipart too large", bigCT, bigMP, 413, "too_large", "limit of 4096 bytes"},
		{"multipart without file", noFileCT, noFile, 400, "malformed", `no part named "file"`},
		{"multipart without boundary", "multipart/form-data", strings.NewReader("x"), 400, "malformed", "boundary"},
		{"missing export", "application/wasm", bytes.NewReader(abiGuest(t, "", "on_message")), 422, "abi", `missing export "on_message"`},
		{"wrong signature", "application/wasm", bytes.NewReader(abiGuest(t, `(func (export "alloc") (result i32) (i32.const 0))`, "alloc")), 422, "abi", `export "alloc" has type`},
		{"socket import", "application/wasm", bytes.NewReader(abiGuest(t, `(import "wasi_snapshot_preview1" "sock_send" (func (param i32 i32 i32 i32 i32) (result i32)))`, "")), 422, "abi", "wasi_snapshot_preview1.sock_send is not allowed"},
		{"foreign import", "application/wasm", bytes.NewReader(abiGuest(t, `(import "env" "system" (func (param i32)))`, "")), 422, "abi", "import env.system"},
		{"unknown host function", "application/wasm", bytes.NewReader(abiGuest(t, `(import "terrarium" "spawn" (func))`, "")), 422, "abi", "terrarium.spawn is not a host function"},
		// Issue 15: 15 bytes declaring 2^32-1 function bodies killed the
		// server with "out of memory"; a module past a bound of
		// fuel.Limits is too large whatever its size.
		{"2^32-1 bodies in 15 bytes", "application/wasm", strings.NewReader("\x00asm\x01\x00\x00\x00\x0a\x05\xff\xff\xff\xff\x0f"), 400, "malformed", "function body count 4294967295 exceeds the 0 bytes left"},
		{"17 tables", "application/wasm", bytes.NewReader(append([]byte("\x00asm\x01\x00\x00\x00\x04\x34\x11"), bytes.Repeat([]byte{0x70, 0, 0}, 17)...)), 413, "too_large", "17 tables exceed the limit of 16 (Limits.Tables)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, http.MethodPost, base, c.ctype, c.body)
			require.Equal(t, c.status, r.Status, "%s", r.Body)
			assert.Equal(t, "application/json", strings.Split(r.Header.Get("Content-Type"), ";")[0])
			e := r.apiError(t)
			assert.Equal(t, c.code, e["code"])
			assert.Contains(t, e["message"], c.message)
		})
	}
	// Nothing that failed was stored.
	assert.Empty(t, uploadedModules(t, get(t, base)))

	for _, bad := range []string{"xyz", strings.Repeat("A", 64), strings.Repeat("0", 63)} {
		r := get(t, base+"/"+bad)
		assert.Equal(t, http.StatusBadRequest, r.Status, bad)
		assert.Contains(t, r.apiError(t)["message"], "SHA-256")
	}
}

func TestTokenGuardsWrites(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig().WithToken("s3cret"))
	echo := wasmOf(t, "echo")
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "s3cret"}} {
		r := upload(t, hs.URL, echo, hdr...)
		require.Equal(t, http.StatusUnauthorized, r.Status, "%v", hdr)
		assert.Equal(t, "unauthorized", r.apiError(t)["code"])
		assert.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
	}
	r := do(t, http.MethodDelete, hs.URL+"/api/v1/modules/"+shaOf(echo), "", nil)
	assert.Equal(t, http.StatusUnauthorized, r.Status)
	for _, p := range []string{"/api/v1/runs", "/api/v1/runs/x/faults", "/api/v1/runs/x/control", "/api/v1/runs/x/fork"} {
		assert.Equal(t, http.StatusUnauthorized, postJSON(t, hs.URL+p, map[string]any{}).Status, p)
	}
	// Reads need no token.
	assert.Equal(t, http.StatusOK, get(t, hs.URL+"/api/v1/modules").Status)
	r = upload(t, hs.URL, echo, "Authorization", "Bearer s3cret")
	assert.Equal(t, http.StatusCreated, r.Status)
	assert.Equal(t, true, get(t, hs.URL+"/api/v1/health").json(t)["token_required"])
}

func TestCORS(t *testing.T) {
	_, off := newServer(t, playground.NewConfig())
	r := do(t, http.MethodGet, off.URL+"/api/v1/modules", "", nil, "Origin", "http://elsewhere.test")
	assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"), "CORS is off by default")

	_, on := newServer(t, playground.NewConfig().WithCORS("http://app.test"))
	r = do(t, http.MethodGet, on.URL+"/api/v1/modules", "", nil, "Origin", "http://app.test")
	assert.Equal(t, "http://app.test", r.Header.Get("Access-Control-Allow-Origin"))
	r = do(t, http.MethodGet, on.URL+"/api/v1/modules", "", nil, "Origin", "http://evil.test")
	assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
}

func TestUnknownRoutes(t *testing.T) {
	_, hs := newServer(t, playground.NewConfig())
	r := get(t, hs.URL+"/api/v1/nothing/here")
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Contains(t, r.apiError(t)["message"], "/api/v1/nothing/here")
	r = do(t, http.MethodPut, hs.URL+"/api/v1/modules", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.Status)
	assert.Equal(t, "method_not_allowed", r.apiError(t)["code"])
	// The app's own routes load the app.
	r = get(t, hs.URL+"/runs/abc")
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Contains(t, string(r.Body), "<!doctype html>")
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []playground.Config{
		playground.NewConfig().WithMaxBody(0),
		playground.NewConfig().WithMaxModuleBytes(-1),
		playground.NewConfig().WithRunLimits(0, 1, 1, 1),
		playground.NewConfig().WithKeptRuns(0),
		playground.NewConfig().WithPluginsDir("/no/such/folder"),
		playground.NewConfig().WithMemoryBudget(0),
		playground.NewConfig().WithMaxFaults(0),
		playground.NewConfig().WithMinBodyRate(0, time.Second),
		playground.NewConfig().WithMinBodyRate(1, 0),
		playground.NewConfig().WithGuestLimits(10, 1),
	} {
		_, err := playground.New(t.Context(), cfg)
		assert.ErrorContains(t, err, "playground:")
	}
}

// uploadedModules is the modules list without the patterns' built-in
// modules, which the server's preload adds while a test runs.
func uploadedModules(t *testing.T, r resp) []any {
	t.Helper()
	var out []any
	for _, m := range r.json(t)["modules"].([]any) {
		if b, _ := m.(map[string]any)["builtin"].(bool); !b {
			out = append(out, m)
		}
	}
	return out
}
