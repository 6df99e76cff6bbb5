package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	loggerKey
)

// RequestID returns the id of the request being served ("" outside one).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Logger returns the request's logger (carrying its request id), or the default.
// It is built on demand, so requests that log nothing pay nothing for it.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		if rid := RequestID(ctx); rid != "" {
			return l.With(slog.String("request_id", rid))
		}
		return l
	}
	return slog.Default()
}

// Options configures the middleware stack of one listener.
type Options struct {
	Name             string // "public" or "admin": a metrics label and log field
	Logger           *slog.Logger
	Metrics          *Metrics // nil disables metrics
	MaxBodyBytes     int64
	LogHealthChecks  bool
	ContentSecurity  string // Content-Security-Policy default; "" uses a strict API policy
	TrustedRequestID bool   // accept X-Request-Id from the client
}

const defaultCSP = "default-src 'none'; frame-ancestors 'none'"

// Wrap returns h inside Warden's middleware: request id, access log and
// metrics, panic recovery, security headers and the body size limit.
func Wrap(h http.Handler, o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	csp := o.ContentSecurity
	if csp == "" {
		csp = defaultCSP
	}
	var m *listenerMetrics
	if o.Metrics != nil {
		m = o.Metrics.forListener(o.Name)
	}
	base := o.Logger.With(slog.String("listener", o.Name))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := ""
		if o.TrustedRequestID {
			rid = sanitizeRequestID(r.Header.Get("X-Request-Id"))
		}
		if rid == "" {
			rid = newRequestID()
		}
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, rid), loggerKey, base)
		r = r.WithContext(ctx)

		hdr := w.Header()
		hdr.Set("X-Request-Id", rid)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		hdr.Set("Content-Security-Policy", csp)

		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, o.MaxBodyBytes)
		}
		sw := &statusWriter{ResponseWriter: w}
		if m != nil {
			m.inflight.Inc()
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					Logger(ctx).LogAttrs(ctx, slog.LevelError, "panic while serving request",
						slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
					if !sw.wroteHeader {
						WriteError(sw, r, fmt.Errorf("panic: %v", p))
					}
				}
			}()
			h.ServeHTTP(sw, r)
		}()
		if !sw.wroteHeader {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		if m != nil {
			m.inflight.Dec()
			m.observe(route, r.Method, sw.status, elapsed)
		}
		if !o.LogHealthChecks && (r.URL.Path == "/health/alive" || r.URL.Path == "/health/ready") {
			return
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		base.LogAttrs(ctx, level, "request",
			slog.String("request_id", rid),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path), // never the query: it may hold tokens
			slog.String("route", route),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// sanitizeRequestID keeps a client-sent id only if it is short and plain.
func sanitizeRequestID(s string) string {
	if len(s) == 0 || len(s) > 64 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return ""
		}
	}
	return s
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status = code
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.status = http.StatusOK
		w.wroteHeader = true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes flushes through for streaming responses.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if !w.wroteHeader {
			w.status = http.StatusOK
			w.wroteHeader = true
		}
		f.Flush()
	}
}
