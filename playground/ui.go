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

// The playground's files: hand-written ES modules and CSS, plus ui/vendor,
// copied unchanged from npm packages by `go generate ./playground` (after
// `npm ci`); vendor_test.go checks that the copies match byte for byte.
// Nothing is fetched at run time.
//
//go:generate sh -c "mkdir -p ui/vendor/uplot && cp ../node_modules/uplot/dist/uPlot.esm.js ../node_modules/uplot/dist/uPlot.min.css ../node_modules/uplot/LICENSE ui/vendor/uplot/"
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
