package flow

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

// MountPublic registers the self-service endpoints.
func (s *Service) MountPublic(r *web.Router) {
	for _, k := range []string{KindLogin, KindRegistration, KindSettings, KindRecovery, KindVerification} {
		kind := k
		if kind == KindRecovery && !s.o.RecoveryEnabled || kind == KindVerification && !s.o.VerificationEnabled {
			disabled := func(w http.ResponseWriter, r *http.Request) error {
				return web.BadRequest("The %s flow is disabled.", kind).WithID("self_service_flow_disabled")
			}
			for _, p := range []string{"GET /self-service/" + kind + "/browser", "GET /self-service/" + kind + "/api",
				"GET /self-service/" + kind + "/flows", "POST /self-service/" + kind, "GET /self-service/" + kind} {
				r.Handle(p, disabled)
			}
			continue
		}
		r.Handle("GET /self-service/"+kind+"/browser", func(w http.ResponseWriter, r *http.Request) error {
			return s.create(w, r, kind, TypeBrowser)
		})
		r.Handle("GET /self-service/"+kind+"/api", func(w http.ResponseWriter, r *http.Request) error {
			return s.create(w, r, kind, TypeAPI)
		})
		r.Handle("GET /self-service/"+kind+"/flows", func(w http.ResponseWriter, r *http.Request) error {
			return s.get(w, r, kind)
		})
		r.Handle("POST /self-service/"+kind, func(w http.ResponseWriter, r *http.Request) error {
			return s.submit(w, r, kind)
		})
		r.Handle("GET /self-service/"+kind, func(w http.ResponseWriter, r *http.Request) error {
			return s.submit(w, r, kind)
		})
	}
	r.Handle("GET /self-service/logout/browser", s.createLogout)
	r.Handle("GET /self-service/logout", s.logout)
	r.Handle("GET /self-service/errors", s.getError)
}

// acceptsJSON tells whether a browser request wants JSON answers (a
// single-page app) rather than redirects.
func acceptsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// wantsJSON: API flows always, browser flows when the client asks. A link
// followed from an email (a GET without Accept: application/json) is a
// browser's, whatever the flow's type.
func wantsJSON(r *http.Request, f *Flow) bool {
	if r.Method == http.MethodGet && !acceptsJSON(r) && f != nil {
		return false
	}
	return f == nil || f.Type == TypeAPI || acceptsJSON(r)
}

// browserError sends a browser that does not speak JSON to the error page,
// and answers everyone else with the envelope.
func (s *Service) browserError(w http.ResponseWriter, r *http.Request, f *Flow, e *web.Error) error {
	if wantsJSON(r, f) || s.o.ErrorUI == "" {
		return e
	}
	id := uuid.NewString()
	b, _ := json.Marshal(map[string]any{"code": e.Code, "status": http.StatusText(e.Code), "id": e.ID, "reason": e.Reason,
		"message": http.StatusText(e.Code)})
	if err := s.store.InsertFlowError(r.Context(), id, string(b), s.now()); err != nil {
		return err
	}
	http.Redirect(w, r, withQuery(s.absolute(s.o.ErrorUI), "id", id), http.StatusSeeOther)
	return nil
}

func errCSRF(reason string) *web.Error {
	return web.Forbidden("%s", reason).WithID("security_csrf_violation").WithDetails("reject_reason", reason)
}

// create starts a flow.
func (s *Service) create(w http.ResponseWriter, r *http.Request, kind, typ string) error {
	q := r.URL.Query()
	var bf *Flow
	if typ == TypeBrowser && !acceptsJSON(r) {
		bf = &Flow{Type: TypeBrowser}
	}
	returnTo, err := s.checkReturnTo(q.Get("return_to"))
	if err != nil {
		return s.browserError(w, r, bf, web.BadRequest("The return_to address is not allowed.").WithID("self_service_flow_return_to_forbidden"))
	}
	f := s.newFlow(kind, typ, s.public(r.URL.RequestURI()), returnTo)
	token := ""
	if typ == TypeBrowser {
		secret := s.csrfSecret(w, r)
		f.Private.CSRF = hashCSRF(secret)
		token = maskCSRF(secret)
	}
	redirect, err := s.initFlow(r, f, token)
	if err != nil {
		var we *web.Error
		if errors.As(err, &we) {
			if redirect != "" && typ == TypeBrowser && !acceptsJSON(r) {
				http.Redirect(w, r, redirect, http.StatusSeeOther)
				return nil
			}
			return err
		}
		return err
	}
	if err := s.insert(r.Context(), f); err != nil {
		return err
	}
	if typ == TypeBrowser && !acceptsJSON(r) {
		http.Redirect(w, r, withQuery(s.uiURL(kind), "flow", f.ID), http.StatusSeeOther)
		return nil
	}
	web.WriteJSON(w, http.StatusOK, f)
	return nil
}

// initFlow fills a new flow's form. An error may come with a redirect for
// browsers (e.g. to the login page when settings need a session).
func (s *Service) initFlow(r *http.Request, f *Flow, token string) (string, error) {
	switch f.Kind {
	case KindLogin:
		return s.initLogin(r, f, token)
	case KindRegistration:
		return s.initRegistration(r, f, token)
	case KindSettings:
		return s.initSettings(r, f, token)
	case KindRecovery, KindVerification:
		return s.initCodeFlow(r, f, token)
	}
	return "", nil
}

// get is GET /self-service/<kind>/flows?id=.
func (s *Service) get(w http.ResponseWriter, r *http.Request, kind string) error {
	f, err := s.Read(r, kind, r.URL.Query().Get("id"))
	if errors.Is(err, errFlowExpired) {
		return s.expiredAnswer(w, r, f, false)
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, f)
	return nil
}

// errFlowExpired: Read found the flow, but it expired.
var errFlowExpired = web.NewError(http.StatusGone, "The flow expired.").WithID("self_service_flow_expired")

// Read returns a flow for the browser or app of r, as the flows endpoint
// does: a browser flow only to the browser that started it, a settings
// flow only in its identity's session. Its errors are the endpoint's
// (404, 403, 401); an expired flow comes back with errFlowExpired.
func (s *Service) Read(r *http.Request, kind, id string) (*Flow, error) {
	if id == "" {
		return nil, web.BadRequest("The id query parameter is missing.")
	}
	f, _, err := s.load(r.Context(), kind, id)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, web.NotFound("The %s flow %s does not exist.", kind, id).WithCause(err)
		}
		return nil, err
	}
	if f.Type == TypeBrowser {
		c, err := r.Cookie(csrfCookieName(s.o.PublicURL()))
		secret, derr := b64.DecodeString(cookieValue(c, err))
		if err != nil || derr != nil || hashCSRF(secret) != f.Private.CSRF {
			return nil, errCSRF("The flow was started by another browser, or the CSRF cookie is missing.")
		}
	}
	if kind == KindSettings {
		se, err := s.sessions.FromRequest(r)
		if err != nil {
			return nil, noSession(err)
		}
		if se.IdentityID != f.Private.IdentityID {
			return nil, web.Forbidden("The flow belongs to another identity.").WithID("security_identity_mismatch")
		}
	}
	if s.expired(f) {
		return f, errFlowExpired
	}
	return f, nil
}

// ReadError returns an error record shown to a browser.
func (s *Service) ReadError(ctx context.Context, id string) (json.RawMessage, error) {
	data, _, err := s.store.GetFlowError(ctx, id)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(data), nil
}

func cookieValue(c *http.Cookie, err error) string {
	if err != nil {
		return ""
	}
	return c.Value
}

// expiredAnswer is 410 with a new flow to use (browsers that do not speak
// JSON are sent to the new flow).
func (s *Service) expiredAnswer(w http.ResponseWriter, r *http.Request, old *Flow, redirect bool) error {
	f := s.newFlow(old.Kind, old.Type, old.RequestURL, old.ReturnTo)
	f.Private.CSRF = old.Private.CSRF
	token := ""
	if old.Type == TypeBrowser {
		token = maskCSRF(s.csrfSecret(w, r))
	}
	if _, err := s.initFlow(r, f, token); err != nil {
		return err
	}
	f.UI.Messages = append(f.UI.Messages, withCtx(flowExpired(old.Kind), map[string]any{"expired_at": old.ExpiresAt}))
	if err := s.insert(r.Context(), f); err != nil {
		return err
	}
	if redirect && !wantsJSON(r, old) {
		http.Redirect(w, r, withQuery(s.uiURL(old.Kind), "flow", f.ID), http.StatusSeeOther)
		return nil
	}
	since := s.now().Sub(old.ExpiresAt)
	web.WriteJSON(w, http.StatusGone, map[string]any{
		"error": map[string]any{"id": "self_service_flow_expired", "code": http.StatusGone, "status": http.StatusText(http.StatusGone),
			"reason":  "The " + old.Kind + " flow expired " + since.Round(time.Second).String() + " ago; use the new flow.",
			"message": "The self-service flow expired"},
		"use_flow_id": f.ID, "expired_at": old.ExpiresAt, "since": since.Nanoseconds(),
	})
	return nil
}

// maxBody bounds a submission.
const maxBody = 256 << 10

// body reads a submission, JSON or form, into flat values: traits.* keys
// (from a form) or a "traits" object (from JSON) end up as the "traits"
// object.
func readBody(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	out := map[string]any{}
	if r.Method == http.MethodGet {
		for k, v := range r.URL.Query() {
			if len(v) > 0 && k != "flow" {
				out[k] = v[0]
			}
		}
		return out, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, web.NewError(http.StatusRequestEntityTooLarge, "The request body exceeds %d bytes.", mbe.Limit)
			}
			return nil, web.BadRequest("The request body is not a JSON object: %v.", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, web.BadRequest("The request body must hold exactly one JSON value.")
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, web.NewError(http.StatusRequestEntityTooLarge, "The request body exceeds %d bytes.", mbe.Limit)
			}
			return nil, web.BadRequest("The form cannot be read: %v.", err)
		}
		traits := map[string]any{}
		for k, v := range r.PostForm {
			if len(v) == 0 {
				continue
			}
			if rest, ok := strings.CutPrefix(k, "traits."); ok {
				setPath(traits, strings.Split(rest, "."), v[0])
				continue
			}
			out[k] = v[0]
		}
		if len(traits) > 0 {
			out["traits"] = traits
		}
	default:
		return nil, web.NewError(http.StatusUnsupportedMediaType, "Send the form as application/json or application/x-www-form-urlencoded.")
	}
	return out, nil
}

func setPath(m map[string]any, path []string, v any) {
	for len(path) > 1 {
		next, ok := m[path[0]].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[path[0]] = next
		}
		m, path = next, path[1:]
	}
	m[path[0]] = v
}

func str(m map[string]any, k string) string {
	if v, ok := m[k].(string); ok {
		return v
	}
	return ""
}

// submit is POST /self-service/<kind>?flow= (and GET, for links).
func (s *Service) submit(w http.ResponseWriter, r *http.Request, kind string) error {
	id := r.URL.Query().Get("flow")
	if id == "" {
		return web.BadRequest("The flow query parameter is missing.")
	}
	if kind == KindLogin || kind == KindRegistration || kind == KindSettings {
		done, ok := s.admit()
		if !ok {
			return web.NewError(http.StatusServiceUnavailable, "Too many sign-ins at once; try again in a moment.")
		}
		defer done()
	}
	f, prev, err := s.load(r.Context(), kind, id)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return web.NotFound("The %s flow %s does not exist.", kind, id).WithCause(err)
		}
		return err
	}
	if r.Method == http.MethodGet && r.URL.Query().Get("token") == "" {
		return web.NewError(http.StatusMethodNotAllowed, "Submit the flow with POST.")
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if s.expired(f) {
		return s.expiredAnswer(w, r, f, true)
	}
	if f.Type == TypeAPI {
		if r.Header.Get("Origin") != "" || hasCookies(r) {
			return web.BadRequest("API flows are for native apps: the request carries a browser's Origin header or cookies; use the browser flow.").
				WithID("security_csrf_violation")
		}
	} else if r.Method != http.MethodGet {
		tok := str(body, "csrf_token")
		if tok == "" {
			tok = r.Header.Get("X-CSRF-Token")
		}
		if !s.checkCSRF(r, f, tok) {
			return s.browserError(w, r, f, errCSRF("The request was rejected to protect you from Cross-Site-Request-Forgery: the CSRF token is missing or does not match the CSRF cookie."))
		}
	}
	f.UI.ResetMessages()
	switch kind {
	case KindLogin:
		return s.submitLogin(w, r, f, prev, body)
	case KindRegistration:
		return s.submitRegistration(w, r, f, prev, body)
	case KindSettings:
		return s.submitSettings(w, r, f, prev, body)
	default:
		return s.submitCodeFlow(w, r, f, prev, body)
	}
}

// hasCookies tells whether r carries cookies other than a CDN's.
func hasCookies(r *http.Request) bool {
	for _, c := range r.Cookies() {
		if !strings.HasPrefix(c.Name, "__cf") {
			return true
		}
	}
	return false
}

// fail stores the flow with its messages and answers: 400 with the flow
// (JSON), or back to the flow's UI (browser form).
func (s *Service) fail(w http.ResponseWriter, r *http.Request, f *Flow, prev string) error {
	if _, err := s.save(r.Context(), f, prev); err != nil {
		return conflictAsRetry(err)
	}
	if !wantsJSON(r, f) {
		http.Redirect(w, r, withQuery(s.uiURL(f.Kind), "flow", f.ID), http.StatusSeeOther)
		return nil
	}
	web.WriteJSON(w, http.StatusBadRequest, f)
	return nil
}

// conflictAsRetry: the flow changed under this submission (another
// submission won the race).
func conflictAsRetry(err error) error {
	if errors.Is(err, storage.ErrConflict) {
		return web.Conflict("The flow was submitted twice at the same time; reload it and try again.").WithCause(err)
	}
	return err
}

// returnURL is where a browser goes after success.
func (s *Service) returnURL(f *Flow) string {
	if f.ReturnTo != "" {
		return f.ReturnTo
	}
	return s.absolute(s.o.DefaultReturn)
}

// getError is GET /self-service/errors?id=.
func (s *Service) getError(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	data, at, err := s.store.GetFlowError(r.Context(), id)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return web.NotFound("The error %s does not exist.", id)
		}
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "error": json.RawMessage(data), "created_at": at, "updated_at": at})
	return nil
}
