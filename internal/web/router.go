package web

import (
	"net/http"
)

// Handler is an HTTP handler that returns its error instead of writing it; the
// router writes it once, in the envelope.
type Handler func(w http.ResponseWriter, r *http.Request) error

// Router is a net/http.ServeMux whose handlers return errors. Patterns use
// ServeMux syntax ("GET /admin/identities/{id}"). Unmatched paths answer 404
// in the envelope.
type Router struct {
	mux      *http.ServeMux
	patterns []string
}

// NewRouter returns an empty router.
func NewRouter() *Router {
	r := &Router{mux: http.NewServeMux()}
	r.mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		WriteError(w, req, NotFound("No route matches %s %s.", req.Method, req.URL.Path))
	})
	return r
}

// Handle registers h for pattern.
func (r *Router) Handle(pattern string, h Handler) {
	r.patterns = append(r.patterns, pattern)
	r.mux.HandleFunc(pattern, func(w http.ResponseWriter, req *http.Request) {
		if err := h(w, req); err != nil {
			WriteError(w, req, err)
		}
	})
}

// HandleHTTP registers a plain http.Handler for pattern.
func (r *Router) HandleHTTP(pattern string, h http.Handler) {
	r.patterns = append(r.patterns, pattern)
	r.mux.Handle(pattern, h)
}

// Patterns lists the registered route patterns in registration order (for
// the API document and its tests).
func (r *Router) Patterns() []string { return append([]string(nil), r.patterns...) }

// ServeHTTP dispatches to the matching handler.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.mux.ServeHTTP(w, req) }

// Mounter is implemented by every service's HTTP handler.
type Mounter interface {
	Mount(r *Router)
}
