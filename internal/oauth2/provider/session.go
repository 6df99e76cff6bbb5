package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

// Cookie names (Hydra's defaults).
const sessionCookie = "ory_hydra_session"

// currentLoginSession returns the login session the browser's cookie names,
// if it is valid and not expired.
func (s *Service) currentLoginSession(ctx context.Context, r *http.Request) (LoginSession, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return LoginSession{}, false
	}
	id, ok := s.cookieKeys.open("session", ck.Value)
	if !ok {
		return LoginSession{}, false
	}
	sess, err := s.store.GetLoginSession(ctx, id)
	if err != nil || !sess.Remember || !sess.ExpiresAt.After(s.now()) {
		return LoginSession{}, false
	}
	return sess, true
}

// rememberLogin records the authentication a handled login request carries:
// a skipped login keeps (and may extend) its session; a new one gets a new
// session, kept in the browser's cookie when the login app asked to
// remember it. The session id becomes the ID token's sid.
func (s *Service) rememberLogin(ctx context.Context, w http.ResponseWriter, f *Flow) error {
	now := s.now()
	if f.LoginSkip && f.LoginSessionID != "" {
		if !f.ExtendSessionLifespan {
			return nil
		}
		sess, err := s.store.GetLoginSession(ctx, f.LoginSessionID)
		if err != nil {
			return nil // gone meanwhile: nothing to extend
		}
		sess.ExpiresAt = now.Add(s.opts.TTL.AuthenticationSession)
		if err := s.store.UpsertLoginSession(ctx, sess); err != nil {
			return err
		}
		s.setSessionCookie(w, sess)
		return nil
	}
	ttl := s.opts.TTL.AuthenticationSession
	if f.LoginRemember && f.LoginRememberFor > 0 {
		ttl = time.Duration(f.LoginRememberFor) * time.Second
	}
	sess := LoginSession{ID: randomString(16), Subject: f.Subject, AuthenticatedAt: f.AuthTime, Remember: f.LoginRemember,
		IdentityProviderSessionID: f.IdentityProviderSessionID, ExpiresAt: now.Add(ttl)}
	if err := s.store.UpsertLoginSession(ctx, sess); err != nil {
		return err
	}
	f.LoginSessionID = sess.ID
	if f.LoginRemember {
		s.setSessionCookie(w, sess)
	} else {
		s.clearCookie(w, sessionCookie, "/")
	}
	return nil
}

func (s *Service) setSessionCookie(w http.ResponseWriter, sess LoginSession) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.cookieKeys.sign("session", sess.ID), Path: "/",
		Expires: sess.ExpiresAt, HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Service) clearCookie(w http.ResponseWriter, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// flowCookieName binds a CSRF cookie to one flow, so parallel flows in one
// browser do not overwrite each other's.
func flowCookieName(base string, f *Flow) string {
	h := sha256.Sum256([]byte(f.ID))
	return base + "_" + hex.EncodeToString(h[:4])
}

// setFlowCookie ties the flow to this browser: the verifier is only
// accepted from the browser that started the flow.
func (s *Service) setFlowCookie(w http.ResponseWriter, base string, f *Flow) {
	http.SetCookie(w, &http.Cookie{Name: flowCookieName(base, f), Value: s.cookieKeys.sign("csrf", f.CSRF), Path: "/",
		MaxAge: int(s.opts.TTL.LoginConsentRequest / time.Second), HttpOnly: true, Secure: s.opts.SecureCookies,
		SameSite: http.SameSiteLaxMode})
}

func (s *Service) checkFlowCookie(r *http.Request, base string, f *Flow) bool {
	ck, err := r.Cookie(flowCookieName(base, f))
	if err != nil {
		return false
	}
	v, ok := s.cookieKeys.open("csrf", ck.Value)
	return ok && v == f.CSRF
}

func (s *Service) clearFlowCookie(w http.ResponseWriter, base string, f *Flow) {
	s.clearCookie(w, flowCookieName(base, f), "/")
}
