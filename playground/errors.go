package playground

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// Problem is one located problem in a request body (a scenario error).
type Problem struct {
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// APIError is an error with the HTTP status and the JSON body it becomes.
// Handlers return it; the server's one error handler writes it.
type APIError struct {
	Status int `json:"-"`
	// Code is a stable machine-readable word: malformed, too_large, abi,
	// unsupported, scenario, limit, not_found, method_not_allowed, unauthorized,
	// busy, memory, conflict, gone, bad_request, forbidden,
	// unsupported_media_type, timeout, insufficient_storage, worker (a
	// run's worker process ended or did not answer), internal.
	Code     string    `json:"code"`
	Message  string    `json:"message"`
	Problems []Problem `json:"problems,omitempty"`
	// RetryAfter, in seconds, becomes the Retry-After header (429, 503).
	RetryAfter int `json:"retry_after,omitempty"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("playground: %d %s: %s", e.Status, e.Code, e.Message)
}

func apiErr(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error *APIError `json:"error"`
}

// handleError is echo's HTTPErrorHandler: every error becomes a JSON body
// naming the problem.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var ae *APIError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &he):
		code := "bad_request"
		switch he.Code {
		case http.StatusNotFound:
			code = "not_found"
		case http.StatusMethodNotAllowed:
			code = "method_not_allowed"
		case http.StatusRequestEntityTooLarge:
			code = "too_large"
		case http.StatusUnauthorized:
			code = "unauthorized"
		}
		if he.Code >= 500 {
			code = "internal"
		}
		msg := fmt.Sprint(he.Message)
		if he.Code == http.StatusNotFound || he.Code == http.StatusMethodNotAllowed {
			msg = fmt.Sprintf("%s: %s %s", msg, c.Request().Method, c.Request().URL.Path)
		}
		ae = &APIError{Status: he.Code, Code: code, Message: msg}
	default:
		s.logf("playground: %s %s: %v", c.Request().Method, c.Request().URL.Path, err)
		ae = &APIError{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
	}
	if ae.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	_ = c.JSON(ae.Status, errorBody{Error: ae})
}
