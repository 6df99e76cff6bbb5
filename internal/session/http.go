package session

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

// Handler serves the session APIs on Kratos's paths.
type Handler struct{ s *Service }

// NewHandler returns the HTTP handler of s.
func NewHandler(s *Service) *Handler { return &Handler{s: s} }

// MountPublic registers whoami and the caller's own session management.
func (h *Handler) MountPublic(r *web.Router) {
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		r.Handle(m+" /sessions/whoami", h.whoami)
	}
	r.Handle("GET /sessions", h.listMine)
	r.Handle("DELETE /sessions", h.disableMyOthers)
	r.Handle("DELETE /sessions/{id}", h.disableMine)
	r.Handle("DELETE /self-service/logout/api", h.logoutAPI)
}

// MountAdmin registers the admin API.
func (h *Handler) MountAdmin(r *web.Router) {
	r.Handle("GET /admin/sessions", h.list)
	r.Handle("GET /admin/sessions/{id}", h.get)
	r.Handle("DELETE /admin/sessions/{id}", h.disable)
	r.Handle("PATCH /admin/sessions/{id}/extend", h.extend)
	r.Handle("GET /admin/identities/{id}/sessions", h.listOfIdentity)
	r.Handle("DELETE /admin/identities/{id}/sessions", h.disableOfIdentity)
}

// errNoSession is the answer to a request without a valid session.
func errNoSession(err error) error {
	return web.Unauthorized("No active session was found in this request.").WithID("session_inactive").WithCause(err)
}

func httpError(err error) error {
	switch {
	case errors.Is(err, ErrNoSession):
		return errNoSession(err)
	case errors.Is(err, storage.ErrNotFound):
		return web.NotFound("Unable to locate the resource").WithCause(err)
	}
	return err
}

// Whoami headers.
const headerIdentityID = "X-Kratos-Authenticated-Identity-Id"

func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) error {
	body, identityID, err := h.s.Whoami(r)
	if err != nil {
		return httpError(err)
	}
	hd := w.Header()
	hd.Set(headerIdentityID, identityID)
	hd.Set("Cache-Control", "private, no-cache, no-store, must-revalidate")
	hd.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

type page struct {
	size  int
	after string
}

func pageOf(r *http.Request) (page, error) {
	v := r.URL.Query()
	p := page{size: 250}
	if s := v.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, web.BadRequest("page_size must be a whole number of at least 1, not %s.", strconv.Quote(s))
		}
		p.size = min(n, 1000)
	}
	if t := v.Get("page_token"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || len(b) == 0 {
			return p, web.BadRequest("page_token is not a token this server issued.")
		}
		p.after = string(b)
	}
	return p, nil
}

func activeOf(r *http.Request) (*bool, error) {
	s := r.URL.Query().Get("active")
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, web.BadRequest("active must be true or false, not %s.", strconv.Quote(s))
	}
	return &b, nil
}

// writePage answers a page of sessions with a Link header to the next.
func writePage(w http.ResponseWriter, r *http.Request, path string, p page, out []*Session) {
	if len(out) > p.size {
		out = out[:p.size]
		next := url.Values{}
		for k, vs := range r.URL.Query() {
			next[k] = vs
		}
		next.Set("page_token", base64.RawURLEncoding.EncodeToString([]byte(out[len(out)-1].ID)))
		next.Set("page_size", strconv.Itoa(p.size))
		w.Header().Set("Link", "<"+path+"?"+next.Encode()+`>; rel="next"`)
	}
	if out == nil {
		out = []*Session{}
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) listMine(w http.ResponseWriter, r *http.Request) error {
	se, err := h.s.FromRequest(r)
	if err != nil {
		return httpError(err)
	}
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	active := true
	all, err := h.s.List(r.Context(), ListQuery{IdentityID: se.IdentityID, Active: &active, After: p.after, Limit: p.size + 2})
	if err != nil {
		return err
	}
	var others []*Session
	for _, o := range all {
		if o.ID != se.ID && o.Active {
			others = append(others, o)
		}
	}
	writePage(w, r, "/sessions", p, others)
	return nil
}

func (h *Handler) disableMyOthers(w http.ResponseWriter, r *http.Request) error {
	se, err := h.s.FromRequest(r)
	if err != nil {
		return httpError(err)
	}
	n, err := h.s.DisableOthers(r.Context(), se.IdentityID, se.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]int{"count": n})
	return nil
}

func (h *Handler) disableMine(w http.ResponseWriter, r *http.Request) error {
	se, err := h.s.FromRequest(r)
	if err != nil {
		return httpError(err)
	}
	id := r.PathValue("id")
	if id == se.ID {
		return web.BadRequest("The current session cannot be revoked here; sign out instead.")
	}
	o, err := h.s.Get(r.Context(), id, false)
	if err != nil || o.IdentityID != se.IdentityID {
		return web.NotFound("Unable to locate the resource")
	}
	if err := h.s.Disable(r.Context(), id); err != nil {
		return httpError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) logoutAPI(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		SessionToken string `json:"session_token"`
	}
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.SessionToken == "" {
		return web.BadRequest("session_token is required.")
	}
	if err := h.s.DisableByToken(r.Context(), b.SessionToken, ViaToken); err != nil {
		if errors.Is(err, ErrNoSession) {
			return web.Forbidden("The session token is not valid or the session has ended.").WithID("session_inactive")
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// expansion reads the expand parameter: identity and/or devices.
func expansion(r *http.Request) (identity, devices bool, err error) {
	for _, e := range r.URL.Query()["expand"] {
		switch e {
		case "identity":
			identity = true
		case "devices":
			devices = true
		default:
			return false, false, web.BadRequest("expand may be identity or devices, not %s.", strconv.Quote(e))
		}
	}
	return identity, devices, nil
}

// expand drops what was not asked for.
func expand(out []*Session, identity, devices bool) {
	for _, se := range out {
		if !identity {
			se.Identity = nil
		}
		if !devices {
			se.Devices = nil
		}
	}
}

// idParam is the path's session or identity id, which must be a UUID.
func idParam(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if _, err := uuid.Parse(id); err != nil {
		return "", web.BadRequest("%s is not a UUID.", strconv.Quote(id))
	}
	return id, nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	active, err := activeOf(r)
	if err != nil {
		return err
	}
	withIdentity, withDevices, err := expansion(r)
	if err != nil {
		return err
	}
	out, err := h.s.List(r.Context(), ListQuery{Active: active, After: p.after, Limit: p.size + 1, WithIdentity: withIdentity})
	if err != nil {
		return err
	}
	expand(out, withIdentity, withDevices)
	writePage(w, r, "/admin/sessions", p, out)
	return nil
}

func (h *Handler) listOfIdentity(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	active, err := activeOf(r)
	if err != nil {
		return err
	}
	id, err := idParam(r)
	if err != nil {
		return err
	}
	out, err := h.s.List(r.Context(), ListQuery{IdentityID: id, Active: active, After: p.after, Limit: p.size + 1, WithIdentity: true})
	if err != nil {
		return err
	}
	writePage(w, r, "/admin/identities/"+url.PathEscape(id)+"/sessions", p, out)
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	withIdentity, withDevices, err := expansion(r)
	if err != nil {
		return err
	}
	se, err := h.s.Get(r.Context(), id, withIdentity)
	if err != nil {
		return httpError(err)
	}
	expand([]*Session{se}, withIdentity, withDevices)
	web.WriteJSON(w, http.StatusOK, se)
	return nil
}

func (h *Handler) disable(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := h.s.Disable(r.Context(), id); err != nil {
		return httpError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) extend(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	se, err := h.s.Extend(r.Context(), id)
	if err != nil {
		return httpError(err)
	}
	web.WriteJSON(w, http.StatusOK, se)
	return nil
}

func (h *Handler) disableOfIdentity(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	n, err := h.s.DeleteOf(r.Context(), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return web.NotFound("The identity %s has no sessions.", id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
