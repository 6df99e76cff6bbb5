package client

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

// Handler serves the admin API of OAuth2 clients on Hydra's paths.
type Handler struct{ s *Service }

// NewHandler returns the HTTP handler of s.
func NewHandler(s *Service) *Handler { return &Handler{s: s} }

// MountAdmin registers the admin API.
func (h *Handler) MountAdmin(r *web.Router) {
	r.Handle("POST /admin/clients", h.create)
	r.Handle("GET /admin/clients", h.list)
	r.Handle("GET /admin/clients/{id}", h.get)
	r.Handle("PUT /admin/clients/{id}", h.set)
	r.Handle("PATCH /admin/clients/{id}", h.patch)
	r.Handle("DELETE /admin/clients/{id}", h.delete)
	r.Handle("PUT /admin/clients/{id}/lifespans", h.setLifespans)
	r.Handle("POST /admin/clients/{id}/secrets/rotate", h.rotate)
	r.Handle("DELETE /admin/clients/{id}/secrets/rotate", h.deleteRotated)
}

// httpError maps service errors to the envelope; a refused field is named
// in details.field.
func httpError(err error, id string) error {
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		e := web.BadRequest("%s", fe.Reason).WithCause(err)
		if fe.Field != "" {
			e = e.WithDetails("field", fe.Field)
		}
		return e
	case errors.Is(err, storage.ErrNotFound):
		return web.NotFound("The OAuth2 client %s does not exist.", strconv.Quote(id)).WithCause(err)
	case errors.Is(err, storage.ErrConflict):
		return web.Conflict("An OAuth2 client with client_id %s exists already.", strconv.Quote(id)).WithCause(err)
	}
	return err
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) error {
	var c Client
	if err := web.DecodeJSON(r, &c); err != nil {
		return err
	}
	out, err := h.s.Create(r.Context(), c)
	if err != nil {
		return httpError(err, c.ID)
	}
	web.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := ListQuery{Name: v.Get("client_name"), Owner: v.Get("owner"), PageToken: v.Get("page_token")}
	if s := v.Get("page_size"); s != "" {
		n, err := web.ParsePageSize(s)
		if err != nil {
			return err
		}
		q.PageSize = n
	}
	p, err := h.s.List(r.Context(), q)
	if err != nil {
		return httpError(err, "")
	}
	if p.NextToken != "" {
		web.SetNextLink(w, r, []string{"client_name", "owner", "page_size"}, p.NextToken)
	}
	web.WriteJSON(w, http.StatusOK, p.Clients)
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	c, err := h.s.Get(r.Context(), id)
	if err != nil {
		return httpError(err, id)
	}
	web.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) set(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var c Client
	if err := web.DecodeJSON(r, &c); err != nil {
		return err
	}
	out, err := h.s.Set(r.Context(), id, c)
	if err != nil {
		return httpError(err, id)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) patch(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	// Decoding into raw JSON checks the content type, size and syntax.
	var raw json.RawMessage
	if err := web.DecodeJSON(r, &raw); err != nil {
		return err
	}
	out, err := h.s.Patch(r.Context(), id, raw)
	if err != nil {
		return httpError(err, id)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := h.s.Delete(r.Context(), id); err != nil {
		return httpError(err, id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) setLifespans(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var l Lifespans
	if r.ContentLength != 0 { // the body is optional: none clears every lifespan
		if err := web.DecodeJSON(r, &l); err != nil {
			return err
		}
	}
	out, err := h.s.SetLifespans(r.Context(), id, l)
	if err != nil {
		return httpError(err, id)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) rotate(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	out, err := h.s.RotateSecret(r.Context(), id)
	if err != nil {
		return httpError(err, id)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) deleteRotated(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	out, err := h.s.DeleteRotatedSecrets(r.Context(), id)
	if err != nil {
		return httpError(err, id)
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}
