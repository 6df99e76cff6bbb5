package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/warden-iam/warden/internal/storage"
)

// Error is an error with an HTTP status and the fields of Ory's error envelope.
type Error struct {
	Code    int            // HTTP status
	ID      string         // machine-readable id, e.g. "security_csrf_violation"
	Reason  string         // what exactly went wrong, safe to show
	Message string         // short generic text; defaults to the status's text
	Details map[string]any // extra structured information
	Cause   error          // internal cause: logged, never sent
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Code, e.message(), e.Reason, e.Cause)
	}
	return fmt.Sprintf("%d %s: %s", e.Code, e.message(), e.Reason)
}

func (e *Error) Unwrap() error { return e.Cause }

func (e *Error) message() string {
	if e.Message != "" {
		return e.Message
	}
	if m, ok := defaultMessages[e.Code]; ok {
		return m
	}
	return http.StatusText(e.Code)
}

var defaultMessages = map[int]string{
	http.StatusBadRequest:            "The request was malformed or contained invalid parameters",
	http.StatusUnauthorized:          "The request could not be authorized",
	http.StatusForbidden:             "The requested action was forbidden",
	http.StatusNotFound:              "The requested resource could not be found",
	http.StatusMethodNotAllowed:      "The request method is not supported by this resource",
	http.StatusConflict:              "The resource could not be created due to a conflict",
	http.StatusGone:                  "The requested resource is no longer available",
	http.StatusRequestEntityTooLarge: "The request body is too large",
	http.StatusUnsupportedMediaType:  "The request body has an unsupported content type",
	http.StatusTooManyRequests:       "Too many requests, please slow down",
	http.StatusInternalServerError:   "An internal server error occurred, please contact the system administrator",
	http.StatusServiceUnavailable:    "The service is temporarily unavailable",
}

// WithID sets the machine-readable error id.
func (e *Error) WithID(id string) *Error { e.ID = id; return e }

// WithDetails adds structured details.
func (e *Error) WithDetails(k string, v any) *Error {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[k] = v
	return e
}

// WithCause records the internal cause (logged, never sent).
func (e *Error) WithCause(err error) *Error { e.Cause = err; return e }

// NewError builds an Error with a formatted reason.
func NewError(code int, format string, args ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400.
func BadRequest(format string, args ...any) *Error {
	return NewError(http.StatusBadRequest, format, args...)
}

// NotFound is a 404.
func NotFound(format string, args ...any) *Error {
	return NewError(http.StatusNotFound, format, args...)
}

// Conflict is a 409.
func Conflict(format string, args ...any) *Error {
	return NewError(http.StatusConflict, format, args...)
}

// Forbidden is a 403.
func Forbidden(format string, args ...any) *Error {
	return NewError(http.StatusForbidden, format, args...)
}

// Unauthorized is a 401.
func Unauthorized(format string, args ...any) *Error {
	return NewError(http.StatusUnauthorized, format, args...)
}

// envelope is the JSON body of every error response.
type envelope struct {
	Error payload `json:"error"`
}

type payload struct {
	ID      string         `json:"id,omitempty"`
	Code    int            `json:"code"`
	Status  string         `json:"status"`
	Request string         `json:"request,omitempty"`
	Reason  string         `json:"reason,omitempty"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// AsError turns any error into the *Error to send: storage sentinels map to
// their statuses, oversized bodies to 413, anything unknown to a 500 that keeps
// the cause for the log.
func AsError(err error) *Error {
	var we *Error
	if errors.As(err, &we) {
		return we
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return NewError(http.StatusRequestEntityTooLarge, "The request body exceeds %d bytes.", mbe.Limit)
	case errors.Is(err, storage.ErrNotFound):
		return NotFound("Unable to locate the resource").WithCause(err)
	case errors.Is(err, storage.ErrConflict):
		return Conflict("Unable to insert or update the resource because a resource with that value exists already").WithCause(err)
	case errors.Is(err, storage.ErrUnavailable):
		return NewError(http.StatusServiceUnavailable, "The database is unavailable.").WithCause(err)
	case errors.Is(err, context.DeadlineExceeded):
		return NewError(http.StatusServiceUnavailable, "The request timed out.").WithCause(err)
	}
	return &Error{Code: http.StatusInternalServerError, Cause: err}
}

// WriteError answers with the error envelope. Server-side errors are logged
// with their cause under the request id; their cause is never sent.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away; nobody is listening
	}
	e := AsError(err)
	rid := RequestID(r.Context())
	if e.Code >= 500 {
		Logger(r.Context()).LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.Int("status", e.Code), slog.String("error", err.Error()))
	}
	WriteJSON(w, e.Code, envelope{Error: payload{
		ID:      e.ID,
		Code:    e.Code,
		Status:  http.StatusText(e.Code),
		Request: rid,
		Reason:  e.Reason,
		Message: e.message(),
		Details: e.Details,
	}})
}
