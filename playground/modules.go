package playground

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/terrarium-sim/terrarium/runtime/wasmhost"
)

var shaRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// multipartSlack is what a multipart upload may add around the module.
const multipartSlack = 64 << 10

// uploadModule accepts a module as the raw body or as the "file" part of a
// multipart form, validates it as the loader would, and stores it.
func (s *Server) uploadModule(c echo.Context) error {
	r := c.Request()
	// At most a few uploads are read into memory at once; the others wait.
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	case <-r.Context().Done():
		return apiErr(http.StatusServiceUnavailable, "busy", "request cancelled while waiting to upload")
	}
	name := c.QueryParam("name")
	var wasm []byte
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		if params["boundary"] == "" {
			return apiErr(http.StatusBadRequest, "malformed", "multipart upload without a boundary")
		}
		limit := int64(s.cfg.maxModule) + multipartSlack
		if r.ContentLength > limit {
			return apiErr(http.StatusRequestEntityTooLarge, "too_large", "upload of %d bytes is over the module limit of %d bytes", r.ContentLength, s.cfg.maxModule)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		mr, err := r.MultipartReader()
		if err != nil {
			return apiErr(http.StatusBadRequest, "malformed", "multipart upload: %v", err)
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return apiErr(http.StatusRequestEntityTooLarge, "too_large", "upload is over the module limit of %d bytes", s.cfg.maxModule)
			}
			if err != nil {
				return apiErr(http.StatusBadRequest, "malformed", "multipart upload: %v", err)
			}
			if p.FormName() != "file" {
				_ = p.Close()
				continue
			}
			wasm, err = io.ReadAll(io.LimitReader(p, int64(s.cfg.maxModule)+1))
			if errors.As(err, &mbe) || len(wasm) > s.cfg.maxModule {
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
	} else {
		var err error
		if wasm, err = readBody(c, int64(s.cfg.maxModule), "module"); err != nil {
			return err
		}
	}
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" {
		name = ""
	}
	if len(name) > 200 {
		name = name[:200]
	}
	info, err := s.validate(c, wasm)
	if err != nil {
		return err
	}
	meta, created, err := s.store.Put(wasm, ModuleMeta{Name: name, Uploaded: time.Now().UTC().Truncate(time.Millisecond),
		Exports: info.Exports, Imports: info.Imports})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.Response().Header().Set("Location", APIPrefix+"/modules/"+meta.SHA256)
	return c.JSON(status, meta)
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
	if errors.Is(err, ErrNoModule) {
		return apiErr(http.StatusNotFound, "not_found", "%v", err)
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
