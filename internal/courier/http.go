package courier

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

// Handler serves the courier's admin API on Kratos's paths.
type Handler struct{ s *Service }

// NewHandler returns the HTTP handler of s.
func NewHandler(s *Service) *Handler { return &Handler{s: s} }

// MountAdmin registers the admin API.
func (h *Handler) MountAdmin(r *web.Router) {
	r.Handle("GET /admin/courier/messages", h.list)
	r.Handle("GET /admin/courier/messages/{id}", h.get)
}

// httpError maps service errors to the envelope; a refused field or query
// parameter is named in details.field.
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
		return web.NotFound("The courier message %s does not exist.", strconv.Quote(id)).WithCause(err)
	}
	return err
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := ListQuery{Status: Status(v.Get("status")), Recipient: v.Get("recipient"), PageToken: v.Get("page_token")}
	if v.Has("status") && q.Status == "" {
		return web.BadRequest("status must be queued, processing, sent or abandoned.").WithDetails("field", "status")
	}
	if v.Has("page_size") {
		n, err := web.ParsePageSize(v.Get("page_size"))
		if err != nil {
			return err
		}
		q.PageSize = n
	}
	if v.Has("page_token") && q.PageToken == "" {
		return web.BadRequest("page_token is not a token this server issued.").WithDetails("field", "page_token")
	}
	p, err := h.s.List(r.Context(), q)
	if err != nil {
		return httpError(err, "")
	}
	if p.NextToken != "" {
		web.SetNextLink(w, r, []string{"status", "recipient", "page_size"}, p.NextToken)
	}
	web.WriteJSON(w, http.StatusOK, p.Messages)
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	m, err := h.s.Get(r.Context(), id)
	if err != nil {
		return httpError(err, id)
	}
	web.WriteJSON(w, http.StatusOK, m)
	return nil
}
