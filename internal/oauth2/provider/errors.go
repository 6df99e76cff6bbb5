package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/warden-iam/warden/internal/web"
)

// Error is an OAuth 2.0 error (RFC 6749 section 5.2 and its extensions),
// written as {"error","error_description","error_hint","status_code"}.
type Error struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Hint        string `json:"error_hint,omitempty"`
	Debug       string `json:"error_debug,omitempty"`
	Status      int    `json:"status_code,omitempty"`
	cause       error
}

func (e *Error) Error() string {
	if e.Description != "" {
		return e.Code + ": " + e.Description
	}
	return e.Code
}

func (e *Error) Unwrap() error { return e.cause }

func (e *Error) withCause(err error) *Error { e.cause = err; return e }

func oauthErr(code string, status int, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Description: fmt.Sprintf(format, args...)}
}

func errInvalidRequest(format string, args ...any) *Error {
	return oauthErr("invalid_request", http.StatusBadRequest, format, args...)
}

func errInvalidClient(format string, args ...any) *Error {
	return oauthErr("invalid_client", http.StatusUnauthorized, format, args...)
}

func errInvalidGrant(format string, args ...any) *Error {
	return oauthErr("invalid_grant", http.StatusBadRequest, format, args...)
}

func errUnauthorizedClient(format string, args ...any) *Error {
	return oauthErr("unauthorized_client", http.StatusBadRequest, format, args...)
}

func errInvalidScope(format string, args ...any) *Error {
	return oauthErr("invalid_scope", http.StatusBadRequest, format, args...)
}

func errAccessDenied(format string, args ...any) *Error {
	return oauthErr("access_denied", http.StatusForbidden, format, args...)
}

func errServer(err error) *Error {
	return (&Error{Code: "server_error", Status: http.StatusInternalServerError,
		Description: "The authorization server encountered an unexpected condition."}).withCause(err)
}

// asOAuth turns any error into an *Error; anything not already one is a
// server error.
func asOAuth(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return errServer(err)
}

// writeOAuthError writes err in the RFC 6749 JSON form, logging server
// errors with their cause. Client authentication failures carry a
// WWW-Authenticate challenge.
func writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	e := asOAuth(err)
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	if status >= 500 {
		web.Logger(r.Context()).Error("oauth2 request failed", slog.String("error", fmt.Sprint(e.cause)))
	}
	if e.Code == "invalid_client" && status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth2", charset="UTF-8"`)
	}
	out := *e
	out.Status = status
	noStore(w)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

// noStore marks a response carrying tokens or credentials as not cacheable.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// oauthHandler adapts a handler whose errors are written as OAuth 2.0 errors.
func oauthHandler(h func(w http.ResponseWriter, r *http.Request) error) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := h(w, r); err != nil {
			writeOAuthError(w, r, err)
		}
		return nil
	}
}
