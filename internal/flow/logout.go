package flow

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"

	"github.com/warden-iam/warden/internal/web"
)

// Browser logout: GET /self-service/logout/browser gives a logout URL whose
// token is a MAC of the session id, so a third-party page cannot sign the
// user out by linking to the logout endpoint.

func (s *Service) logoutToken(sessionID string) string {
	m := hmac.New(sha256.New, s.o.Secret)
	m.Write([]byte("logout\x00" + sessionID))
	return b64.EncodeToString(m.Sum(nil))
}

// LogoutURL returns the logout URL of the browser session r carries.
func (s *Service) LogoutURL(r *http.Request, returnTo string) (string, error) {
	se, err := s.sessionFor(r, TypeBrowser)
	if err != nil {
		return "", noSession(err)
	}
	u := withQuery(s.public("/self-service/logout"), "token", s.logoutToken(se.ID))
	if returnTo != "" {
		u = withQuery(u, "return_to", returnTo)
	}
	return u, nil
}

func (s *Service) createLogout(w http.ResponseWriter, r *http.Request) error {
	se, err := s.sessionFor(r, TypeBrowser)
	if err != nil {
		return noSession(err)
	}
	tok := s.logoutToken(se.ID)
	u := withQuery(s.public("/self-service/logout"), "token", tok)
	if rt := r.URL.Query().Get("return_to"); rt != "" {
		if _, err := s.checkReturnTo(rt); err != nil {
			return web.BadRequest("The return_to address is not allowed.").WithID("self_service_flow_return_to_forbidden")
		}
		u = withQuery(u, "return_to", rt)
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"logout_url": u, "logout_token": tok})
	return nil
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	to := s.absolute(s.o.DefaultReturn)
	if rt := q.Get("return_to"); rt != "" {
		if _, err := s.checkReturnTo(rt); err != nil {
			return web.BadRequest("The return_to address is not allowed.").WithID("self_service_flow_return_to_forbidden")
		}
		to = rt
	}
	browser := &Flow{Type: TypeBrowser}
	tok := q.Get("token")
	if tok == "" {
		return s.browserError(w, r, browser, web.BadRequest("The logout token is missing."))
	}
	se, err := s.sessionFor(r, TypeBrowser)
	if err != nil {
		return noSession(err)
	}
	if !hmac.Equal([]byte(tok), []byte(s.logoutToken(se.ID))) {
		return s.browserError(w, r, browser, web.Forbidden("The logout token is not valid for this session.").WithID("security_csrf_violation"))
	}
	if err := s.sessions.Disable(r.Context(), se.ID); err != nil {
		return err
	}
	s.sessions.ClearCookie(w)
	if acceptsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
