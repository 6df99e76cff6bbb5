package provider

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/client"
)

// The admin API the login, consent, logout and device apps call.

// OIDCContext is the OpenID Connect part of a login or consent request.
type OIDCContext struct {
	ACRValues         []string `json:"acr_values,omitempty"`
	Display           string   `json:"display,omitempty"`
	IDTokenHintClaims Claims   `json:"id_token_hint_claims,omitempty"`
	LoginHint         string   `json:"login_hint,omitempty"`
	UILocales         []string `json:"ui_locales,omitempty"`
}

// LoginRequest is GET /admin/oauth2/auth/requests/login.
type LoginRequest struct {
	Challenge                    string         `json:"challenge"`
	Skip                         bool           `json:"skip"`
	Subject                      string         `json:"subject"`
	Client                       *client.Client `json:"client"`
	RequestURL                   string         `json:"request_url"`
	RequestedScope               []string       `json:"requested_scope"`
	RequestedAccessTokenAudience []string       `json:"requested_access_token_audience"`
	OIDCContext                  OIDCContext    `json:"oidc_context"`
	SessionID                    string         `json:"session_id,omitempty"`
}

// ConsentRequest is GET /admin/oauth2/auth/requests/consent.
type ConsentRequest struct {
	Challenge                    string          `json:"challenge"`
	ConsentRequestID             string          `json:"consent_request_id"`
	Skip                         bool            `json:"skip"`
	Subject                      string          `json:"subject"`
	Client                       *client.Client  `json:"client"`
	RequestURL                   string          `json:"request_url"`
	RequestedScope               []string        `json:"requested_scope"`
	RequestedAccessTokenAudience []string        `json:"requested_access_token_audience"`
	ACR                          string          `json:"acr,omitempty"`
	AMR                          []string        `json:"amr"`
	Context                      json.RawMessage `json:"context,omitempty"`
	LoginChallenge               string          `json:"login_challenge"`
	LoginSessionID               string          `json:"login_session_id,omitempty"`
	OIDCContext                  OIDCContext     `json:"oidc_context"`
}

// RedirectTo is the answer of accept and reject, and of a handled request.
type RedirectTo struct {
	RedirectTo string `json:"redirect_to"`
}

type acceptLogin struct {
	Subject                   *string         `json:"subject"`
	Remember                  bool            `json:"remember"`
	RememberFor               int64           `json:"remember_for"`
	ACR                       string          `json:"acr"`
	AMR                       []string        `json:"amr"`
	Context                   json.RawMessage `json:"context"`
	ExtendSessionLifespan     bool            `json:"extend_session_lifespan"`
	ForceSubjectIdentifier    string          `json:"force_subject_identifier"`
	IdentityProviderSessionID string          `json:"identity_provider_session_id"`
}

type acceptConsent struct {
	GrantScope               []string        `json:"grant_scope"`
	GrantAccessTokenAudience []string        `json:"grant_access_token_audience"`
	Remember                 bool            `json:"remember"`
	RememberFor              int64           `json:"remember_for"`
	Session                  *Session        `json:"session"`
	Context                  json.RawMessage `json:"context"`
}

// adminError is an error of the admin flow API, in the errorOAuth2 form.
func adminNotFound(what string) *Error {
	return oauthErr("Not Found", http.StatusNotFound, "Unable to locate the requested %s.", what)
}

func adminBadRequest(format string, args ...any) *Error {
	return oauthErr("invalid_request", http.StatusBadRequest, format, args...)
}

// decodeBody reads a JSON body strictly into v; an empty body is allowed
// when empty is set.
func decodeBody(r *http.Request, v any, empty bool) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return oauthErr("invalid_request", http.StatusRequestEntityTooLarge, "The request body is too large.")
		}
		return adminBadRequest("The request body could not be read.")
	}
	if len(b) == 0 && empty {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return adminBadRequest("The request body is not valid JSON for this request: %v", err)
	}
	return nil
}

// handledFlow loads the flow of an admin challenge parameter.
func (s *Service) adminFlow(ctx context.Context, r *http.Request, param, purpose string) (*Flow, error) {
	v := r.URL.Query().Get(param)
	if v == "" {
		return nil, adminBadRequest("The %s parameter is missing.", param)
	}
	f, rec, err := s.flow(ctx, purpose, v)
	if err != nil {
		if isNotFound(err) {
			return nil, adminNotFound(param)
		}
		return nil, errServer(err)
	}
	if !rec.ExpiresAt.After(s.now()) && rec.State < StateDone {
		return nil, adminNotFound(param)
	}
	return f, nil
}

func oidcContext(req *AuthorizeRequest) OIDCContext {
	return OIDCContext{ACRValues: req.ACRValues, Display: req.Display, IDTokenHintClaims: req.IDTokenHintClaims,
		LoginHint: req.LoginHint, UILocales: req.UILocales}
}

// verifierURL is where the app sends the browser after handling a request.
func (s *Service) verifierURL(f *Flow, purpose string) string {
	return withQuery(f.Request.RequestURL, url.Values{purpose: {s.flowKeys.sign(purpose, f.ID)}})
}

func (s *Service) getLoginRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.adminFlow(ctx, r, "login_challenge", "login_challenge")
	if err != nil {
		return err
	}
	if f.State != StateLoginUnused {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	c, err := s.clients.Lookup(ctx, f.Request.ClientID)
	if err != nil {
		return errServer(err)
	}
	out := LoginRequest{Challenge: r.URL.Query().Get("login_challenge"), Skip: f.LoginSkip, Subject: f.Subject, Client: &c,
		RequestURL: f.Request.RequestURL, RequestedScope: nonNil(f.Request.Scope),
		RequestedAccessTokenAudience: nonNil(f.Request.Audience), OIDCContext: oidcContext(&f.Request), SessionID: f.LoginSessionID}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) acceptLoginRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.adminFlow(ctx, r, "login_challenge", "login_challenge")
	if err != nil {
		return err
	}
	var body acceptLogin
	if err := decodeBody(r, &body, false); err != nil {
		return err
	}
	if body.Subject == nil || *body.Subject == "" {
		return adminBadRequest("Field 'subject' must not be empty.")
	}
	if f.State != StateLoginUnused {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	if f.LoginSkip && *body.Subject != f.Subject {
		return adminBadRequest("Field 'subject' does not match the subject of the previous authentication (%q).", f.Subject)
	}
	if body.RememberFor < 0 {
		return adminBadRequest("Field 'remember_for' must not be negative.")
	}
	now := s.now()
	f.Subject = *body.Subject
	f.LoginRemember, f.LoginRememberFor = body.Remember || f.LoginSkip, body.RememberFor
	if !f.LoginSkip {
		f.LoginRemember = body.Remember
		f.AuthTime = now
	}
	f.ACR, f.AMR, f.LoginContext = body.ACR, body.AMR, body.Context
	f.ExtendSessionLifespan = body.ExtendSessionLifespan
	f.ForceSubjectIdentifier = body.ForceSubjectIdentifier
	f.IdentityProviderSessionID = body.IdentityProviderSessionID
	f.LoginHandledAt = now
	f.State = StateLoginHandled
	if err := s.advance(ctx, f, StateLoginUnused, now.Add(s.opts.TTL.LoginConsentRequest), time.Time{}); err != nil {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	writeJSON(w, http.StatusOK, RedirectTo{RedirectTo: s.verifierURL(f, "login_verifier")})
	return nil
}

func readReject(r *http.Request) (*RequestDeniedError, error) {
	var body RequestDeniedError
	if err := decodeBody(r, &body, true); err != nil {
		return nil, err
	}
	if body.Error == "" {
		body.Error = "access_denied"
	}
	if body.Description == "" && body.Error == "access_denied" {
		body.Description = "The resource owner or authorization server denied the request."
	}
	if body.StatusCode == 0 {
		body.StatusCode = http.StatusForbidden
	}
	return &body, nil
}

func (s *Service) rejectLoginRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.adminFlow(ctx, r, "login_challenge", "login_challenge")
	if err != nil {
		return err
	}
	denied, err := readReject(r)
	if err != nil {
		return err
	}
	if f.State != StateLoginUnused {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	f.LoginError = denied
	f.LoginHandledAt = s.now()
	f.State = StateLoginHandled
	if err := s.advance(ctx, f, StateLoginUnused, s.now().Add(s.opts.TTL.LoginConsentRequest), time.Time{}); err != nil {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	writeJSON(w, http.StatusOK, RedirectTo{RedirectTo: s.verifierURL(f, "login_verifier")})
	return nil
}

func (s *Service) consentRequest(ctx context.Context, f *Flow, challenge string) (ConsentRequest, error) {
	c, err := s.clients.Lookup(ctx, f.Request.ClientID)
	if err != nil {
		return ConsentRequest{}, errServer(err)
	}
	return ConsentRequest{Challenge: challenge, ConsentRequestID: f.ID, Skip: f.ConsentSkip, Subject: f.Subject, Client: &c,
		RequestURL: f.Request.RequestURL, RequestedScope: nonNil(f.Request.Scope),
		RequestedAccessTokenAudience: nonNil(f.Request.Audience), ACR: f.ACR, AMR: nonNil(f.AMR), Context: f.LoginContext,
		LoginChallenge: s.flowKeys.sign("login_challenge", f.ID), LoginSessionID: f.LoginSessionID,
		OIDCContext: oidcContext(&f.Request)}, nil
}

func (s *Service) getConsentRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.adminFlow(ctx, r, "consent_challenge", "consent_challenge")
	if err != nil {
		return err
	}
	if f.State != StateConsentUnused {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	out, err := s.consentRequest(ctx, f, r.URL.Query().Get("consent_challenge"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) acceptConsentRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.adminFlow(ctx, r, "consent_challenge", "consent_challenge")
	if err != nil {
		return err
	}
	var body acceptConsent
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	if body.RememberFor < 0 {
		return adminBadRequest("Field 'remember_for' must not be negative.")
	}
	if f.State != StateConsentUnused {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	c, err := s.clients.Lookup(ctx, f.Request.ClientID)
	if err != nil {
		return errServer(err)
	}
	for _, sc := range body.GrantScope {
		if !s.scopeAllowed(&c, sc) {
			return adminBadRequest("The scope %q may not be granted: the client is not allowed to request it.", sc)
		}
	}
	for _, a := range body.GrantAccessTokenAudience {
		if !slices.Contains(c.Audience, a) {
			return adminBadRequest("The audience %q may not be granted: it is not in the client's audience.", a)
		}
	}
	f.GrantedScope, f.GrantedAudience = nonNil(body.GrantScope), nonNil(body.GrantAccessTokenAudience)
	f.ConsentRemember, f.ConsentRememberFor = body.Remember, body.RememberFor
	if body.Session != nil {
		f.Session = *body.Session
	}
	f.ConsentContext = body.Context
	f.ConsentHandledAt = s.now()
	f.State = StateConsentHandled
	if err := s.advance(ctx, f, StateConsentUnused, s.now().Add(s.opts.TTL.LoginConsentRequest), time.Time{}); err != nil {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	writeJSON(w, http.StatusOK, RedirectTo{RedirectTo: s.verifierURL(f, "consent_verifier")})
	return nil
}

func (s *Service) rejectConsentRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.adminFlow(ctx, r, "consent_challenge", "consent_challenge")
	if err != nil {
		return err
	}
	denied, err := readReject(r)
	if err != nil {
		return err
	}
	if f.State != StateConsentUnused {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	f.ConsentError = denied
	f.ConsentHandledAt = s.now()
	f.State = StateConsentHandled
	if err := s.advance(ctx, f, StateConsentUnused, s.now().Add(s.opts.TTL.LoginConsentRequest), time.Time{}); err != nil {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	writeJSON(w, http.StatusOK, RedirectTo{RedirectTo: s.verifierURL(f, "consent_verifier")})
	return nil
}

// ConsentSession is one granted consent (listOAuth2ConsentSessions).
type ConsentSession struct {
	ConsentRequest           ConsentRequest  `json:"consent_request"`
	ConsentRequestID         string          `json:"consent_request_id"`
	GrantScope               []string        `json:"grant_scope"`
	GrantAccessTokenAudience []string        `json:"grant_access_token_audience"`
	Remember                 bool            `json:"remember"`
	RememberFor              int64           `json:"remember_for"`
	HandledAt                time.Time       `json:"handled_at"`
	Session                  Session         `json:"session"`
	Context                  json.RawMessage `json:"context,omitempty"`
}

func (s *Service) listConsentSessions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	subject := q.Get("subject")
	if subject == "" {
		return adminBadRequest("The subject parameter is required.")
	}
	size, offset := 250, 0
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return adminBadRequest("page_size must be a number from 1 to 1000.")
		}
		size = n
	}
	if v := q.Get("page_token"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return adminBadRequest("The page_token is not valid.")
		}
		offset = n
	}
	recs, err := s.store.Consents(ctx, subject, q.Get("login_session_id"), offset, size+1)
	if err != nil {
		return errServer(err)
	}
	out := []ConsentSession{}
	for i, rec := range recs {
		if i == size {
			next := url.Values{"subject": {subject}, "page_size": {strconv.Itoa(size)}, "page_token": {strconv.Itoa(offset + size)}}
			if sid := q.Get("login_session_id"); sid != "" {
				next.Set("login_session_id", sid)
			}
			w.Header().Set("Link", "<"+r.URL.Path+"?"+next.Encode()+`>; rel="next"`)
			break
		}
		f, err := s.openFlow(rec)
		if err != nil || f.ConsentError != nil || f.LoginError != nil || f.ConsentHandledAt.IsZero() {
			continue
		}
		cr, err := s.consentRequest(ctx, f, s.flowKeys.sign("consent_challenge", f.ID))
		if err != nil {
			continue // the client is gone
		}
		out = append(out, ConsentSession{ConsentRequest: cr, ConsentRequestID: f.ID, GrantScope: nonNil(f.GrantedScope),
			GrantAccessTokenAudience: nonNil(f.GrantedAudience), Remember: f.ConsentRemember, RememberFor: f.ConsentRememberFor,
			HandledAt: f.ConsentHandledAt, Session: f.Session, Context: f.ConsentContext})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) revokeConsentSessions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	subject, clientID := q.Get("subject"), q.Get("client")
	if subject == "" {
		return adminBadRequest("The subject parameter is required.")
	}
	if clientID == "" && q.Get("all") != "true" {
		return adminBadRequest("Name a client with the client parameter, or set all=true to revoke every consent of the subject.")
	}
	if err := s.store.RevokeConsents(r.Context(), subject, clientID); err != nil {
		return errServer(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) revokeLoginSessions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	subject, sid := q.Get("subject"), q.Get("sid")
	if (subject == "") == (sid == "") {
		return adminBadRequest("Give either the subject or the sid parameter.")
	}
	sessions, err := s.store.DeleteLoginSessions(r.Context(), subject, sid)
	if err != nil {
		return errServer(err)
	}
	for _, sess := range sessions {
		s.backchannelLogout(r.Context(), sess.Subject, sess.ID, "")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
