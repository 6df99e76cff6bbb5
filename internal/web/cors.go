package web

import (
	"net/http"
	"strconv"
	"strings"
)

// CORS lets browser apps on other origins call the API (Ory's
// serve.public.cors keys): only origins on the list get an answer they may
// read; preflight requests are answered here, before routing.
type CORS struct {
	AllowedOrigins   []string // exact origins, "*" for any, or "https://*.example.com"
	AllowedMethods   []string
	AllowedHeaders   []string
	ExposedHeaders   []string
	AllowCredentials bool
	MaxAge           int // seconds a preflight may be cached
}

// defaults fills what is left empty.
func (c CORS) withDefaults() CORS {
	if len(c.AllowedMethods) == 0 {
		c.AllowedMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	}
	if len(c.AllowedHeaders) == 0 {
		c.AllowedHeaders = []string{"Authorization", "Content-Type", "Accept", "X-Session-Token", "X-CSRF-Token", "Cookie"}
	}
	if len(c.ExposedHeaders) == 0 {
		c.ExposedHeaders = []string{"Content-Type", "Link", "X-Total-Count", "X-Request-Id"}
	}
	return c
}

func (c CORS) allowed(origin string) bool {
	for _, o := range c.AllowedOrigins {
		switch {
		case o == "*":
			return true
		case strings.EqualFold(o, origin):
			return true
		case strings.Contains(o, "://*."):
			scheme, rest, _ := strings.Cut(o, "://*.")
			os, host, ok := strings.Cut(origin, "://")
			if ok && strings.EqualFold(os, scheme) && strings.HasSuffix(strings.ToLower(host), "."+strings.ToLower(rest)) {
				return true
			}
		}
	}
	return false
}

// Handler wraps h with the policy.
func (c CORS) Handler(h http.Handler) http.Handler {
	c = c.withDefaults()
	methods, headers := strings.Join(c.AllowedMethods, ", "), strings.Join(c.AllowedHeaders, ", ")
	exposed := strings.Join(c.ExposedHeaders, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			h.ServeHTTP(w, r)
			return
		}
		hd := w.Header()
		hd.Add("Vary", "Origin")
		ok := c.allowed(origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hd.Add("Vary", "Access-Control-Request-Method")
			hd.Add("Vary", "Access-Control-Request-Headers")
			if ok {
				hd.Set("Access-Control-Allow-Origin", origin)
				hd.Set("Access-Control-Allow-Methods", methods)
				hd.Set("Access-Control-Allow-Headers", headers)
				if c.AllowCredentials {
					hd.Set("Access-Control-Allow-Credentials", "true")
				}
				if c.MaxAge > 0 {
					hd.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
				}
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if ok {
			hd.Set("Access-Control-Allow-Origin", origin)
			hd.Set("Access-Control-Expose-Headers", exposed)
			if c.AllowCredentials {
				hd.Set("Access-Control-Allow-Credentials", "true")
			}
		}
		h.ServeHTTP(w, r)
	})
}
