package web

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/warden-iam/warden/internal/version"
)

// Check reports whether one dependency (e.g. "database") is usable.
type Check func(ctx context.Context) error

// Health serves /health/alive, /health/ready and /version.
type Health struct {
	Checks  map[string]Check
	Timeout time.Duration // per readiness probe; default 2s
}

// Mount registers the health and version routes.
func (h *Health) Mount(r *Router) {
	r.Handle("GET /health/alive", h.alive)
	r.Handle("GET /health/ready", h.ready)
	r.Handle("GET /version", h.version)
}

func (h *Health) alive(w http.ResponseWriter, r *http.Request) error {
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (h *Health) ready(w http.ResponseWriter, r *http.Request) error {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	names := make([]string, 0, len(h.Checks))
	for n := range h.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	problems := map[string]string{}
	for _, n := range names {
		if err := h.Checks[n](ctx); err != nil {
			problems[n] = err.Error()
		}
	}
	if len(problems) > 0 {
		WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"errors": problems})
		return nil
	}
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (h *Health) version(w http.ResponseWriter, r *http.Request) error {
	WriteJSON(w, http.StatusOK, map[string]string{"version": version.String()})
	return nil
}
