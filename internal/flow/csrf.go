package flow

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
)

// Browser flows are protected by a double-submit token: a random secret in
// an HttpOnly cookie, and in every form a masked copy of it (the secret
// XORed with a fresh pad, pad included), so the form's value differs each
// time and reveals nothing of the cookie. A submission is accepted only if
// its token unmasks to the cookie's secret, and the flow was created for
// that same secret.

const csrfBytes = 32

var b64 = base64.RawURLEncoding

// csrfCookieName is per public URL, so two deployments on one domain do
// not overwrite each other's cookie.
func csrfCookieName(publicURL string) string {
	sum := sha256.Sum256([]byte(publicURL))
	return "csrf_token_" + hex.EncodeToString(sum[:8])
}

// csrfSecret returns the browser's CSRF secret, setting a new cookie when
// it has none (or a malformed one).
func (s *Service) csrfSecret(w http.ResponseWriter, r *http.Request) []byte {
	name := csrfCookieName(s.o.PublicURL())
	if c, err := r.Cookie(name); err == nil {
		if b, err := b64.DecodeString(c.Value); err == nil && len(b) == csrfBytes {
			return b
		}
	}
	b := make([]byte, csrfBytes)
	_, _ = rand.Read(b)
	http.SetCookie(w, &http.Cookie{Name: name, Value: b64.EncodeToString(b), Path: "/", HttpOnly: true,
		Secure: s.o.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	return b
}

// maskCSRF returns a form token for secret.
func maskCSRF(secret []byte) string {
	out := make([]byte, 2*csrfBytes)
	_, _ = rand.Read(out[:csrfBytes])
	for i := range csrfBytes {
		out[csrfBytes+i] = out[i] ^ secret[i]
	}
	return b64.EncodeToString(out)
}

func hashCSRF(secret []byte) string {
	sum := sha256.Sum256(secret)
	return b64.EncodeToString(sum[:])
}

// checkCSRF tells whether the request's form token matches its cookie and
// the flow was made for that cookie.
func (s *Service) checkCSRF(r *http.Request, f *Flow, token string) bool {
	c, err := r.Cookie(csrfCookieName(s.o.PublicURL()))
	if err != nil {
		return false
	}
	secret, err := b64.DecodeString(c.Value)
	if err != nil || len(secret) != csrfBytes {
		return false
	}
	t, err := b64.DecodeString(token)
	if err != nil || len(t) != 2*csrfBytes {
		return false
	}
	got := make([]byte, csrfBytes)
	for i := range csrfBytes {
		got[i] = t[i] ^ t[csrfBytes+i]
	}
	return subtle.ConstantTimeCompare(got, secret) == 1 &&
		subtle.ConstantTimeCompare([]byte(hashCSRF(secret)), []byte(f.Private.CSRF)) == 1
}
