package identity

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

// Handler serves the identity admin API on Kratos's paths.
type Handler struct{ s *Service }

// NewHandler returns the HTTP handler of s.
func NewHandler(s *Service) *Handler { return &Handler{s: s} }

// MountAdmin registers the admin API.
func (h *Handler) MountAdmin(r *web.Router) {
	r.Handle("GET /admin/identities", h.list)
	r.Handle("POST /admin/identities", h.create)
	r.Handle("PATCH /admin/identities", h.batch)
	r.Handle("GET /admin/identities/{id}", h.get)
	r.Handle("GET /admin/identities/by/external/{externalID}", h.getByExternal)
	r.Handle("PUT /admin/identities/{id}", h.update)
	r.Handle("PATCH /admin/identities/{id}", h.patch)
	r.Handle("DELETE /admin/identities/{id}", h.delete)
	r.Handle("DELETE /admin/identities/{id}/credentials/{type}", h.deleteCredential)
}

// httpError maps service errors to the envelope.
func httpError(err error) error {
	var ie *InvalidError
	switch {
	case errors.As(err, &ie):
		e := web.BadRequest("%s", ie.Reason).WithCause(err)
		if ie.Details != nil {
			e = e.WithDetails("messages", ie.Details)
		}
		return e
	case errors.Is(err, storage.ErrNotFound):
		return web.NotFound("Unable to locate the resource").WithCause(err)
	case errors.Is(err, storage.ErrConflict):
		return web.Conflict("An identity with the same identifier, address or external id already exists.").WithCause(err)
	}
	return err
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) error {
	var b CreateBody
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	i, err := h.s.Create(r.Context(), b)
	if err != nil {
		return httpError(err)
	}
	w.Header().Set("Location", "/admin/identities/"+url.PathEscape(i.ID))
	web.WriteJSON(w, http.StatusCreated, i)
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) error {
	i, err := h.s.Get(r.Context(), r.PathValue("id"), r.URL.Query()["include_credential"])
	if err != nil {
		return httpError(err)
	}
	web.WriteJSON(w, http.StatusOK, i)
	return nil
}

func (h *Handler) getByExternal(w http.ResponseWriter, r *http.Request) error {
	i, err := h.s.GetByExternalID(r.Context(), r.PathValue("externalID"), r.URL.Query()["include_credential"])
	if err != nil {
		return httpError(err)
	}
	web.WriteJSON(w, http.StatusOK, i)
	return nil
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) error {
	var b UpdateBody
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	i, err := h.s.Update(r.Context(), r.PathValue("id"), b)
	if err != nil {
		return httpError(err)
	}
	web.WriteJSON(w, http.StatusOK, i)
	return nil
}

func (h *Handler) patch(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	i, err := h.s.Patch(r.Context(), r.PathValue("id"), body)
	if err != nil {
		return httpError(err)
	}
	web.WriteJSON(w, http.StatusOK, i)
	return nil
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.Delete(r.Context(), r.PathValue("id")); err != nil {
		return httpError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) deleteCredential(w http.ResponseWriter, r *http.Request) error {
	err := h.s.DeleteCredential(r.Context(), r.PathValue("id"), r.PathValue("type"), r.URL.Query().Get("identifier"))
	if err != nil {
		return httpError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := ListRequest{PageToken: v.Get("page_token"), IDs: v["ids"], CredentialsIdentifier: v.Get("credentials_identifier"),
		Include: v["include_credential"], StoredAddresses: true}
	size := v.Get("page_size")
	if size == "" {
		size = v.Get("per_page")
	}
	if size != "" {
		n, err := strconv.Atoi(size)
		if err != nil || n < 1 {
			return web.BadRequest("page_size must be a whole number of at least 1, not %s.", strconv.Quote(size))
		}
		q.PageSize = n
	}
	p, err := h.s.List(r.Context(), q)
	if err != nil {
		return httpError(err)
	}
	if p.NextToken != "" {
		next := url.Values{}
		for k, vs := range v {
			if k != "page_token" && k != "page" && k != "per_page" {
				next[k] = vs
			}
		}
		next.Set("page_token", p.NextToken)
		if q.PageSize > 0 {
			next.Set("page_size", strconv.Itoa(q.PageSize))
		}
		w.Header().Set("Link", `</admin/identities?`+next.Encode()+`>; rel="next"`)
	}
	b := make([]byte, 0, 512*len(p.Identities)+3)
	b = append(b, '[')
	for k, i := range p.Identities {
		if k > 0 {
			b = append(b, ',')
		}
		if b, err = appendListed(b, i); err != nil {
			return err
		}
	}
	web.WriteJSONBytes(w, http.StatusOK, append(b, "]\n"...))
	return nil
}

// batchError is the error of one refused batch entry, in the envelope's shape.
type batchError struct {
	Code    int            `json:"code"`
	Status  string         `json:"status"`
	Reason  string         `json:"reason,omitempty"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (h *Handler) batch(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Identities []BatchItem `json:"identities"`
	}
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	res, err := h.s.Batch(r.Context(), b.Identities)
	if err != nil {
		return httpError(err)
	}
	type item struct {
		BatchResult
		Error *batchError `json:"error,omitempty"`
	}
	out := make([]item, len(res))
	for k, br := range res {
		out[k].BatchResult = br
		if br.Error != nil {
			e := web.AsError(httpError(br.Error))
			msg := http.StatusText(e.Code)
			if e.Code < 500 {
				out[k].Error = &batchError{Code: e.Code, Status: http.StatusText(e.Code), Reason: e.Reason, Message: msg, Details: e.Details}
			} else {
				out[k].Error = &batchError{Code: e.Code, Status: msg, Message: "An internal server error occurred"}
			}
		}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"identities": out})
	return nil
}
