package jwk

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

// Handler serves the key sets: the admin API on Hydra's paths and the public
// well-known set.
type Handler struct{ s *Service }

// NewHandler returns the HTTP handler of s.
func NewHandler(s *Service) *Handler { return &Handler{s: s} }

// MountAdmin registers the admin API.
func (h *Handler) MountAdmin(r *web.Router) {
	r.Handle("GET /admin/keys/{set}", h.getSet)
	r.Handle("POST /admin/keys/{set}", h.createSet)
	r.Handle("PUT /admin/keys/{set}", h.putSet)
	r.Handle("DELETE /admin/keys/{set}", h.deleteSet)
	r.Handle("GET /admin/keys/{set}/{kid}", h.getKey)
	r.Handle("PUT /admin/keys/{set}/{kid}", h.putKey)
	r.Handle("DELETE /admin/keys/{set}/{kid}", h.deleteKey)
}

// MountPublic registers /.well-known/jwks.json.
func (h *Handler) MountPublic(r *web.Router) {
	r.Handle("GET /.well-known/jwks.json", h.wellKnown)
}

// wellKnownAlgs are the keys the well-known set starts with: ES256 and RS256,
// so clients of either family find one.
var wellKnownAlgs = []string{"ES256", "RS256"}

// httpError maps service errors to the envelope.
func httpError(err error, what string) error {
	switch {
	case errors.Is(err, ErrInvalid):
		return web.BadRequest("%s", err.Error()).WithCause(err)
	case errors.Is(err, storage.ErrNotFound):
		return web.NotFound("%s", what).WithCause(err)
	case errors.Is(err, storage.ErrConflict):
		return web.Conflict("%s", what).WithCause(err)
	}
	return err
}

func setNotFound(set string) string { return "The JSON Web Key Set " + quote(set) + " does not exist." }

func keyNotFound(set, kid string) string {
	return "The JSON Web Key " + quote(kid) + " does not exist in set " + quote(set) + "."
}

func quote(s string) string { return strconv.Quote(s) }

func (h *Handler) getSet(w http.ResponseWriter, r *http.Request) error {
	set := r.PathValue("set")
	ks, err := h.s.List(r.Context(), set)
	if err != nil {
		return httpError(err, setNotFound(set))
	}
	web.WriteJSON(w, http.StatusOK, ks)
	return nil
}

// createBody is the body of POST /admin/keys/{set}.
type createBody struct {
	Alg string `json:"alg"`
	KID string `json:"kid"`
	Use string `json:"use"`
}

func (h *Handler) createSet(w http.ResponseWriter, r *http.Request) error {
	set := r.PathValue("set")
	var b createBody
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.Alg == "" {
		return web.BadRequest("alg is required; use one of %s.", strings.Join(Algorithms, ", ")).WithDetails("field", "alg")
	}
	k, err := h.s.Generate(r.Context(), set, b.Alg, b.KID, b.Use)
	if err != nil {
		return httpError(err, "The JSON Web Key "+quote(b.KID)+" exists already in set "+quote(set)+".")
	}
	web.WriteJSON(w, http.StatusCreated, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k}})
	return nil
}

func (h *Handler) putSet(w http.ResponseWriter, r *http.Request) error {
	set := r.PathValue("set")
	var ks jose.JSONWebKeySet
	if err := web.DecodeJSON(r, &ks); err != nil {
		return err
	}
	if err := h.s.Put(r.Context(), set, ks.Keys); err != nil {
		return httpError(err, setNotFound(set))
	}
	out, err := h.s.List(r.Context(), set)
	if err != nil {
		return httpError(err, setNotFound(set))
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) deleteSet(w http.ResponseWriter, r *http.Request) error {
	set := r.PathValue("set")
	if err := h.s.Delete(r.Context(), set); err != nil {
		return httpError(err, setNotFound(set))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getKey(w http.ResponseWriter, r *http.Request) error {
	set, kid := r.PathValue("set"), r.PathValue("kid")
	k, err := h.s.Get(r.Context(), set, kid)
	if err != nil {
		return httpError(err, keyNotFound(set, kid))
	}
	web.WriteJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k}})
	return nil
}

func (h *Handler) putKey(w http.ResponseWriter, r *http.Request) error {
	set, kid := r.PathValue("set"), r.PathValue("kid")
	var k jose.JSONWebKey
	if err := web.DecodeJSON(r, &k); err != nil {
		return err
	}
	if k.KeyID != kid {
		return web.BadRequest("The kid of the body (%s) must equal the kid of the path (%s).", quote(k.KeyID), quote(kid)).
			WithDetails("field", "kid")
	}
	if err := h.s.PutKey(r.Context(), set, k); err != nil {
		return httpError(err, keyNotFound(set, kid))
	}
	out, err := h.s.Get(r.Context(), set, kid)
	if err != nil {
		return httpError(err, keyNotFound(set, kid))
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) deleteKey(w http.ResponseWriter, r *http.Request) error {
	set, kid := r.PathValue("set"), r.PathValue("kid")
	if err := h.s.DeleteKey(r.Context(), set, kid); err != nil {
		return httpError(err, keyNotFound(set, kid))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// wellKnown serves the public keys of IDTokenSet and AccessTokenSet, generating the set on
// first need. Answers are cacheable for a minute and revalidated by ETag.
func (h *Handler) wellKnown(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := h.s.Published(ctx, IDTokenSet, AccessTokenSet)
	if err != nil {
		return err
	}
	if p.Stored == 0 {
		if err := h.s.Ensure(ctx, IDTokenSet, wellKnownAlgs...); err != nil {
			return err
		}
		if p, err = h.s.Published(ctx, IDTokenSet, AccessTokenSet); err != nil {
			return err
		}
	}
	hd := w.Header()
	hd.Set("Cache-Control", "public, max-age=60")
	hd.Set("ETag", p.ETag)
	if etagMatches(r.Header.Get("If-None-Match"), p.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	hd.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.JSON)
	return nil
}

// etagMatches applies If-None-Match (weak comparison, as RFC 9110 asks).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
