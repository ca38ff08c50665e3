package playground

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/terrarium-sim/terrarium/internal/wasmhost"
	"github.com/terrarium-sim/terrarium/runtime/scenario"
)

var shaRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// moduleName turns the name an upload came with into one that follows
// the node-name rule (scenario.ValidName): the file name only, every other
// character replaced by '_', at most 200 bytes; "" if nothing is left.
func moduleName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" {
		return ""
	}
	b := []byte(name)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		if !ok || i == 0 && (c == '.' || c == '-') {
			b[i] = '_'
		}
	}
	name = string(b[:min(len(b), 200)])
	if !scenario.ValidName(name) {
		return ""
	}
	return name
}

// multipartSlack is what a multipart upload may add around the module.
const multipartSlack = 64 << 10

// maxSpools bounds the upload bodies being received at once.
const maxSpools = 16

// uploadModule accepts a module as the raw body or as the "file" part of a
// multipart form, validates it as the loader would, and stores it. The body
// is spooled to disk first, at the server's minimum rate, and only then
// takes one of the few upload slots, so slow clients hold no slot.
func (s *Server) uploadModule(c echo.Context) error {
	r := c.Request()
	name := c.QueryParam("name")
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	limit := int64(s.cfg.maxModule)
	if mt == "multipart/form-data" {
		if params["boundary"] == "" {
			return apiErr(http.StatusBadRequest, "malformed", "multipart upload without a boundary")
		}
		limit += multipartSlack
	}
	if r.ContentLength > limit {
		return apiErr(http.StatusRequestEntityTooLarge, "too_large", "upload of %d bytes is over the module limit of %d bytes", r.ContentLength, s.cfg.maxModule)
	}
	if s.readOnly {
		return insufficient("the server started on a full disk and keeps its module store read-only; free space and restart it")
	}
	// The spool writes the body before anything else looks at it: it must
	// not eat into the reserve either.
	if err := s.checkFree(s.spoolDir, limit); err != nil {
		return err
	}
	body, err := s.spool(r.Body, limit)
	if err != nil {
		return err
	}
	defer func() { _ = body.Close(); _ = os.Remove(body.Name()) }()
	// At most a few uploads are read into memory at once; the others wait.
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	case <-r.Context().Done():
		return apiErr(http.StatusServiceUnavailable, "busy", "request cancelled while waiting to upload")
	}
	var wasm []byte
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return apiErr(http.StatusBadRequest, "malformed", "multipart upload: %v", err)
			}
			if p.FormName() != "file" {
				_ = p.Close()
				continue
			}
			wasm, err = io.ReadAll(io.LimitReader(p, int64(s.cfg.maxModule)+1))
			if len(wasm) > s.cfg.maxModule {
				return apiErr(http.StatusRequestEntityTooLarge, "too_large", "module is over the limit of %d bytes", s.cfg.maxModule)
			}
			if err != nil {
				return apiErr(http.StatusBadRequest, "malformed", "multipart upload: %v", err)
			}
			if name == "" {
				name = p.FileName()
			}
			break
		}
		if wasm == nil {
			return apiErr(http.StatusBadRequest, "malformed", `multipart upload has no part named "file"`)
		}
	} else if wasm, err = io.ReadAll(body); err != nil {
		return fmt.Errorf("playground: read spooled upload: %w", err)
	}
	name = moduleName(name)
	info, err := s.validate(c, wasm)
	if err != nil {
		return err
	}
	release, err := s.reserveModule(int64(len(wasm)))
	if err != nil {
		return err
	}
	defer release()
	meta, created, err := s.store.Put(wasm, ModuleMeta{Name: name, Uploaded: time.Now().UTC().Truncate(time.Millisecond),
		Exports: info.Exports, Imports: info.Imports})
	if err != nil {
		return storeErr(err)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.Response().Header().Set("Location", APIPrefix+"/modules/"+meta.SHA256)
	return c.JSON(status, meta)
}

// spool copies an upload body of at most limit bytes to a file in the
// spool folder and returns it, rewound: 413 past limit, 408 for a body
// slower than the server's minimum rate, 503 when maxSpools bodies are
// already arriving.
func (s *Server) spool(body io.Reader, limit int64) (*os.File, error) {
	select {
	case s.spools <- struct{}{}:
		defer func() { <-s.spools }()
	default:
		e := apiErr(http.StatusServiceUnavailable, "busy", "%d uploads are arriving already; try again shortly", maxSpools)
		e.RetryAfter = 5
		return nil, e
	}
	f, err := os.CreateTemp(s.spoolDir, "upload-*")
	if err != nil {
		if errors.Is(err, syscall.ENOSPC) || os.IsNotExist(err) {
			return nil, insufficient("no room on the server's disk to receive the upload: %v", err)
		}
		return nil, fmt.Errorf("playground: spool upload: %w", err)
	}
	fail := func(err error) (*os.File, error) {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, err
	}
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	switch {
	case errors.Is(err, errSlowBody):
		return fail(apiErr(http.StatusRequestTimeout, "timeout", "upload: %v", err))
	case errors.Is(err, syscall.ENOSPC):
		return fail(insufficient("no room on the server's disk to receive the upload: %v", err))
	case err != nil:
		return fail(apiErr(http.StatusBadRequest, "bad_request", "reading the upload: %v", err))
	case n > limit:
		return fail(apiErr(http.StatusRequestEntityTooLarge, "too_large", "upload is over the module limit of %d bytes", s.cfg.maxModule))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("playground: spool upload: %w", err))
	}
	return f, nil
}

// validate runs the loader's checks, at most two at a time, and maps their
// errors to statuses: 413 too large, 400 not WebAssembly, 422 breaks the ABI.
func (s *Server) validate(c echo.Context, wasm []byte) (*wasmhost.ModuleInfo, error) {
	ctx := c.Request().Context()
	select {
	case s.validators <- struct{}{}:
		defer func() { <-s.validators }()
	case <-ctx.Done():
		return nil, apiErr(http.StatusServiceUnavailable, "busy", "request cancelled while waiting to validate")
	}
	info, err := s.validateBytes(ctx, wasm, s.cfg.maxModule)
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		return nil, ae
	case err == nil:
		return info, nil
	case errors.Is(err, wasmhost.ErrModuleTooLarge):
		return nil, apiErr(http.StatusRequestEntityTooLarge, "too_large", "%v", err)
	case errors.Is(err, wasmhost.ErrMalformed):
		return nil, apiErr(http.StatusBadRequest, "malformed", "%v", err)
	case errors.Is(err, wasmhost.ErrUnsupported):
		return nil, apiErr(http.StatusUnprocessableEntity, "unsupported", "%v", err)
	case errors.Is(err, wasmhost.ErrABI):
		return nil, apiErr(http.StatusUnprocessableEntity, "abi", "%v", err)
	}
	return nil, fmt.Errorf("playground: validate module: %w", err)
}

// validateBytes validates a module in a worker when the server has them,
// else in this process.
func (s *Server) validateBytes(ctx context.Context, wasm []byte, max int) (*wasmhost.ModuleInfo, error) {
	if s.pool != nil {
		return s.pool.validate(ctx, wasm, max)
	}
	return wasmhost.Validate(ctx, wasm, max)
}

func shaParam(c echo.Context) (string, error) {
	sha := c.Param("sha")
	if !shaRE.MatchString(sha) {
		return "", apiErr(http.StatusBadRequest, "bad_request", "module id %q is not a SHA-256 digest (64 lowercase hex digits)", sha)
	}
	return sha, nil
}

func storeErr(err error) error {
	switch {
	case errors.Is(err, ErrNoModule):
		return apiErr(http.StatusNotFound, "not_found", "%v", err)
	case errors.Is(err, ErrReadOnly):
		return insufficient("%v: the server started on a full disk; free space and restart it", err)
	case errors.Is(err, syscall.ENOSPC):
		return insufficient("the server's disk is full: %v", err)
	}
	return err
}

func (s *Server) listModules(c echo.Context) error {
	ms, err := s.store.List()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"modules": ms})
}

func (s *Server) getModule(c echo.Context) error {
	sha, err := shaParam(c)
	if err != nil {
		return err
	}
	m, err := s.store.Meta(sha)
	if err != nil {
		return storeErr(err)
	}
	return c.JSON(http.StatusOK, m)
}

func (s *Server) downloadModule(c echo.Context) error {
	sha, err := shaParam(c)
	if err != nil {
		return err
	}
	b, err := s.store.Wasm(sha)
	if err != nil {
		return storeErr(err)
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+sha[:12]+`.wasm"`)
	return c.Blob(http.StatusOK, "application/wasm", b)
}

func (s *Server) deleteModule(c echo.Context) error {
	sha, err := shaParam(c)
	if err != nil {
		return err
	}
	if err := s.store.Delete(sha); err != nil {
		return storeErr(err)
	}
	return c.NoContent(http.StatusNoContent)
}
