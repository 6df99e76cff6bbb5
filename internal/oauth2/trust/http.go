package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

// Handler serves the admin API of trust relationships on Hydra's paths.
type Handler struct{ s *Service }

// NewHandler returns the HTTP handler of s.
func NewHandler(s *Service) *Handler { return &Handler{s: s} }

// issuersPath is the collection of trust relationships.
const issuersPath = "/admin/trust/grants/jwt-bearer/issuers"

// MountAdmin registers the admin API.
func (h *Handler) MountAdmin(r *web.Router) {
	r.Handle("POST "+issuersPath, h.create)
	r.Handle("GET "+issuersPath, h.list)
	r.Handle("GET "+issuersPath+"/{id}", h.get)
	r.Handle("DELETE "+issuersPath+"/{id}", h.delete)
}

// httpError maps service errors to the envelope; a refused field is named
// in details.field. notFound and conflict are the reasons of 404 and 409.
func httpError(err error, notFound, conflict string) error {
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		e := web.BadRequest("%s", fe.Reason).WithCause(err)
		if fe.Field != "" {
			e = e.WithDetails("field", fe.Field)
		}
		return e
	case errors.Is(err, storage.ErrNotFound):
		return web.NotFound("%s", notFound).WithCause(err)
	case errors.Is(err, storage.ErrConflict):
		return web.Conflict("%s", conflict).WithCause(err)
	}
	return err
}

func notFound(id string) string {
	return fmt.Sprintf("The trust relationship %s does not exist.", strconv.Quote(id))
}

// createBody is the body of POST /admin/trust/grants/jwt-bearer/issuers.
// jwk and expires_at are read raw, so that a malformed value is refused
// naming its field.
type createBody struct {
	Issuer          string          `json:"issuer"`
	Subject         string          `json:"subject"`
	AllowAnySubject bool            `json:"allow_any_subject"`
	Scope           []string        `json:"scope"`
	JWK             json.RawMessage `json:"jwk"`
	ExpiresAt       json.RawMessage `json:"expires_at"`
}

// present tells whether a raw member was sent with a value.
func present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// request parses the raw members; the service checks the rest.
func (b createBody) request() (Request, error) {
	r := Request{Issuer: b.Issuer, Subject: b.Subject, AllowAnySubject: b.AllowAnySubject, Scope: b.Scope}
	if present(b.JWK) {
		k, err := ParseKey(b.JWK)
		if err != nil {
			return Request{}, err
		}
		r.Key = k
	}
	if present(b.ExpiresAt) {
		var s string
		if err := json.Unmarshal(b.ExpiresAt, &s); err != nil {
			return Request{}, invalid("expires_at", "expires_at must be a date-time string (RFC 3339), such as \"2030-01-02T15:04:05Z\".")
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return Request{}, invalid("expires_at", "expires_at %s is not a date-time (RFC 3339), such as \"2030-01-02T15:04:05Z\".", strconv.Quote(s))
		}
		r.ExpiresAt = t
	}
	return r, nil
}

// conflict says why a create was refused with 409.
func conflict(err error, r Request) string {
	if errors.Is(err, ErrKeyMismatch) {
		return fmt.Sprintf("Issuer %s already has another key with kid %s; give this key a kid of its own.",
			strconv.Quote(r.Issuer), strconv.Quote(r.Key.KeyID))
	}
	who := "subject " + strconv.Quote(r.Subject)
	if r.AllowAnySubject {
		who = "any subject"
	}
	return fmt.Sprintf("Issuer %s is already trusted to assert %s with key %s.", strconv.Quote(r.Issuer), who, strconv.Quote(r.Key.KeyID))
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) error {
	var b createBody
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	req, err := b.request()
	if err != nil {
		return httpError(err, "", "")
	}
	out, err := h.s.Create(r.Context(), req)
	if err != nil {
		return httpError(err, "", conflict(err, req))
	}
	web.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := ListQuery{Issuer: v.Get("issuer"), PageToken: v.Get("page_token")}
	if s := v.Get("page_size"); s != "" {
		n, err := web.ParsePageSize(s)
		if err != nil {
			return err
		}
		q.PageSize = n
	}
	p, err := h.s.List(r.Context(), q)
	if err != nil {
		return httpError(err, "", "")
	}
	if p.NextToken != "" {
		web.SetNextLink(w, r, []string{"issuer", "page_size"}, p.NextToken)
	}
	web.WriteJSON(w, http.StatusOK, p.Issuers)
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	is, err := h.s.Get(r.Context(), id)
	if err != nil {
		return httpError(err, notFound(id), "")
	}
	web.WriteJSON(w, http.StatusOK, is)
	return nil
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := h.s.Delete(r.Context(), id); err != nil {
		return httpError(err, notFound(id), "")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
