package provider

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/oauth2/client"
)

// LogoutRequestView is GET /admin/oauth2/auth/requests/logout.
type LogoutRequestView struct {
	Challenge   string         `json:"challenge"`
	Subject     string         `json:"subject"`
	SessionID   string         `json:"sid"`
	Client      *client.Client `json:"client,omitempty"`
	RequestURL  string         `json:"request_url"`
	RPInitiated bool           `json:"rp_initiated"`
	RequestedAt time.Time      `json:"requested_at"`
	ExpiresAt   time.Time      `json:"expires_at"`
}

// logout is GET and POST /oauth2/sessions/logout (OIDC RP-Initiated Logout).
func (s *Service) logout(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return s.showAuthError(w, r, errInvalidRequest("The request could not be parsed."))
	}
	q := r.Form
	if v := q.Get("logout_verifier"); v != "" {
		return s.afterLogout(w, r, v)
	}
	ctx := r.Context()
	lr := &LogoutRequest{RequestURL: s.endpoint("oauth2/sessions/logout"), State: q.Get("state")}
	if len(q) > 0 {
		lr.RequestURL += "?" + q.Encode()
	}
	var hint Claims
	if h := q.Get("id_token_hint"); h != "" {
		claims, err := s.verifyOwnIDToken(ctx, h, false)
		if err != nil {
			return s.showAuthError(w, r, errInvalidRequest("The id_token_hint is not valid: %v", err))
		}
		hint = claims
		lr.RPInitiated = true
	}
	clientID := q.Get("client_id")
	if hint != nil {
		aud := audClaim(hint)
		if len(aud) == 0 || (clientID != "" && !slices.Contains(aud, clientID)) {
			return s.showAuthError(w, r, errInvalidRequest("The id_token_hint was not issued to the client_id given."))
		}
		if clientID == "" {
			clientID = aud[0]
		}
	}
	var c *client.Client
	if clientID != "" {
		cl, err := s.client(ctx, clientID)
		if err != nil {
			return s.showAuthError(w, r, asOAuth(err))
		}
		c = cl
		lr.ClientID = c.ID
		lr.RPInitiated = true
	}
	if p := q.Get("post_logout_redirect_uri"); p != "" {
		if c == nil {
			return s.showAuthError(w, r, errInvalidRequest("post_logout_redirect_uri needs an id_token_hint or client_id naming the client."))
		}
		if !slices.Contains(c.PostLogoutRedirectURIs, p) {
			return s.showAuthError(w, r, errInvalidRequest("The post_logout_redirect_uri %q is not registered for this client.", p))
		}
		lr.PostLogoutRedirectURI = p
	}
	// Which session ends: the browser's, else the one the hint names.
	sess, ok := s.currentLoginSession(ctx, r)
	if !ok && hint != nil {
		if sid, _ := hint["sid"].(string); sid != "" {
			if hs, err := s.store.GetLoginSession(ctx, sid); err == nil {
				sess, ok = hs, true
			}
		}
	}
	if ok && hint != nil {
		if sid, _ := hint["sid"].(string); sid != "" && sid != sess.ID {
			ok = false // the hint names another session: do not end this one
		}
	}
	if !ok {
		return s.finishLogout(w, r, lr, nil)
	}
	lr.Subject, lr.SessionID = sess.Subject, sess.ID
	now := s.now()
	lr.ExpiresAt = now.Add(s.opts.TTL.LoginConsentRequest)
	f := &Flow{ID: s.newRequestID(now), Kind: KindLogout, State: StateLogoutUnused, RequestedAt: now, Logout: lr,
		Subject: sess.Subject, LoginSessionID: sess.ID, CSRF: randomString(24),
		Request: AuthorizeRequest{ClientID: lr.ClientID, RequestURL: lr.RequestURL, RequestedAt: now}}
	if c != nil && c.SkipLogoutConsent {
		f.State = StateLogoutDone
		rec, err := s.flowRecord(f, now.Add(time.Minute), time.Time{})
		if err == nil {
			err = s.store.InsertFlow(ctx, rec)
		}
		if err != nil {
			return s.showAuthError(w, r, errServer(err))
		}
		return s.endSession(w, r, f)
	}
	rec, err := s.flowRecord(f, lr.ExpiresAt, time.Time{})
	if err != nil {
		return s.showAuthError(w, r, errServer(err))
	}
	if err := s.store.InsertFlow(ctx, rec); err != nil {
		return s.showAuthError(w, r, errServer(err))
	}
	s.setFlowCookie(w, "ory_hydra_logout_csrf", f)
	http.Redirect(w, r, withQuery(s.opts.URLs.Logout, url.Values{"logout_challenge": {s.flowKeys.sign("logout_challenge", f.ID)}}), http.StatusFound)
	return nil
}

func (s *Service) afterLogout(w http.ResponseWriter, r *http.Request, verifier string) error {
	ctx := r.Context()
	f, _, err := s.flow(ctx, "logout_verifier", verifier)
	if err != nil || f.Kind != KindLogout {
		if err == nil || isNotFound(err) {
			return s.showAuthError(w, r, errInvalidRequest("The logout verifier is not valid or has expired."))
		}
		return s.showAuthError(w, r, errServer(err))
	}
	if f.State != StateLogoutHandled || f.Logout.Rejected {
		return s.showAuthError(w, r, errInvalidRequest("The logout verifier has already been used."))
	}
	s.clearFlowCookie(w, "ory_hydra_logout_csrf", f)
	f.State = StateLogoutDone
	if err := s.advance(ctx, f, StateLogoutHandled, s.now().Add(time.Minute), time.Time{}); err != nil {
		return s.showAuthError(w, r, asOAuth(err))
	}
	return s.endSession(w, r, f)
}

// endSession ends the login session of a logout flow, notifies the clients
// that took part in it and sends the browser on.
func (s *Service) endSession(w http.ResponseWriter, r *http.Request, f *Flow) error {
	ctx := r.Context()
	lr := f.Logout
	frontchannel := s.frontchannelURIs(ctx, lr.SessionID)
	if _, err := s.store.DeleteLoginSessions(ctx, "", lr.SessionID); err != nil {
		return s.showAuthError(w, r, errServer(err))
	}
	s.clearCookie(w, sessionCookie, "/")
	s.backchannelLogout(ctx, lr.Subject, lr.SessionID, "")
	return s.finishLogout(w, r, lr, frontchannel)
}

var frontchannelPage = template.Must(template.New("logout").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Signing out</title></head><body>
<p>Signing you out…</p>
{{range .Frames}}<iframe src="{{.}}" style="display:none" title="sign-out"></iframe>
{{end}}<p><a href="{{.Next}}">Continue</a></p>
<script nonce="{{.Nonce}}">
(function(){var f=document.getElementsByTagName("iframe"),n=f.length,go=function(){window.location.replace({{.Next}})};
if(!n){go();return}for(var i=0;i<f.length;i++){f[i].addEventListener("load",function(){if(--n===0)go()})}setTimeout(go,3000)})();
</script></body></html>`))

// finishLogout sends the browser to the post-logout URL, through a page
// that loads each client's front-channel logout URI first when there are.
func (s *Service) finishLogout(w http.ResponseWriter, r *http.Request, lr *LogoutRequest, frames []string) error {
	next := s.opts.URLs.PostLogoutRedirect
	if lr.PostLogoutRedirectURI != "" {
		next = lr.PostLogoutRedirectURI
		if lr.State != "" {
			next = withQuery(next, url.Values{"state": {lr.State}})
		}
	}
	if len(frames) == 0 {
		http.Redirect(w, r, next, http.StatusFound)
		return nil
	}
	nonce := randomString(16)
	var srcs []string
	for _, f := range frames {
		srcs = append(srcs, originOf(f))
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; frame-src "+strings.Join(srcs, " "))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	noStore(w)
	return frontchannelPage.Execute(w, map[string]any{"Frames": frames, "Next": next, "Nonce": nonce})
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "'none'"
	}
	return u.Scheme + "://" + u.Host
}

// sessionClients are the clients that received tokens in login session sid.
func (s *Service) sessionClients(ctx context.Context, sid string) []*client.Client {
	if sid == "" {
		return nil
	}
	recs, err := s.store.FlowsOfLoginSession(ctx, sid)
	if err != nil {
		s.opts.Logger.Warn("list the clients of a login session", "error", err)
		return nil
	}
	var out []*client.Client
	seen := map[string]bool{}
	for _, rec := range recs {
		if seen[rec.ClientID] {
			continue
		}
		seen[rec.ClientID] = true
		c, err := s.clients.Lookup(ctx, rec.ClientID)
		if err == nil {
			out = append(out, &c)
		}
	}
	return out
}

func (s *Service) frontchannelURIs(ctx context.Context, sid string) []string {
	var out []string
	for _, c := range s.sessionClients(ctx, sid) {
		if c.FrontchannelLogoutURI == "" {
			continue
		}
		out = append(out, withQuery(c.FrontchannelLogoutURI, url.Values{"iss": {s.issuer()}, "sid": {sid}}))
	}
	return out
}

// backchannelLogout POSTs a logout token to each client of the session that
// registered a back-channel logout URI (OIDC Back-Channel Logout 1.0), in
// parallel, waiting at most a few seconds.
func (s *Service) backchannelLogout(ctx context.Context, subject, sid, except string) {
	clients := s.sessionClients(ctx, sid)
	var wg sync.WaitGroup
	for _, c := range clients {
		if c.BackchannelLogoutURI == "" || c.ID == except {
			continue
		}
		claims := map[string]any{
			"iss":    s.issuer(),
			"aud":    []string{c.ID},
			"iat":    s.now().Unix(),
			"exp":    s.now().Add(2 * time.Minute).Unix(),
			"jti":    uuid.NewString(),
			"sub":    s.subjectFor(c, subject, ""),
			"sid":    sid,
			"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
		}
		tok, err := s.sign(ctx, IDTokenSet, s.idTokenAlg(c), "logout+jwt", claims)
		if err != nil {
			s.opts.Logger.Error("sign a logout token", "client_id", c.ID, "error", err)
			continue
		}
		wg.Add(1)
		go func(uri, id string) {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(cctx, http.MethodPost, uri, strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := s.opts.HTTPClient.Do(req)
			if err != nil {
				s.opts.Logger.Warn("back-channel logout failed", "client_id", id, "error", err)
				return
			}
			res.Body.Close()
			if res.StatusCode >= 300 {
				s.opts.Logger.Warn("back-channel logout refused", "client_id", id, "status", res.StatusCode)
			}
		}(c.BackchannelLogoutURI, c.ID)
	}
	wg.Wait()
}

func (s *Service) getLogoutRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.adminFlow(ctx, r, "logout_challenge", "logout_challenge")
	if err != nil {
		return err
	}
	if f.Kind != KindLogout {
		return adminNotFound("logout_challenge")
	}
	if f.State != StateLogoutUnused {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Logout.RequestURL})
		return nil
	}
	out := LogoutRequestView{Challenge: r.URL.Query().Get("logout_challenge"), Subject: f.Logout.Subject, SessionID: f.Logout.SessionID,
		RequestURL: f.Logout.RequestURL, RPInitiated: f.Logout.RPInitiated, RequestedAt: f.RequestedAt, ExpiresAt: f.Logout.ExpiresAt}
	if f.Logout.ClientID != "" {
		if c, err := s.clients.Lookup(ctx, f.Logout.ClientID); err == nil {
			out.Client = &c
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) acceptLogoutRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.adminFlow(ctx, r, "logout_challenge", "logout_challenge")
	if err != nil {
		return err
	}
	if f.Kind != KindLogout {
		return adminNotFound("logout_challenge")
	}
	if f.State != StateLogoutUnused {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Logout.RequestURL})
		return nil
	}
	f.State = StateLogoutHandled
	if err := s.advance(ctx, f, StateLogoutUnused, s.now().Add(s.opts.TTL.LoginConsentRequest), time.Time{}); err != nil {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Logout.RequestURL})
		return nil
	}
	writeJSON(w, http.StatusOK, RedirectTo{RedirectTo: withQuery(s.endpoint("oauth2/sessions/logout"),
		url.Values{"logout_verifier": {s.flowKeys.sign("logout_verifier", f.ID)}})})
	return nil
}

func (s *Service) rejectLogoutRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.adminFlow(ctx, r, "logout_challenge", "logout_challenge")
	if err != nil {
		return err
	}
	if f.Kind != KindLogout {
		return adminNotFound("logout_challenge")
	}
	if f.State != StateLogoutUnused {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Logout.RequestURL})
		return nil
	}
	f.State = StateLogoutHandled
	f.Logout.Rejected = true
	_ = s.advance(ctx, f, StateLogoutUnused, s.now().Add(time.Minute), time.Time{})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
