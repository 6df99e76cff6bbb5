package provider

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/client"
)

// authError is an error of an authorization request. Once the client and
// its redirect URI are known to be good it goes back to the client (redirect
// set); before that it is shown.
type authError struct {
	err      *Error
	redirect *AuthorizeRequest
}

func (e *authError) Error() string { return e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

// authorize is GET and POST /oauth2/auth.
func (s *Service) authorize(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return s.showAuthError(w, r, errInvalidRequest("The request could not be parsed: %v", err))
	}
	q := r.Form
	var err error
	switch {
	case q.Get("login_verifier") != "":
		err = s.afterLogin(w, r, q.Get("login_verifier"))
	case q.Get("consent_verifier") != "":
		err = s.afterConsent(w, r, q.Get("consent_verifier"))
	default:
		err = s.startAuthorize(w, r, q)
	}
	if err == nil {
		return nil
	}
	var ae *authError
	if errors.As(err, &ae) && ae.redirect != nil {
		if ae.redirect.DeviceRequestID != "" {
			s.denyDevice(r.Context(), ae.redirect.DeviceRequestID, ae.err)
			return s.showAuthError(w, r, ae.err)
		}
		return s.redirectError(w, r, ae.redirect, ae.err)
	}
	return s.showAuthError(w, r, asOAuth(err))
}

// showAuthError answers an authorization request that cannot be sent back
// to the client: to the configured error page, or as JSON.
func (s *Service) showAuthError(w http.ResponseWriter, r *http.Request, e *Error) error {
	if e.Status >= 500 || e.Code == "server_error" {
		writeOAuthError(w, r, e)
		return nil
	}
	if s.opts.URLs.Error != "" {
		v := url.Values{"error": {e.Code}, "error_description": {e.Description}}
		if e.Hint != "" {
			v.Set("error_hint", e.Hint)
		}
		http.Redirect(w, r, withQuery(s.opts.URLs.Error, v), http.StatusFound)
		return nil
	}
	if e.Status == 0 || e.Status == http.StatusUnauthorized {
		e.Status = http.StatusBadRequest
	}
	writeOAuthError(w, r, e)
	return nil
}

func withQuery(raw string, v url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// parseAuthorizeRequest validates an authorization request. Errors found
// before the redirect URI is known to be good are shown; later ones carry
// the request so they go back to the client.
func (s *Service) parseAuthorizeRequest(ctx context.Context, r *http.Request, q url.Values) (*AuthorizeRequest, *client.Client, error) {
	clientID := q.Get("client_id")
	if clientID == "" {
		return nil, nil, errInvalidRequest("The request is missing the client_id parameter.")
	}
	c, err := s.client(ctx, clientID)
	if err != nil {
		return nil, nil, err
	}
	if q.Get("request_uri") != "" {
		uq, err := s.fetchRequestURI(ctx, c, q.Get("request_uri"))
		if err != nil {
			return nil, nil, err
		}
		// OIDC Core 6.3.3: the object's values win, the query's others stay,
		// as for an object passed by value.
		merged := url.Values{}
		for k, v := range q {
			if k != "request_uri" {
				merged[k] = v
			}
		}
		merged.Set("request", uq.Get("request"))
		q = merged
	}
	if q.Get("request") != "" {
		merged, err := s.requestObject(ctx, c, q)
		if err != nil {
			return nil, nil, err
		}
		q = merged
	}
	for k, vs := range q {
		if len(vs) > 1 && k != "audience" && k != "resource" {
			return nil, nil, errInvalidRequest("The parameter %s is given more than once.", k)
		}
	}
	req := &AuthorizeRequest{ClientID: c.ID, RequestedAt: s.now(), State: q.Get("state")}
	scopes := strings.Fields(q.Get("scope"))
	openid := slices.Contains(scopes, "openid")
	// redirect_uri: exact match; may be left out only when one is registered
	// and the request is not an OpenID Connect request.
	redirect := q.Get("redirect_uri")
	switch {
	case redirect != "":
		if !slices.Contains(c.RedirectURIs, redirect) {
			return nil, nil, errInvalidRequest("The redirect_uri %q is not registered for this client; it must match a registered one exactly.", redirect)
		}
		req.RedirectURIGiven = true
	case len(c.RedirectURIs) == 1 && !openid:
		redirect = c.RedirectURIs[0]
	case openid:
		return nil, nil, errInvalidRequest("The redirect_uri parameter is required in OpenID Connect requests.")
	default:
		return nil, nil, errInvalidRequest("The request is missing the redirect_uri parameter and the client has no single registered one.")
	}
	req.RedirectURI = redirect
	req.ResponseMode = q.Get("response_mode")
	back := func(e *Error) error { return &authError{err: e, redirect: req} }

	rt := strings.Fields(q.Get("response_type"))
	if len(rt) == 0 {
		return nil, nil, back(errInvalidRequest("The request is missing the response_type parameter."))
	}
	req.ResponseTypes = rt
	if !clientAllowsResponseType(c, rt) {
		return nil, nil, back(oauthErr("unsupported_response_type", http.StatusBadRequest,
			"The client is not allowed to use response_type %q.", strings.Join(rt, " ")))
	}
	for _, p := range rt {
		if p != "code" && p != "token" && p != "id_token" {
			return nil, nil, back(oauthErr("unsupported_response_type", http.StatusBadRequest, "The response_type %q is not supported.", p))
		}
	}
	switch req.ResponseMode {
	case "":
		if slices.Equal(rt, []string{"code"}) {
			req.ResponseMode = "query"
		} else {
			req.ResponseMode = "fragment"
		}
	case "query":
		if !slices.Equal(rt, []string{"code"}) {
			return nil, nil, back(errInvalidRequest("response_mode query cannot carry tokens; use fragment or form_post."))
		}
	case "fragment", "form_post":
	default:
		req.ResponseMode = "query"
		return nil, nil, back(errInvalidRequest("The response_mode %q is not supported.", q.Get("response_mode")))
	}
	if (req.has("token") || req.has("id_token")) && !hasGrant(c, "implicit") {
		return nil, nil, back(errUnauthorizedClient("The client is not allowed to use the implicit grant."))
	}
	if req.has("code") && !hasGrant(c, "authorization_code") {
		return nil, nil, back(errUnauthorizedClient("The client is not allowed to use the authorization_code grant."))
	}
	if err := s.checkScopes(c, scopes); err != nil {
		return nil, nil, back(asOAuth(err))
	}
	req.Scope = nonNil(scopes)
	req.Audience = nonNil(splitAudience(q["audience"]))
	if err := checkAudience(c, req.Audience); err != nil {
		return nil, nil, back(asOAuth(err))
	}
	if req.has("id_token") && !openid {
		return nil, nil, back(errInvalidScope("response_type id_token needs the openid scope."))
	}
	req.Nonce = q.Get("nonce")
	if req.has("id_token") && req.Nonce == "" {
		return nil, nil, back(errInvalidRequest("The nonce parameter is required when the response includes an ID token."))
	}
	// PKCE
	req.CodeChallenge, req.CodeChallengeMethod = q.Get("code_challenge"), q.Get("code_challenge_method")
	if req.CodeChallenge != "" {
		if req.CodeChallengeMethod == "" {
			req.CodeChallengeMethod = "plain"
		}
		if req.CodeChallengeMethod != "S256" && req.CodeChallengeMethod != "plain" {
			return nil, nil, back(errInvalidRequest("The code_challenge_method %q is not supported; use S256.", req.CodeChallengeMethod))
		}
		if n := len(req.CodeChallenge); n < 43 || n > 128 {
			return nil, nil, back(errInvalidRequest("The code_challenge must be 43 to 128 characters long."))
		}
	} else if req.has("code") && (s.opts.PKCEEnforced || (s.opts.PKCEEnforcedForPublic && c.TokenEndpointAuthMethod == client.AuthNone)) {
		return nil, nil, back(errInvalidRequest("Clients must include a code_challenge when performing the authorize code flow, but it is missing."))
	}
	// OpenID Connect parameters
	req.Prompt = strings.Fields(q.Get("prompt"))
	if slices.Contains(req.Prompt, "none") && len(req.Prompt) > 1 {
		return nil, nil, back(errInvalidRequest("prompt none cannot be combined with other values."))
	}
	for _, p := range req.Prompt {
		if !slices.Contains([]string{"none", "login", "consent", "select_account", "registration", "create"}, p) {
			return nil, nil, back(errInvalidRequest("The prompt value %q is not supported.", p))
		}
	}
	if v := q.Get("max_age"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, nil, back(errInvalidRequest("max_age must be a non-negative number of seconds."))
		}
		req.MaxAge = &n
	}
	req.ACRValues = strings.Fields(q.Get("acr_values"))
	req.LoginHint = q.Get("login_hint")
	req.UILocales = strings.Fields(q.Get("ui_locales"))
	req.Display = q.Get("display")
	req.Claims = q.Get("claims")
	if h := q.Get("id_token_hint"); h != "" {
		claims, err := s.verifyOwnIDToken(ctx, h, false)
		if err != nil {
			return nil, nil, back(errInvalidRequest("The id_token_hint is not valid: %v", err))
		}
		req.IDTokenHintClaims = claims
	}
	req.RequestURL = s.endpoint("oauth2/auth") + "?" + q.Encode()
	return req, c, nil
}

func splitAudience(vs []string) []string {
	var out []string
	for _, v := range vs {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

// clientAllowsResponseType compares as sets: "id_token code" equals "code id_token".
func clientAllowsResponseType(c *client.Client, rt []string) bool {
	want := slices.Sorted(slices.Values(rt))
	for _, allowed := range c.ResponseTypes {
		if slices.Equal(slices.Sorted(slices.Values(strings.Fields(allowed))), want) {
			return true
		}
	}
	return false
}

// startAuthorize validates a new authorization request, stores its flow and
// sends the browser to the login app.
func (s *Service) startAuthorize(w http.ResponseWriter, r *http.Request, q url.Values) error {
	ctx := r.Context()
	req, c, err := s.parseAuthorizeRequest(ctx, r, q)
	if err != nil {
		return err
	}
	f := &Flow{ID: s.newRequestID(req.RequestedAt), Kind: KindAuthorize, State: StateLoginUnused, Request: *req, RequestedAt: req.RequestedAt,
		CSRF: randomString(24)}
	sess, authenticated := s.currentLoginSession(ctx, r)
	prompt := func(p string) bool { return slices.Contains(req.Prompt, p) }
	if authenticated {
		fresh := req.MaxAge == nil || s.now().Sub(sess.AuthenticatedAt) <= time.Duration(*req.MaxAge)*time.Second
		hintOK := true
		if sub, _ := req.IDTokenHintClaims["sub"].(string); req.IDTokenHintClaims != nil &&
			sub != s.subjectFor(c, sess.Subject, "") {
			hintOK = false
		}
		if fresh && hintOK && !prompt("login") {
			f.LoginSkip, f.Subject, f.LoginSessionID, f.AuthTime = true, sess.Subject, sess.ID, sess.AuthenticatedAt
		}
	}
	if prompt("none") && !f.LoginSkip {
		return &authError{err: oauthErr("login_required", http.StatusBadRequest,
			"Prompt none was requested, but no existing login session was found."), redirect: req}
	}
	if !f.LoginSkip && authenticated {
		f.LoginSessionID = sess.ID // re-authentication within the same browser session
	}
	rec, err := s.flowRecord(f, s.now().Add(s.opts.TTL.LoginConsentRequest), time.Time{})
	if err != nil {
		return errServer(err)
	}
	if err := s.store.InsertFlow(ctx, rec); err != nil {
		return errServer(err)
	}
	s.setFlowCookie(w, "ory_hydra_login_csrf", f)
	target := s.opts.URLs.Login
	if prompt("registration") || prompt("create") {
		if s.opts.URLs.Registration != "" {
			target = s.opts.URLs.Registration
		}
	}
	http.Redirect(w, r, withQuery(target, url.Values{"login_challenge": {s.flowKeys.sign("login_challenge", f.ID)}}), http.StatusFound)
	return nil
}

// flow loads the flow a challenge or verifier of purpose names. A value
// that was not made here, or whose flow is gone, is storage.ErrNotFound.
func (s *Service) flow(ctx context.Context, purpose, value string) (*Flow, FlowRecord, error) {
	id, ok := s.flowKeys.open(purpose, value)
	if !ok {
		return nil, FlowRecord{}, errNotFound
	}
	rec, err := s.store.GetFlow(ctx, id)
	if err != nil {
		return nil, rec, err
	}
	if !rec.ExpiresAt.After(s.now()) {
		return nil, rec, errNotFound // expired, not yet cleaned up
	}
	f, err := s.openFlow(rec)
	return f, rec, err
}

// afterLogin continues a flow whose login was handled.
func (s *Service) afterLogin(w http.ResponseWriter, r *http.Request, verifier string) error {
	ctx := r.Context()
	f, _, err := s.flow(ctx, "login_verifier", verifier)
	if err != nil {
		if isNotFound(err) {
			return errInvalidRequest("The login verifier is not valid or has expired.")
		}
		return errServer(err)
	}
	back := func(e *Error) error { return &authError{err: e, redirect: &f.Request} }
	if f.State != StateLoginHandled {
		return back(errInvalidRequest("The login verifier has already been used."))
	}
	if !s.checkFlowCookie(r, "ory_hydra_login_csrf", f) {
		return back(errInvalidRequest("The login request was not started in this browser (CSRF cookie missing or wrong)."))
	}
	s.clearFlowCookie(w, "ory_hydra_login_csrf", f)
	if f.LoginError != nil {
		f.State = StateDone
		if err := s.advance(ctx, f, StateLoginHandled, s.now().Add(time.Minute), time.Time{}); err != nil {
			return back(asOAuth(err))
		}
		return back(deniedError(f.LoginError))
	}
	c, err := s.client(ctx, f.Request.ClientID)
	if err != nil {
		return back(asOAuth(err))
	}
	if err := s.rememberLogin(ctx, w, f); err != nil {
		return back(errServer(err))
	}
	req := &f.Request
	prompt := slices.Contains(req.Prompt, "consent")
	switch {
	case c.SkipConsent && !prompt:
		f.ConsentSkip = true
		f.GrantedScope, f.GrantedAudience = req.Scope, req.Audience
		f.ConsentHandledAt = s.now()
		f.State = StateConsentHandled
		if err := s.advance(ctx, f, StateLoginHandled, s.now().Add(s.opts.TTL.LoginConsentRequest), time.Time{}); err != nil {
			return back(asOAuth(err))
		}
		return s.finishAuthorize(w, r, f, c)
	case !prompt:
		prior, err := s.rememberedConsent(ctx, f, c)
		if err != nil {
			return back(errServer(err))
		}
		f.ConsentSkip = prior
	}
	if slices.Contains(req.Prompt, "none") && !f.ConsentSkip {
		f.State = StateDone
		_ = s.advance(ctx, f, StateLoginHandled, s.now().Add(time.Minute), time.Time{})
		return back(oauthErr("consent_required", http.StatusBadRequest,
			"Prompt none was requested, but no previous consent covers this request."))
	}
	f.State = StateConsentUnused
	f.CSRF = randomString(24)
	if err := s.advance(ctx, f, StateLoginHandled, s.now().Add(s.opts.TTL.LoginConsentRequest), time.Time{}); err != nil {
		return back(asOAuth(err))
	}
	s.setFlowCookie(w, "ory_hydra_consent_csrf", f)
	http.Redirect(w, r, withQuery(s.opts.URLs.Consent, url.Values{"consent_challenge": {s.flowKeys.sign("consent_challenge", f.ID)}}), http.StatusFound)
	return nil
}

// rememberedConsent tells whether a remembered consent of the subject for
// this client covers every requested scope and audience.
func (s *Service) rememberedConsent(ctx context.Context, f *Flow, c *client.Client) (bool, error) {
	recs, err := s.store.RememberedConsents(ctx, f.Subject, c.ID, s.now())
	if err != nil {
		return false, err
	}
	for _, rec := range recs {
		prev, err := s.openFlow(rec)
		if err != nil {
			continue
		}
		if covers(prev.GrantedScope, f.Request.Scope) && covers(prev.GrantedAudience, f.Request.Audience) {
			return true, nil
		}
	}
	return false, nil
}

func covers(granted, requested []string) bool {
	for _, r := range requested {
		if !slices.Contains(granted, r) {
			return false
		}
	}
	return true
}

// advance stores f if its flow is still in state from; a flow handled
// meanwhile is a conflict.
func (s *Service) advance(ctx context.Context, f *Flow, from int, expires, rememberUntil time.Time) error {
	rec, err := s.flowRecord(f, expires, rememberUntil)
	if err != nil {
		return errServer(err)
	}
	ok, err := s.store.AdvanceFlow(ctx, rec, from)
	if err != nil {
		return errServer(err)
	}
	if !ok {
		return errInvalidRequest("This request has been handled already.")
	}
	return nil
}

// afterConsent finishes a flow whose consent was handled.
func (s *Service) afterConsent(w http.ResponseWriter, r *http.Request, verifier string) error {
	ctx := r.Context()
	f, _, err := s.flow(ctx, "consent_verifier", verifier)
	if err != nil {
		if isNotFound(err) {
			return errInvalidRequest("The consent verifier is not valid or has expired.")
		}
		return errServer(err)
	}
	back := func(e *Error) error { return &authError{err: e, redirect: &f.Request} }
	if f.State != StateConsentHandled {
		return back(errInvalidRequest("The consent verifier has already been used."))
	}
	if !s.checkFlowCookie(r, "ory_hydra_consent_csrf", f) {
		return back(errInvalidRequest("The consent request was not started in this browser (CSRF cookie missing or wrong)."))
	}
	s.clearFlowCookie(w, "ory_hydra_consent_csrf", f)
	if f.ConsentError != nil {
		f.State = StateDone
		if err := s.advance(ctx, f, StateConsentHandled, s.now().Add(time.Minute), time.Time{}); err != nil {
			return back(asOAuth(err))
		}
		return back(deniedError(f.ConsentError))
	}
	c, err := s.client(ctx, f.Request.ClientID)
	if err != nil {
		return back(asOAuth(err))
	}
	return s.finishAuthorize(w, r, f, c)
}

func deniedError(d *RequestDeniedError) *Error {
	e := &Error{Code: d.Error, Description: d.Description, Hint: d.Hint, Status: d.StatusCode}
	if e.Code == "" {
		e.Code = "access_denied"
	}
	if e.Status == 0 {
		e.Status = http.StatusForbidden
	}
	return e
}

// finishAuthorize marks the flow done (once) and answers the client with
// what its response_type asked for.
func (s *Service) finishAuthorize(w http.ResponseWriter, r *http.Request, f *Flow, c *client.Client) error {
	ctx := r.Context()
	req := &f.Request
	back := func(e *Error) error { return &authError{err: e, redirect: req} }
	now := s.now()
	var rememberUntil time.Time
	if f.ConsentRemember {
		rememberUntil = now.AddDate(100, 0, 0)
		if f.ConsentRememberFor > 0 {
			rememberUntil = now.Add(time.Duration(f.ConsentRememberFor) * time.Second)
		}
	}
	retain := now.Add(max(lifespan(c, "authorization_code", "refresh", s.opts.TTL.RefreshToken), s.opts.TTL.AccessToken))
	if rememberUntil.After(retain) {
		retain = rememberUntil
	}
	f.State = StateDone
	if err := s.advance(ctx, f, StateConsentHandled, retain, rememberUntil); err != nil {
		return back(asOAuth(err))
	}
	if req.DeviceRequestID != "" {
		return s.approveDevice(w, r, f, c)
	}
	g := s.grantFromFlow(f, c, "authorization_code")
	out := url.Values{}
	var code, access string
	var recs []TokenRecord
	if req.has("code") {
		cg := grantFor(*g, now, s.opts.TTL.AuthCode)
		cg.RedirectURI, cg.CodeChallenge, cg.ChallengeMethod = "", req.CodeChallenge, req.CodeChallengeMethod
		if req.RedirectURIGiven {
			cg.RedirectURI = req.RedirectURI
		}
		tok, sig := s.tokenKeys.newOpaque(prefixCode)
		rec, err := s.tokenRecord(TokenCode, sig, f.ID, cg)
		if err != nil {
			return back(errServer(err))
		}
		code = tok
		recs = append(recs, rec)
		out.Set("code", code)
	}
	if req.has("token") {
		ttl := lifespan(c, "implicit", "access", s.opts.TTL.AccessToken)
		tok, rec, err := s.issueAccess(ctx, c, grantFor(*g, now, ttl), f.ID)
		if err != nil {
			return back(errServer(err))
		}
		access = tok
		recs = append(recs, rec)
		out.Set("access_token", tok)
		out.Set("token_type", "bearer")
		out.Set("expires_in", strconv.FormatInt(int64(ttl/time.Second), 10))
	}
	if len(recs) > 0 {
		if err := s.store.InsertTokens(ctx, recs...); err != nil {
			return back(errServer(err))
		}
	}
	if req.has("id_token") {
		ttl := lifespan(c, "implicit", "id", s.opts.TTL.IDToken)
		idt, err := s.issueIDToken(ctx, c, g, ttl, access, code)
		if err != nil {
			return back(errServer(err))
		}
		out.Set("id_token", idt)
	}
	out.Set("scope", strings.Join(f.GrantedScope, " "))
	return s.respond(w, r, req, out)
}

// grantFromFlow is what the flow's consent granted.
func (s *Service) grantFromFlow(f *Flow, c *client.Client, grantType string) *Grant {
	return &Grant{
		ClientID:  c.ID,
		Subject:   s.subjectFor(c, f.Subject, f.ForceSubjectIdentifier),
		Scope:     nonNil(f.GrantedScope),
		Audience:  nonNil(f.GrantedAudience),
		GrantType: grantType,
		Session:   f.Session,
		AuthTime:  f.AuthTime,
		ACR:       f.ACR,
		AMR:       f.AMR,
		SessionID: f.LoginSessionID,
		Nonce:     f.Request.Nonce,
		IssuedAt:  f.RequestedAt,
	}
}

// redirectError sends err back to the client's redirect URI.
func (s *Service) redirectError(w http.ResponseWriter, r *http.Request, req *AuthorizeRequest, e *Error) error {
	if e.Code == "server_error" {
		s.opts.Logger.Error("authorization request failed", "error", fmt.Sprint(e.cause))
	}
	v := url.Values{"error": {e.Code}}
	if e.Description != "" {
		v.Set("error_description", e.Description)
	}
	if e.Hint != "" {
		v.Set("error_hint", e.Hint)
	}
	return s.respond(w, r, req, v)
}

var formPostPage = template.Must(template.New("form_post").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Submit this form</title></head>
<body><form method="post" action="{{.Action}}">{{range $k, $vs := .Values}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<noscript><button type="submit">Continue</button></noscript></form>
<script nonce="{{.Nonce}}">document.forms[0].submit()</script></body></html>`))

// respond sends the authorization response (or error) to the client with
// its response mode, adding state and iss (RFC 9207).
func (s *Service) respond(w http.ResponseWriter, r *http.Request, req *AuthorizeRequest, v url.Values) error {
	if req.State != "" {
		v.Set("state", req.State)
	}
	v.Set("iss", s.issuer())
	noStore(w)
	switch req.ResponseMode {
	case "form_post":
		nonce := randomString(16)
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; form-action "+formActionSource(req.RedirectURI))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return formPostPage.Execute(w, map[string]any{"Action": req.RedirectURI, "Values": v, "Nonce": nonce})
	case "fragment":
		u := req.RedirectURI
		if i := strings.IndexByte(u, '#'); i >= 0 {
			u = u[:i]
		}
		http.Redirect(w, r, u+"#"+v.Encode(), http.StatusFound)
	default:
		http.Redirect(w, r, withQuery(req.RedirectURI, v), http.StatusFound)
	}
	return nil
}

func formActionSource(redirect string) string {
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme == "" {
		return "'self'"
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}
