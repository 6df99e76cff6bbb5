package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// The pages' own forms (consent, sign-out, device code) carry a token that
// must equal the value of an HttpOnly cookie, which another site can
// neither read nor set.

const csrfCookie = "warden_ui_csrf"

// csrfToken returns the browser's token, setting the cookie when missing.
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/ui/", HttpOnly: true, Secure: h.o.SecureCookies,
		SameSite: http.SameSiteLaxMode})
	return v
}

// checkCSRF tells whether a posted form carries the cookie's token.
func checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf_token"))) == 1
}

func forbidden(w http.ResponseWriter, r *http.Request, h *Handler) error {
	return h.render(w, r, http.StatusForbidden, "error", "title.error",
		map[string]any{"Code": http.StatusForbidden, "Reason": translate(langOf(r), "error.csrf")})
}
