package playground

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// The Content-Security-Policy of the playground and the API: scripts and
// styles from the server only (index.html loads app.js as a module and
// has no inline script; the UI sets styles through the DOM, which CSP
// allows), no plugins, framed only by itself.
const cspUI = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"

// cspFile is the policy of a run's files (lamport.html is one offline page
// with inline script and style and its data in JSON script elements): they
// run, but reach nothing, not even this server.
const cspFile = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; " +
	"frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

// errSlowBody is a request body that arrived slower than the minimum rate.
var errSlowBody = errors.New("playground: request body arrived too slowly")

// guard enforces the web's rules before any route runs:
//   - with no token, only requests addressed to the loopback interface on
//     the port they came in on (Host 127.0.0.1, localhost or [::1]), so a
//     web page cannot reach the server through a name it controls (DNS
//     rebinding);
//   - writes only from the server's own pages or --cors origins (the
//     Origin header, else Sec-Fetch-Site), and only with a JSON body (a
//     .wasm, octet-stream or multipart body for uploads), so no cross-site
//     form or text/plain POST is taken;
//   - nosniff and a Content-Security-Policy on every answer;
//   - request bodies that must arrive at a minimum rate (408 otherwise).
func (s *Server) guard(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if isRunFile(r.URL.Path) {
			h.Set("Content-Security-Policy", cspFile)
		} else {
			h.Set("Content-Security-Policy", cspUI)
		}
		if s.cfg.token == "" && !loopbackHost(r) {
			return apiErr(http.StatusForbidden, "forbidden", "this server has no token, so it answers only requests to 127.0.0.1, localhost or [::1] on its own port, not to %q: start it with --token to serve other names", r.Host)
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if err := s.sameOrigin(r); err != nil {
			return err
		}
		if err := writeType(r); err != nil {
			return err
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &rateBody{r: r.Body, rc: http.NewResponseController(c.Response().Writer), rate: s.cfg.uploadRate, window: s.cfg.rateWindow}
		}
		return next(c)
	}
}

// isRunFile reports whether path is a run's file (/api/v1/runs/ID/files/F).
func isRunFile(path string) bool {
	rest, ok := strings.CutPrefix(path, APIPrefix+"/runs/")
	if !ok {
		return false
	}
	_, file, ok := strings.Cut(rest, "/files/")
	return ok && file != ""
}

// loopbackHost reports whether the request is addressed to a loopback name
// and, when the listener is known, to the port it came in on.
func loopbackHost(r *http.Request) bool {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	switch strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")) {
	case "127.0.0.1", "localhost", "::1":
	default:
		return false
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, lport, err := net.SplitHostPort(la.String()); err == nil {
			if port == "" {
				port = "80"
			}
			return port == lport
		}
	}
	return true
}

// sameOrigin refuses a write that a browser sent from another site.
func (s *Server) sameOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			return apiErr(http.StatusForbidden, "forbidden", "cross-site write refused: this server takes writes only from its own pages")
		}
		return nil // not from a browser page
	}
	if slices.Contains(s.cfg.cors, "*") || slices.Contains(s.cfg.cors, origin) {
		return nil
	}
	if u, err := url.Parse(origin); err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	return apiErr(http.StatusForbidden, "forbidden", "cross-origin write from %q refused: this server takes writes only from its own pages (or origins given to --cors)", origin)
}

// uploadTypes are the bodies a module upload may have.
var uploadTypes = []string{"application/wasm", "application/octet-stream", "multipart/form-data"}

// writeType refuses a write body that is not JSON (not a module, for an
// upload): a browser sends a cross-site form or text/plain body without
// asking first, never a JSON one.
func writeType(r *http.Request) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil // no body
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.URL.Path == APIPrefix+"/modules" {
		if err == nil && slices.Contains(uploadTypes, mt) {
			return nil
		}
		return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "upload the module as application/wasm, application/octet-stream or multipart/form-data, not %q", r.Header.Get("Content-Type"))
	}
	if r.URL.Path == APIPrefix+"/bundles" {
		if err == nil && mt == "application/zip" {
			return nil
		}
		return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the bundle as application/zip, not %q", r.Header.Get("Content-Type"))
	}
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the request body as application/json, not %q", r.Header.Get("Content-Type"))
}

// rateBody is a request body that must bring at least rate bytes per
// second over every window: a client that trickles its body (to hold a
// connection and whatever it waits for) is cut off with errSlowBody. The
// connection's read deadline enforces it while a read blocks.
type rateBody struct {
	r      io.ReadCloser
	rc     *http.ResponseController
	rate   int64
	window time.Duration
	start  time.Time
	got    int64
}

func (b *rateBody) Read(p []byte) (int, error) {
	now := time.Now()
	if b.start.IsZero() {
		b.newWindow(now)
	}
	n, err := b.r.Read(p)
	b.got += int64(n)
	need := int64(float64(b.rate) * b.window.Seconds())
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), err == nil && b.got < need && time.Since(b.start) > b.window:
		return n, fmt.Errorf("%w: less than %d bytes in %v", errSlowBody, need, b.window)
	case err == nil && b.got >= need:
		b.newWindow(time.Now())
	}
	if err != nil {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// newWindow starts a window at now: the body has until its end to bring
// the window's bytes.
func (b *rateBody) newWindow(now time.Time) {
	b.start, b.got = now, 0
	_ = b.rc.SetReadDeadline(now.Add(b.window)) // unsupported: the check after each read remains
}

func (b *rateBody) Close() error { return b.r.Close() }
