package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The OAuth2 provider's login, consent, logout and device pages. The
// provider sends the browser here with a challenge; these handlers read
// the request through the admin API and accept or reject it, as an
// external login and consent app would.

type oauthClient struct {
	ClientID    string `json:"client_id"`
	ClientName  string `json:"client_name"`
	LogoURI     string `json:"logo_uri"`
	ClientURI   string `json:"client_uri"`
	PolicyURI   string `json:"policy_uri"`
	TosURI      string `json:"tos_uri"`
	SkipConsent bool   `json:"skip_consent"`
}

type redirectTo struct {
	RedirectTo string `json:"redirect_to"`
}

// LoginAcceptor accepts OAuth2 login requests in-process, for the
// self-service login flow that ends one.
type LoginAcceptor struct{ h *Handler }

// Acceptor returns the login acceptor of the pages.
func (h *Handler) Acceptor() LoginAcceptor { return LoginAcceptor{h} }

// AcceptLogin accepts the login request of challenge for subject and
// returns where the browser goes next.
func (a LoginAcceptor) AcceptLogin(ctx context.Context, challenge, subject string, amr []string) (string, error) {
	return a.h.acceptLogin(ctx, challenge, subject, amr)
}

func (h *Handler) acceptLogin(ctx context.Context, challenge, subject string, amr []string) (string, error) {
	var out redirectTo
	code, err := h.adminCall(ctx, http.MethodPut, "/admin/oauth2/auth/requests/login/accept?login_challenge="+url.QueryEscape(challenge),
		map[string]any{"subject": subject, "remember": true, "remember_for": 0, "amr": amr}, &out)
	if err != nil {
		return "", err
	}
	if out.RedirectTo == "" {
		return "", &statusError{code}
	}
	return out.RedirectTo, nil
}

type statusError struct{ code int }

func (e *statusError) Error() string {
	return "the OAuth2 request was refused: " + http.StatusText(e.code)
}

// oauth2Login is where the provider sends a browser to sign in.
func (h *Handler) oauth2Login(w http.ResponseWriter, r *http.Request) error {
	ch := r.URL.Query().Get("login_challenge")
	var req struct {
		Skip       bool   `json:"skip"`
		Subject    string `json:"subject"`
		RequestURL string `json:"request_url"`
		RedirectTo string `json:"redirect_to"`
	}
	code, err := h.adminCall(r.Context(), http.MethodGet, "/admin/oauth2/auth/requests/login?login_challenge="+url.QueryEscape(ch), nil, &req)
	if err != nil {
		return err
	}
	if code == http.StatusGone && req.RedirectTo != "" {
		http.Redirect(w, r, req.RedirectTo, http.StatusSeeOther)
		return nil
	}
	if code != http.StatusOK {
		return h.render(w, r, http.StatusBadRequest, "error", "title.error", map[string]any{"Code": 400, "Reason": translate(langOf(r), "error.challenge")})
	}
	if req.Skip {
		to, err := h.acceptLogin(r.Context(), ch, req.Subject, nil)
		if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	forced := false
	if u, err := url.Parse(req.RequestURL); err == nil {
		p := u.Query()
		forced = slices.Contains(strings.Fields(p.Get("prompt")), "login") || p.Get("max_age") != ""
	}
	if se, err := h.sessions.FromRequest(r); err == nil && !forced {
		to, err := h.acceptLogin(r.Context(), ch, se.IdentityID, []string{"pwd"})
		if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	target := h.public("/self-service/login/browser?login_challenge=" + url.QueryEscape(ch))
	if forced {
		if _, err := h.sessions.FromRequest(r); err == nil {
			target += "&refresh=true"
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

type consentRequest struct {
	Challenge                    string      `json:"challenge"`
	Skip                         bool        `json:"skip"`
	Subject                      string      `json:"subject"`
	Client                       oauthClient `json:"client"`
	RequestedScope               []string    `json:"requested_scope"`
	RequestedAccessTokenAudience []string    `json:"requested_access_token_audience"`
	RedirectTo                   string      `json:"redirect_to"`
}

func (h *Handler) readConsent(ctx context.Context, ch string) (consentRequest, int, error) {
	var req consentRequest
	code, err := h.adminCall(ctx, http.MethodGet, "/admin/oauth2/auth/requests/consent?consent_challenge="+url.QueryEscape(ch), nil, &req)
	return req, code, err
}

// claims are the ID token claims of a consent: the identity's email and name.
func (h *Handler) claims(ctx context.Context, subject string, scopes []string) map[string]any {
	out := map[string]any{}
	i, err := h.identities.Get(ctx, subject, nil)
	if err != nil {
		return out
	}
	var t map[string]any
	_ = json.Unmarshal(i.Traits, &t)
	if slices.Contains(scopes, "email") {
		if e, ok := t["email"].(string); ok {
			out["email"] = e
			verified := false
			for _, a := range i.VerifiableAddresses {
				verified = verified || (a.Value == strings.ToLower(e) && a.Verified)
			}
			out["email_verified"] = verified
		}
	}
	if slices.Contains(scopes, "profile") {
		if n, ok := t["name"].(map[string]any); ok {
			first, _ := n["first"].(string)
			last, _ := n["last"].(string)
			if first != "" {
				out["given_name"] = first
			}
			if last != "" {
				out["family_name"] = last
			}
			if name := strings.TrimSpace(first + " " + last); name != "" {
				out["name"] = name
			}
		}
	}
	return out
}

func (h *Handler) acceptConsent(ctx context.Context, req consentRequest, remember bool) (string, error) {
	var out redirectTo
	body := map[string]any{"grant_scope": req.RequestedScope, "grant_access_token_audience": req.RequestedAccessTokenAudience,
		"remember": remember, "remember_for": 0, "session": map[string]any{"id_token": h.claims(ctx, req.Subject, req.RequestedScope)}}
	code, err := h.adminCall(ctx, http.MethodPut, "/admin/oauth2/auth/requests/consent/accept?consent_challenge="+url.QueryEscape(req.Challenge), body, &out)
	if err != nil {
		return "", err
	}
	if out.RedirectTo == "" {
		return "", &statusError{code}
	}
	return out.RedirectTo, nil
}

type consentView struct {
	Challenge, CSRF string
	Client          oauthClient
	Scopes          []scopeView
	Error           string
}

type scopeView struct {
	Name, Text string
}

// consentPage asks the user to let a client act for them (or goes on at
// once when the choice was remembered or the client is trusted).
func (h *Handler) consentPage(w http.ResponseWriter, r *http.Request) error {
	ch := r.URL.Query().Get("consent_challenge")
	req, code, err := h.readConsent(r.Context(), ch)
	if err != nil {
		return err
	}
	if code == http.StatusGone && req.RedirectTo != "" {
		http.Redirect(w, r, req.RedirectTo, http.StatusSeeOther)
		return nil
	}
	if code != http.StatusOK {
		return h.render(w, r, http.StatusBadRequest, "error", "title.error", map[string]any{"Code": 400, "Reason": translate(langOf(r), "error.challenge")})
	}
	if req.Skip || req.Client.SkipConsent {
		to, err := h.acceptConsent(r.Context(), req, true)
		if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	lang := langOf(r)
	v := consentView{Challenge: ch, CSRF: h.csrfToken(w, r), Client: req.Client}
	if v.Client.ClientName == "" {
		v.Client.ClientName = req.Client.ClientID
	}
	for _, s := range req.RequestedScope {
		v.Scopes = append(v.Scopes, scopeView{Name: s, Text: scopeText(lang, s)})
	}
	return h.render(w, r, http.StatusOK, "consent", "title.consent", v)
}

func (h *Handler) consentSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil || !checkCSRF(r) {
		return forbidden(w, r, h)
	}
	ch := r.PostFormValue("consent_challenge")
	req, code, err := h.readConsent(r.Context(), ch)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		if req.RedirectTo != "" {
			http.Redirect(w, r, req.RedirectTo, http.StatusSeeOther)
			return nil
		}
		return h.render(w, r, http.StatusBadRequest, "error", "title.error", map[string]any{"Code": 400, "Reason": translate(langOf(r), "error.challenge")})
	}
	if se, err := h.sessions.FromRequest(r); err != nil || se.IdentityID != req.Subject {
		return forbidden(w, r, h)
	}
	var to string
	if r.PostFormValue("action") == "allow" {
		to, err = h.acceptConsent(r.Context(), req, r.PostFormValue("remember") == "true")
	} else {
		var out redirectTo
		_, err = h.adminCall(r.Context(), http.MethodPut, "/admin/oauth2/auth/requests/consent/reject?consent_challenge="+url.QueryEscape(ch),
			map[string]any{"error": "access_denied", "error_description": "The user did not allow the request."}, &out)
		to = out.RedirectTo
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// oauth2LogoutPage asks before signing out on a client's request.
func (h *Handler) oauth2LogoutPage(w http.ResponseWriter, r *http.Request) error {
	ch := r.URL.Query().Get("logout_challenge")
	var req struct {
		Client *oauthClient `json:"client"`
	}
	code, err := h.adminCall(r.Context(), http.MethodGet, "/admin/oauth2/auth/requests/logout?logout_challenge="+url.QueryEscape(ch), nil, &req)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return h.render(w, r, http.StatusBadRequest, "error", "title.error", map[string]any{"Code": 400, "Reason": translate(langOf(r), "error.challenge")})
	}
	v := map[string]any{"Challenge": ch, "CSRF": h.csrfToken(w, r), "Client": ""}
	if req.Client != nil {
		v["Client"] = req.Client.ClientName
	}
	return h.render(w, r, http.StatusOK, "logout", "title.logout", v)
}

func (h *Handler) oauth2LogoutSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil || !checkCSRF(r) {
		return forbidden(w, r, h)
	}
	ch := r.PostFormValue("logout_challenge")
	var out redirectTo
	if r.PostFormValue("action") != "yes" {
		_, _ = h.adminCall(r.Context(), http.MethodPut, "/admin/oauth2/auth/requests/logout/reject?logout_challenge="+url.QueryEscape(ch), nil, nil)
		http.Redirect(w, r, h.public("/"), http.StatusSeeOther)
		return nil
	}
	if _, err := h.adminCall(r.Context(), http.MethodPut, "/admin/oauth2/auth/requests/logout/accept?logout_challenge="+url.QueryEscape(ch), nil, &out); err != nil {
		return err
	}
	if se, err := h.sessions.FromRequest(r); err == nil {
		_ = h.sessions.Disable(r.Context(), se.ID)
	}
	h.sessions.ClearCookie(w)
	if out.RedirectTo == "" {
		out.RedirectTo = h.public("/")
	}
	http.Redirect(w, r, out.RedirectTo, http.StatusSeeOther)
	return nil
}

// devicePage asks for the code a device shows.
func (h *Handler) devicePage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := map[string]any{"Challenge": q.Get("device_challenge"), "UserCode": q.Get("user_code"), "CSRF": h.csrfToken(w, r), "Error": ""}
	if q.Get("device_challenge") == "" {
		// Start at the provider, which opens a device challenge for this browser.
		target := h.public("/oauth2/device/verify")
		if uc := q.Get("user_code"); uc != "" {
			target += "?user_code=" + url.QueryEscape(uc)
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	return h.render(w, r, http.StatusOK, "device", "title.device", v)
}

func (h *Handler) deviceSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil || !checkCSRF(r) {
		return forbidden(w, r, h)
	}
	ch, code := r.PostFormValue("device_challenge"), strings.TrimSpace(r.PostFormValue("user_code"))
	var out redirectTo
	status, err := h.adminCall(r.Context(), http.MethodPut, "/admin/oauth2/auth/requests/device/accept?device_challenge="+url.QueryEscape(ch),
		map[string]any{"user_code": code}, &out)
	if err != nil && status == 0 {
		return err
	}
	if out.RedirectTo != "" {
		http.Redirect(w, r, out.RedirectTo, http.StatusSeeOther)
		return nil
	}
	v := map[string]any{"Challenge": ch, "UserCode": code, "CSRF": h.csrfToken(w, r), "Error": translate(langOf(r), "error.usercode")}
	return h.render(w, r, http.StatusBadRequest, "device", "title.device", v)
}
