package playground_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/terrarium-sim/terrarium/internal/testguests"
	"github.com/terrarium-sim/terrarium/playground"
)

// newServer starts the playground on a real loopback listener.
func newServer(t *testing.T, cfg playground.Config) (*playground.Server, *httptest.Server) {
	t.Helper()
	s, err := playground.New(context.Background(), cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, s.Close())
	})
	return s, hs
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

// apiError returns the error object of an error response.
func (r resp) apiError(t *testing.T) map[string]any {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	require.True(t, ok, "no error object in %s", r.Body)
	return e
}

func do(t *testing.T, method, url, ctype string, body io.Reader, hdr ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return resp{res.StatusCode, res.Header, b}
}

func get(t *testing.T, url string) resp { return do(t, http.MethodGet, url, "", nil) }

func postJSON(t *testing.T, url string, v any, hdr ...string) resp {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return do(t, http.MethodPost, url, "application/json", bytes.NewReader(b), hdr...)
}

func upload(t *testing.T, base string, wasm []byte, hdr ...string) resp {
	return do(t, http.MethodPost, base+"/api/v1/modules", "application/wasm", bytes.NewReader(wasm), hdr...)
}

func multipartBody(t *testing.T, field, filename string, data []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	require.NoError(t, w.WriteField("note", "ignored"))
	fw, err := w.CreateFormFile(field, filename)
	require.NoError(t, err)
	_, err = fw.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return w.FormDataContentType(), &buf
}

func wasmOf(t *testing.T, name string) []byte {
	t.Helper()
	b, err := testguests.Wasm(name)
	require.NoError(t, err)
	return b
}

func wat(t *testing.T, src string) []byte {
	t.Helper()
	b, err := testguests.Wat2Wasm([]byte(src))
	require.NoError(t, err)
	return b
}

// abiGuest is a valid reactor with extra fields, without the export named skip.
func abiGuest(t *testing.T, extra, skip string) []byte {
	t.Helper()
	src := "(module " + extra
	for _, f := range []struct{ name, text string }{
		{"memory", `(memory (export "memory") 1)`},
		{"terrarium_abi_v1", `(func (export "terrarium_abi_v1"))`},
		{"alloc", `(func (export "alloc") (param i32) (result i32) (i32.const 1024))`},
		{"on_init", `(func (export "on_init") (param i32 i32))`},
		{"on_message", `(func (export "on_message") (param i32 i32 i32))`},
	} {
		if f.name != skip {
			src += "\n" + f.text
		}
	}
	return wat(t, src+")")
}
