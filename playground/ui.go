package playground

import (
	"embed"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// The playground's files. ui/vendor holds files copied from npm packages by
// `make ui-vendor` (see vendor_test.go); nothing else is built.
//
//go:embed ui
var uiFiles embed.FS

func (s *Server) uiFS() fs.FS {
	if s.cfg.uiDir != "" {
		return os.DirFS(s.cfg.uiDir)
	}
	sub, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic(err) // the embedded tree always has ui/
	}
	return sub
}

// uiRoutes serves the playground; a path that is not a file gets
// index.html, so the app's own routes load the app.
func (s *Server) uiRoutes(e *echo.Echo) {
	files := s.uiFS()
	srv := http.FileServer(http.FS(files))
	h := func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			return apiErr(http.StatusNotFound, "not_found", "no API route %s %s (see /api/openapi.json)", c.Request().Method, c.Request().URL.Path)
		}
		p := strings.TrimPrefix(path.Clean(c.Request().URL.Path), "/")
		if p == "" {
			p = "index.html"
		}
		if st, err := fs.Stat(files, p); err != nil || st.IsDir() {
			b, err := fs.ReadFile(files, "index.html")
			if err != nil {
				return apiErr(http.StatusNotFound, "not_found", "the playground UI is missing index.html")
			}
			c.Response().Header().Set("Cache-Control", "no-cache")
			return c.HTMLBlob(http.StatusOK, b)
		}
		c.Response().Header().Set("Cache-Control", "no-cache")
		srv.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	e.GET("/*", h)
	e.HEAD("/*", h)
}
